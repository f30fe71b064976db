package dev.presence.spi;

import dev.presence.LimitExceededException;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.UserPresence;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything a store keeps for one user: the devices on every node, the chosen status, and the
 * aggregate others see with its version.
 *
 * <p>Immutable and thread-safe. {@link #apply} holds the one definition of how a mutation changes a
 * record, so every store implementation shares the same semantics; the compatibility kit checks it.
 *
 * @param userId the user
 * @param devices the user's recorded devices (connected or in grace) on every node
 * @param mode the status the user chose
 * @param customText the user's status text, or null
 * @param statusExpiresAtMillis wall time at which the chosen status lapses; 0 for never
 * @param statusSetAtMillis wall time at which the chosen status was set; 0 if it never was. After the
 *     store lost its data, nodes re-assert the statuses they know and the newest one wins.
 * @param selfState what the user's own devices see: the aggregate ignoring invisibility
 * @param presence what everyone else sees, with the version
 * @param lastLeftMillis the latest moment, in epoch milliseconds, at which a device removed since
 *     the user last had none was still connected; 0 if none was removed since. When the last device
 *     goes, this (not the time of the last removal) is the user's last seen, so devices leaving in
 *     any order, on any node, give the same answer.
 */
public record UserRecord(
    String userId,
    List<DeviceRecord> devices,
    StatusMode mode,
    @Nullable String customText,
    long statusExpiresAtMillis,
    long statusSetAtMillis,
    PresenceState selfState,
    UserPresence presence,
    long lastLeftMillis) {

  /**
   * Creates a record.
   *
   * @param userId the user
   * @param devices the user's recorded devices (connected or in grace) on every node
   * @param mode the status the user chose
   * @param customText the user's status text, or null
   * @param statusExpiresAtMillis wall time at which the chosen status lapses; 0 for never
   * @param statusSetAtMillis wall time at which the chosen status was set; 0 if it never was. After
   *     the store lost its data, nodes re-assert the statuses they know and the newest one wins.
   * @param selfState what the user's own devices see: the aggregate ignoring invisibility
   * @param presence what everyone else sees, with the version
   * @param lastLeftMillis the latest moment, in epoch milliseconds, at which a device removed since
   *     the user last had none was still connected; 0 if none was removed since
   * @throws NullPointerException if a reference other than {@code customText} is null
   * @throws IllegalArgumentException if {@code presence} belongs to another user
   */
  public UserRecord {
    Objects.requireNonNull(userId, "userId");
    devices = List.copyOf(devices);
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(selfState, "selfState");
    Objects.requireNonNull(presence, "presence");
    if (!presence.userId().equals(userId)) {
      throw new IllegalArgumentException(
          "presence of " + presence.userId() + " in the record of " + userId);
    }
  }

  /**
   * The record of a user the store has never seen.
   *
   * @param userId the user's id
   * @return an empty record at version 0
   * @throws NullPointerException if {@code userId} is null
   */
  public static UserRecord empty(String userId) {
    return empty(userId, 0);
  }

  /**
   * The record of a user the store has not seen since it lost its data: offline, with no last seen,
   * at a version base above every version the store handed out before the loss, so versions only
   * grow across it (watchers drop anything not newer than what they have).
   *
   * @param userId the user's id
   * @param versionBase the store's current version base; 0 before any loss
   * @return an empty record at the version base
   * @throws NullPointerException if {@code userId} is null
   * @throws IllegalArgumentException if {@code versionBase} is negative
   */
  public static UserRecord empty(String userId, long versionBase) {
    UserPresence unknown =
        versionBase == 0
            ? UserPresence.unknown(userId)
            : new UserPresence(userId, PresenceState.OFFLINE, null, null, versionBase);
    return new UserRecord(userId, List.of(), StatusMode.AUTO, null, 0, 0, PresenceState.OFFLINE, unknown, 0);
  }

  /**
   * The version of what others see.
   *
   * @return the version of the aggregate
   */
  public long version() {
    return presence.version();
  }

  /**
   * The recorded device with this id, or null.
   *
   * @param deviceId the device's id
   * @return its record, or null if the user has no such device
   */
  public @Nullable DeviceRecord device(String deviceId) {
    for (DeviceRecord device : devices) {
      if (device.deviceId().equals(deviceId)) {
        return device;
      }
    }
    return null;
  }

  /**
   * Returns the record after the mutation: the aggregate is recomputed with {@code policy}, and the
   * version grows by one if and only if what others see (state or text) changed. Returns {@code this}
   * when the mutation changes nothing.
   *
   * @param mutation the mutation
   * @param policy the aggregation policy that makes the aggregate of the devices
   * @return the new record, or {@code this} if nothing changed
   * @throws LimitExceededException if a {@link StoreMutation.PutDevice} would add a device past its
   *     limit; the record is then unchanged
   * @throws NullPointerException if an argument is null
   */
  public UserRecord apply(StoreMutation mutation, AggregationPolicy policy) {
    Objects.requireNonNull(mutation, "mutation");
    Objects.requireNonNull(policy, "policy");
    List<DeviceRecord> newDevices = devices;
    StatusMode newMode = mode;
    String newText = customText;
    long newExpiry = statusExpiresAtMillis;
    long newSetAt = statusSetAtMillis;
    if (mutation instanceof StoreMutation.PutDevice put) {
      newDevices = withDevice(put);
    } else if (mutation instanceof StoreMutation.RemoveDevice remove) {
      newDevices = without(d -> d.deviceId().equals(remove.deviceId()) && d.nodeId().equals(remove.nodeId()));
    } else if (mutation instanceof StoreMutation.RemoveNode removeNode) {
      newDevices = without(d -> d.nodeId().equals(removeNode.nodeId()));
    } else if (mutation instanceof StoreMutation.SetStatus set) {
      if (set.reassert() && statusSetAtMillis >= set.atMillis()) {
        return this; // a re-assert after a loss never overrides a status set as late or later
      }
      newMode = set.mode();
      newText = set.customText();
      newExpiry = set.expiresAtMillis();
      newSetAt = set.atMillis();
    } else if (mutation instanceof StoreMutation.ClearExpiredStatus clear) {
      if (statusExpiresAtMillis == 0 || statusExpiresAtMillis != clear.expiresAtMillis()) {
        return this;
      }
      newMode = StatusMode.AUTO;
      newText = null;
      newExpiry = 0;
      newSetAt = clear.atMillis();
    }
    boolean reassert = mutation instanceof StoreMutation.SetStatus set && set.reassert();
    if (newDevices == devices
        && newMode == mode
        && Objects.equals(newText, customText)
        && newExpiry == statusExpiresAtMillis
        && !(reassert && newSetAt != statusSetAtMillis)) {
      // The same status set again keeps the time it was first set; a re-assert of it records its
      // time, so an older re-assert arriving later cannot win.
      return this;
    }
    long newLastLeft = lastLeftMillis;
    if (devices.isEmpty() && !newDevices.isEmpty()) {
      newLastLeft = 0; // back: what left before no longer says when the user was last here
    } else if (newDevices.size() < devices.size()) {
      newLastLeft = Math.max(lastLeftMillis, mutation.atMillis());
    }
    PresenceState newSelf =
        Objects.requireNonNull(
            policy.aggregate(newMode == StatusMode.DND ? StatusMode.DND : StatusMode.AUTO, newDevices),
            "the aggregation policy returned null");
    PresenceState visible = newMode == StatusMode.INVISIBLE ? PresenceState.OFFLINE : newSelf;
    String visibleText = newMode == StatusMode.INVISIBLE ? null : newText;
    UserPresence newPresence = presence;
    if (visible != presence.state() || !Objects.equals(visibleText, presence.customText())) {
      long since = newDevices.isEmpty() && newDevices != devices ? newLastLeft : mutation.atMillis();
      Instant lastSeen = visible != presence.state() ? Instant.ofEpochMilli(since) : presence.lastSeen();
      newPresence =
          new UserPresence(userId, visible, visibleText, lastSeen, presence.version() + 1);
    }
    return new UserRecord(
        userId, newDevices, newMode, newText, newExpiry, newSetAt, newSelf, newPresence, newLastLeft);
  }

  private List<DeviceRecord> withDevice(StoreMutation.PutDevice put) {
    DeviceRecord device = put.device();
    List<DeviceRecord> result = new ArrayList<>(devices.size() + 1);
    boolean replaced = false;
    boolean evicted = false;
    for (DeviceRecord existing : devices) {
      if (put.evictDeviceId() != null
          && existing.deviceId().equals(put.evictDeviceId())
          && !existing.deviceId().equals(device.deviceId())
          && existing.nodeId().equals(device.nodeId())) {
        evicted = true;
        continue;
      }
      if (existing.deviceId().equals(device.deviceId())) {
        if (!evicted && (existing.equals(device) || (!put.claim() && !existing.nodeId().equals(device.nodeId())))) {
          return devices;
        }
        result.add(device);
        replaced = true;
      } else {
        result.add(existing);
      }
    }
    if (!replaced) {
      if (result.size() >= put.maxDevices()) {
        throw tooManyDevices(userId, result.size(), put.maxDevices());
      }
      result.add(device);
    }
    return List.copyOf(result);
  }

  /**
   * The one exception for a device past its limit, wherever it is found: in {@link #apply}, in a
   * remote store that applies mutations itself, or in the engine before it writes.
   *
   * @param userId the user
   * @param count the devices it has
   * @param limit {@code maxDevicesPerUser}
   * @return the exception to throw
   */
  public static LimitExceededException tooManyDevices(String userId, int count, int limit) {
    return new LimitExceededException(
        "user '"
            + (userId.length() > 40 ? userId.substring(0, 40) + "...' (" + userId.length() + " chars)" : userId + "'")
            + " already has "
            + count
            + " devices, the limit (maxDevicesPerUser) is "
            + limit,
        "maxDevicesPerUser",
        limit);
  }

  private List<DeviceRecord> without(java.util.function.Predicate<DeviceRecord> removed) {
    List<DeviceRecord> result = null;
    for (int i = 0; i < devices.size(); i++) {
      DeviceRecord device = devices.get(i);
      if (removed.test(device)) {
        if (result == null) {
          result = new ArrayList<>(devices.subList(0, i));
        }
      } else if (result != null) {
        result.add(device);
      }
    }
    return result == null ? devices : List.copyOf(result);
  }
}
