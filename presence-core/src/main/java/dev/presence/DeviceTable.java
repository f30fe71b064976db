package dev.presence;

/**
 * (User id, device id) → session, for every device connected or in grace on this node: the index
 * behind {@code heartbeat(userId, deviceId)} and the other by-id calls.
 *
 * <p>Its {@link #find} is the generic {@link IdTable#get} written out for sessions: no calls through
 * {@link #hashOf}, {@link #first} and {@link #second} (the generic probe is shared by both of the
 * engine's tables, so those calls see two receiver types), and no pair hash kept in each session: a
 * probe compares the ids once the slot's one-byte tag matches. The JIT still compiles {@code find} on
 * its own rather than inline it (two inlined {@code String.equals} make it too big), so a lookup is
 * one direct call.
 *
 * <p>Thread-safety: as {@link IdTable}: lookups take no lock, writes lock one segment.
 */
final class DeviceTable extends IdTable<DeviceSession> {
  /**
   * Computed, not kept in the session (4 B per device, 8 with the JVM's alignment): the ids' {@code
   * String} hashes are cached, and only writes and rebuilds ask; {@link #find} compares ids once the
   * slot's tag matches.
   */
  @Override
  int hashOf(DeviceSession session) {
    return hash(session.userId, session.deviceId);
  }

  @Override
  String first(DeviceSession session) {
    return session.userId;
  }

  @Override
  String second(DeviceSession session) {
    return session.deviceId;
  }

  /** The session of this device, or null; no lock, no allocation. Same answers as {@link #get}. */
  DeviceSession find(String userId, String deviceId) {
    int hash = hash(userId, deviceId);
    Slots slots = slotsFor(hash);
    Object[] entries = slots.entries;
    byte[] tags = slots.tags;
    byte tag = tag(hash);
    int mask = entries.length - 1;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      Object slot = slotAt(entries, i);
      if (slot == null) {
        return null; // never more than half full: every probe ends
      }
      if (tags[i] == tag && slot != TOMBSTONE) {
        DeviceSession session = (DeviceSession) slot;
        if (sameIds(session, userId, deviceId)) { // a tag matches another entry 1 time in 256
          return session;
        }
      }
    }
  }

  /** Device id first: the shorter compare, and the one that tells a user's devices apart. */
  private static boolean sameIds(DeviceSession session, String userId, String deviceId) {
    String device = session.deviceId;
    if (device != deviceId && !device.equals(deviceId)) {
      return false;
    }
    String user = session.userId;
    return user == userId || user.equals(userId);
  }
}
