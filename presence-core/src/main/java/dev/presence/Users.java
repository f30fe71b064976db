package dev.presence;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * This node's users: one {@link UserEntry} per user with a device or a pending status expiry here.
 * The entry's monitor is the user lock. An entry that holds nothing is retired (removed from the
 * map) under its lock, so a thread that locks an entry and finds it retired starts over with a fresh
 * one: {@link #withLiveEntry} is that loop.
 *
 * <p>Locks: only the user lock, taken by {@link #withLiveEntry} on the caller's thread (API calls) and
 * by its callers on the timer thread; it is the outermost lock of the engine (then channel monitor,
 * subscriber monitor, bus-interest monitor).
 */
final class Users {
  /** User id → entry; package-private for tests. */
  final ConcurrentHashMap<String, UserEntry> byId = new ConcurrentHashMap<>();
  private final TimerWheel wheel;

  Users(TimerWheel wheel) {
    this.wheel = wheel;
  }

  /** The entry of a user, or null; no lock. */
  UserEntry get(String userId) {
    return byId.get(userId);
  }

  /**
   * Runs {@code work} under the lock of the user's live entry (made if needed), and retires the
   * entry afterwards if it is left holding nothing, whether {@code work} returned or threw.
   */
  <T> T withLiveEntry(String userId, Function<UserEntry, T> work) {
    while (true) {
      UserEntry entry = entryFor(userId);
      synchronized (entry) {
        if (entry.retired) {
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
    if (entry.isUnused() && !entry.retired) {
      entry.retired = true;
      byId.remove(entry.userId, entry);
    }
  }

  Iterable<UserEntry> all() {
    return byId.values();
  }

  int size() {
    return byId.size();
  }

  private UserEntry entryFor(String userId) {
    UserEntry entry = byId.get(userId);
    if (entry != null) {
      return entry;
    }
    return byId.computeIfAbsent(userId, id -> new UserEntry(id, wheel.shardFor(id.hashCode())));
  }
}
