package dev.presence;

import java.util.List;
import java.util.function.Function;

/**
 * This node's users: one {@link UserEntry} per user with a device or a pending status expiry here.
 * The entry's monitor is the user lock. An entry that holds nothing is retired (removed from the
 * map) under its lock, so a thread that locks an entry and finds it retired starts over with a fresh
 * one: {@link #withLiveEntry} is that loop.
 *
 * <p>Both indexes are {@link IdTable}s, which hold the objects themselves: a user costs one slot of
 * {@link #byId} and a device one slot of {@link #devices}, and a by-id heartbeat is one probe.
 *
 * <p>Locks: only the user lock, taken by {@link #withLiveEntry} on the caller's thread (API calls) and
 * by its callers on the timer thread; it is the outermost lock of the engine (then channel monitor,
 * subscriber monitor, bus-interest monitor).
 */
final class Users {
  /** User id → entry; package-private for tests. */
  final IdTable<UserEntry> byId =
      new IdTable<>() {
        @Override
        int hashOf(UserEntry entry) {
          return hash(entry.userId);
        }

        @Override
        String first(UserEntry entry) {
          return entry.userId;
        }

        @Override
        String second(UserEntry entry) {
          return null;
        }
      };

  /**
   * (User id, device id) → session, for every device connected or in grace here: written only by
   * {@link #addDevice}, {@link #replaceDevice} and {@link #removeDevice}, under the user lock.
   */
  final DeviceTable devices = new DeviceTable();

  /** The entry of a user, or null; no lock. */
  UserEntry get(String userId) {
    return byId.get(IdTable.hash(userId), userId, null);
  }

  /** Under the user lock: a new device of {@code entry}, in its list and in {@link #devices}. */
  void addDevice(UserEntry entry, DeviceSession session) {
    entry.add(session);
    devices.put(session, true);
  }

  /** Under the user lock: {@code replacement} takes the place of {@code old}, the same device. */
  void replaceDevice(UserEntry entry, DeviceSession old, DeviceSession replacement) {
    if (entry.replace(old, replacement)) {
      devices.put(replacement, true);
    }
  }

  /** Under the user lock: a device leaves {@code entry}'s list and {@link #devices}. */
  void removeDevice(UserEntry entry, DeviceSession session) {
    if (entry.remove(session)) {
      devices.remove(session);
    }
  }

  /** The session of a device connected or in grace here, or null; no lock, no allocation. */
  DeviceSession device(String userId, String deviceId) {
    return devices.get(IdTable.hash(userId, deviceId), userId, deviceId);
  }

  /**
   * Runs {@code work} under the lock of the user's live entry (made if needed), and retires the
   * entry afterwards if it is left holding nothing, whether {@code work} returned or threw.
   */
  <T> T withLiveEntry(String userId, Function<UserEntry, T> work) {
    while (true) {
      UserEntry entry = entryFor(userId);
      synchronized (entry) {
        if (entry.retired()) {
          continue;
        }
        try {
          return work.apply(entry);
        } finally {
          retireIfUnused(entry);
        }
      }
    }
  }

  /** Under the user lock: drops an entry that holds nothing. */
  void retireIfUnused(UserEntry entry) {
    if (entry.isUnused() && !entry.retired()) {
      entry.retired(true);
      byId.remove(entry);
    }
  }

  /** The users held here, weakly consistent. */
  List<UserEntry> all() {
    return byId.values();
  }

  /** The ids of the users held here, weakly consistent; for tests. */
  List<String> ids() {
    return all().stream().map(entry -> entry.userId).toList();
  }

  int size() {
    return byId.size();
  }

  private UserEntry entryFor(String userId) {
    UserEntry entry = get(userId);
    if (entry != null) {
      return entry;
    }
    UserEntry fresh = new UserEntry(userId);
    UserEntry raced = byId.put(fresh, false);
    return raced != null ? raced : fresh;
  }
}
