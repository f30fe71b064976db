package dev.presence;

import java.util.Arrays;

/**
 * This node's state of one user: its devices here and its pending status expiry. The entry's monitor
 * is the user lock: every change of the user on this node happens under it, in order.
 *
 * <p>{@link #devices} is copy-on-write so heartbeats find a device without the lock. An entry with
 * no device, no timer and no store write pending is retired (removed from the engine's map); a thread that finds a retired
 * entry after locking it starts over with a fresh one.
 */
final class UserEntry {
  private static final DeviceSession[] NONE = new DeviceSession[0];

  /** Whose device index {@link #add}, {@link #replace} and {@link #remove} keep in line. */
  final Users users;
  final String userId;
  final int shard;
  /** Devices connected or in grace on this node; replaced, never mutated. */
  volatile DeviceSession[] devices = NONE;
  /** Guarded by this. */
  boolean retired;
  /** Guarded by this: the pending status expiry, or null. */
  StatusTimer statusTimer;
  /** The mode of {@link #statusRecord} (AUTO if none); read without the lock by typing. */
  volatile StatusMode mode = StatusMode.AUTO;
  /** Guarded by this: the user's record as this node last applied it, or null. */
  dev.presence.spi.UserRecord lastRecord;
  /**
   * Guarded by this: of the records this node applied, the one with the newest chosen status (see
   * {@link #newerStatus}), or null. Its status (mode, text, expiry, when it was set) is what
   * this node re-asserts after the store lost its data; a record made after the loss, whose status
   * nobody re-asserted yet, never replaces it.
   */
  dev.presence.spi.UserRecord statusRecord;
  /** Guarded by this: the aggregate (own view) this node last applied, for the stats gauges. */
  PresenceState countedState = PresenceState.OFFLINE;
  /** Guarded by this: the user's store writes not yet landed, head first ({@link UserWrites}); or null. */
  java.util.ArrayDeque<StoreWrite> writes;
  /** Guarded by this: the head write was sent and has not completed. */
  boolean writeInFlight;
  /** Guarded by this: the head write failed and waits for {@link #retry}. */
  boolean retryPending;
  /** Guarded by this: a write is being sent by the lock holder (a stage completing now is inline). */
  boolean dispatching;
  /** Guarded by this: store failures of the head write in a row, for the back-off. */
  int writeFailures;
  /** Guarded by this: the retry timer, made at the first failure. */
  UserWrites.Retry retry;

  UserEntry(Users users, String userId, int shard) {
    this.users = users;
    this.userId = userId;
    this.shard = shard;
  }

  /** The device with this id (connected or in grace), or null; safe without the lock. */
  DeviceSession find(String deviceId) {
    for (DeviceSession device : devices) {
      if (device.deviceId.equals(deviceId)) {
        return device;
      }
    }
    return null;
  }

  /** Whether every device here is in grace (and there is at least one). Guarded by this. */
  boolean allInGrace() {
    DeviceSession[] current = devices;
    if (current.length == 0) {
      return false;
    }
    for (DeviceSession device : current) {
      if (device.phase != DeviceSession.GRACE) {
        return false;
      }
    }
    return true;
  }

  /** Guarded by this. */
  void add(DeviceSession device) {
    DeviceSession[] current = devices;
    DeviceSession[] grown = Arrays.copyOf(current, current.length + 1);
    grown[current.length] = device;
    devices = grown;
    users.devices.put(device, true);
  }

  /** Replaces {@code old} with {@code replacement} in place. Guarded by this. */
  void replace(DeviceSession old, DeviceSession replacement) {
    DeviceSession[] copy = devices.clone();
    for (int i = 0; i < copy.length; i++) {
      if (copy[i] == old) {
        copy[i] = replacement;
      }
    }
    devices = copy;
    users.devices.put(replacement, true);
  }

  /** Guarded by this. */
  void remove(DeviceSession device) {
    DeviceSession[] current = devices;
    int index = -1;
    for (int i = 0; i < current.length; i++) {
      if (current[i] == device) {
        index = i;
        break;
      }
    }
    if (index < 0) {
      return;
    }
    users.devices.remove(device);
    if (current.length == 1) {
      devices = NONE;
      return;
    }
    DeviceSession[] shrunk = new DeviceSession[current.length - 1];
    System.arraycopy(current, 0, shrunk, 0, index);
    System.arraycopy(current, index + 1, shrunk, index, current.length - index - 1);
    devices = shrunk;
  }

  /**
   * Under this: takes the status of {@code record} if it is at least as new as the one known; returns
   * the mode now known.
   */
  StatusMode learnStatus(dev.presence.spi.UserRecord record) {
    dev.presence.spi.UserRecord known = statusRecord;
    if (known == null || newerStatus(record, known) >= 0) {
      statusRecord = record;
      known = record;
    }
    return known.mode();
  }

  /**
   * Which record's chosen status is newer: by when it was set, then (within one millisecond) by
   * version; positive if {@code a}'s, negative if {@code b}'s, 0 if neither can tell.
   */
  static int newerStatus(dev.presence.spi.UserRecord a, dev.presence.spi.UserRecord b) {
    int byTime = Long.compare(a.statusSetAtMillis(), b.statusSetAtMillis());
    return byTime != 0 ? byTime : Long.compare(a.version(), b.version());
  }

  /** Whether the entry holds nothing (no device, no timer, no write pending) and may be retired. Guarded by this. */
  boolean isUnused() {
    return devices.length == 0
        && statusTimer == null
        && !writeInFlight
        && !retryPending
        && (writes == null || writes.isEmpty());
  }
}
