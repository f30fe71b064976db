package dev.presence;

/**
 * What {@link Presence#connect} does when the user already has {@code maxDevicesPerUser} devices.
 * Set with {@link PresenceBuilder#deviceOverflow(DeviceOverflow)}.
 */
public enum DeviceOverflow {
  /** Refuse the new device with a {@link LimitExceededException}; nothing changes. The default. */
  REJECT,
  /**
   * Make room: the user's least recently active device on this node (one in grace first, else the one
   * with the oldest input) is removed in the same store write that adds the new one, and its
   * connection closes with {@link CloseReason#REPLACED}. Nobody watching sees a flicker. So whoever
   * can open many connections under a user's id cannot lock that user out. If the user has no device
   * on this node (all are on other nodes), the new device is refused as with {@link #REJECT}.
   */
  REPLACE_LEAST_RECENTLY_ACTIVE
}
