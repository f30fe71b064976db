package dev.presence;

import java.util.Arrays;

/**
 * This node's state of one user: its devices here and its pending status expiry. The entry's monitor
 * is the user lock: every change of the user on this node happens under it, in order.
 *
 * <p>Heartbeats find a device without the lock through {@link Users#devices}, which {@link
 * Users#addDevice}, {@link Users#replaceDevice} and {@link Users#removeDevice} keep in line with the
 * entry's own list. An entry with no device, no timer and no store write pending is retired (removed from the engine's map); a thread that finds a retired
 * entry after locking it starts over with a fresh one.
 */
final class UserEntry {
  private static final DeviceSession[] NONE = new DeviceSession[0];

  // Bits of {@link #flags}.
  private static final int RETIRED = 1;
  private static final int WRITE_IN_FLIGHT = 2;
  private static final int RETRY_PENDING = 4;
  private static final int DISPATCHING = 8;
  private static final PresenceState[] STATES = PresenceState.values();
  private static final StatusMode[] MODES = StatusMode.values();

  final String userId;
  /**
   * Devices connected or in grace on this node: null for none, the session itself for one, an array
   * of two or more; replaced, never mutated. Written under this; read through {@link #devices()}.
   */
  private volatile Object devices;
  /** Guarded by this: the pending status expiry, or null. */
  StatusTimer statusTimer;
  /** Guarded by this: the user's record as this node last applied it, or null. */
  dev.presence.spi.UserRecord lastRecord;
  /**
   * Guarded by this: of the records this node applied, the one with the newest chosen status (see
   * {@link #newerStatus}), or null. Its status (mode, text, expiry, when it was set) is what
   * this node re-asserts after the store lost its data; a record made after the loss, whose status
   * nobody re-asserted yet, never replaces it.
   */
  dev.presence.spi.UserRecord statusRecord;
  /**
   * Guarded by this: {@link #retired}, {@link #writeInFlight}, {@link #retryPending} and {@link
   * #dispatching} as bits. With {@link #counted} and {@link #mode} they take 3 bytes beside the
   * header, and six references follow: the entry is 40 B (8-byte alignment).
   */
  private byte flags;
  /** Guarded by this: the ordinal of {@link #countedState}. */
  private byte counted = (byte) PresenceState.OFFLINE.ordinal();
  /**
   * The ordinal of {@link #mode()}: the mode of {@link #statusRecord} (AUTO if none). Written under
   * this; read without the lock by typing.
   */
  private volatile byte mode = (byte) StatusMode.AUTO.ordinal();
  /**
   * Guarded by this: the user's store writes not yet landed, head first, with the retry timer of a
   * failed head ({@link UserWrites}); or null when none is queued.
   */
  UserWrites.Queue writes;

  UserEntry(String userId) {
    this.userId = userId;
  }

  /** Guarded by this: the entry left the engine's map; a thread that locks it must start over. */
  boolean retired() {
    return (flags & RETIRED) != 0;
  }

  void retired(boolean on) {
    flag(RETIRED, on);
  }

  /** Guarded by this: the head write was sent and has not completed. */
  boolean writeInFlight() {
    return (flags & WRITE_IN_FLIGHT) != 0;
  }

  void writeInFlight(boolean on) {
    flag(WRITE_IN_FLIGHT, on);
  }

  /** Guarded by this: the head write failed and waits for its retry timer ({@link UserWrites.Queue#retry}). */
  boolean retryPending() {
    return (flags & RETRY_PENDING) != 0;
  }

  void retryPending(boolean on) {
    flag(RETRY_PENDING, on);
  }

  /** Guarded by this: a write is being sent by the lock holder (a stage completing now is inline). */
  boolean dispatching() {
    return (flags & DISPATCHING) != 0;
  }

  void dispatching(boolean on) {
    flag(DISPATCHING, on);
  }

  /** The mode of {@link #statusRecord} (AUTO if none); may be read without the lock. */
  StatusMode mode() {
    return MODES[mode];
  }

  /** Under this: the mode now known. */
  void mode(StatusMode known) {
    mode = (byte) known.ordinal();
  }

  /** Guarded by this: the aggregate (own view) this node last applied, for the stats gauges. */
  PresenceState countedState() {
    return STATES[counted];
  }

  void countedState(PresenceState state) {
    counted = (byte) state.ordinal();
  }

  private void flag(int bit, boolean on) {
    flags = (byte) (on ? flags | bit : flags & ~bit);
  }

  /**
   * The devices connected or in grace here, in the order they came. For one device this is a new
   * one-element array: the entry keeps a lone device without an array (most users have one), and
   * this is never called on a hot path. Guarded by this.
   */
  DeviceSession[] devices() {
    Object current = devices;
    if (current == null) {
      return NONE;
    }
    return current instanceof DeviceSession only ? new DeviceSession[] {only} : (DeviceSession[]) current;
  }

  /** How many devices are connected or in grace here. Guarded by this. */
  int deviceCount() {
    Object current = devices;
    if (current == null) {
      return 0;
    }
    return current instanceof DeviceSession ? 1 : ((DeviceSession[]) current).length;
  }

  /** The device with this id (connected or in grace), or null. Guarded by this. */
  DeviceSession find(String deviceId) {
    for (DeviceSession device : devices()) {
      if (device.deviceId.equals(deviceId)) {
        return device;
      }
    }
    return null;
  }

  /** Whether every device here is in grace (and there is at least one). Guarded by this. */
  boolean allInGrace() {
    DeviceSession[] current = devices();
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

  /** Guarded by this; only through {@link Users#addDevice}. */
  void add(DeviceSession device) {
    Object current = devices;
    if (current == null) {
      devices = device;
    } else if (current instanceof DeviceSession only) {
      devices = new DeviceSession[] {only, device};
    } else {
      DeviceSession[] array = (DeviceSession[]) current;
      DeviceSession[] grown = Arrays.copyOf(array, array.length + 1);
      grown[array.length] = device;
      devices = grown;
    }
  }

  /**
   * Replaces {@code old} with {@code replacement} in place; returns false if {@code old} is not here.
   * Guarded by this; only through {@link Users#replaceDevice}.
   */
  boolean replace(DeviceSession old, DeviceSession replacement) {
    Object current = devices;
    if (current == old) {
      devices = replacement;
    } else if (current instanceof DeviceSession[] array) {
      DeviceSession[] copy = array.clone();
      for (int i = 0; i < copy.length; i++) {
        if (copy[i] == old) {
          copy[i] = replacement;
        }
      }
      devices = copy;
    } else {
      return false;
    }
    return true;
  }

  /** Returns false if {@code device} is not here. Guarded by this; only through {@link Users#removeDevice}. */
  boolean remove(DeviceSession device) {
    Object current = devices;
    if (current == device) {
      devices = null;
      return true;
    }
    if (!(current instanceof DeviceSession[] array)) {
      return false;
    }
    int index = -1;
    for (int i = 0; i < array.length; i++) {
      if (array[i] == device) {
        index = i;
        break;
      }
    }
    if (index < 0) {
      return false;
    }
    if (array.length == 2) {
      devices = array[1 - index];
      return true;
    }
    DeviceSession[] shrunk = new DeviceSession[array.length - 1];
    System.arraycopy(array, 0, shrunk, 0, index);
    System.arraycopy(array, index + 1, shrunk, index, array.length - index - 1);
    devices = shrunk;
    return true;
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
    return devices == null
        && statusTimer == null
        && !writeInFlight()
        && !retryPending()
        && (writes == null || writes.isEmpty());
  }
}
