package dev.presence;

/**
 * (User id, device id) → session, for every device connected or in grace on this node: the index
 * behind {@code heartbeat(userId, deviceId)} and the other by-id calls.
 *
 * <p>No pair hash is kept in each session: a probe compares the ids once the slot's one-byte tag
 * matches, and only writes and rebuilds compute the hash.
 *
 * <p>Thread-safety: as {@link IdTable}: lookups take no lock, writes lock one segment.
 */
final class DeviceTable extends IdTable<DeviceSession> {
  /**
   * Computed, not kept in the session (4 B per device, 8 with the JVM's alignment): the ids' {@code
   * String} hashes are cached, and only writes and rebuilds ask.
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
}
