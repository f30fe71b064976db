package dev.presence;

/**
 * Why a device connection (and the subscribers bound to it) closed. Reported once per connection to
 * its {@link ConnectionListener}, and to the {@link PresenceSink} of each subscriber the engine closes.
 * More reasons may be added in later versions: treat an unknown one like {@link #EXPIRED}.
 */
public enum CloseReason {
  /** The socket layer closed it ({@link DeviceConnection#disconnect()}); the device is in grace. */
  DISCONNECTED,
  /** No heartbeat came within the heartbeat TTL: the client is presumed gone. */
  EXPIRED,
  /** The same device connected again; the newer connection took over and this one is stale. */
  TAKEN_OVER,
  /**
   * The user reached {@code maxDevicesPerUser} and, under {@link DeviceOverflow#REPLACE_LEAST_RECENTLY_ACTIVE},
   * this was the least recently active device, replaced by a new one.
   */
  REPLACED,
  /** The engine was closed. */
  ENGINE_CLOSED,
  /**
   * The store refused the connection's claim for good after {@code connect} had returned it (the
   * claim was still queued, as during a store outage, when {@code connect} stopped waiting): the user
   * was at {@code maxDevicesPerUser} across nodes. A refusal the store gives within {@code
   * storeTimeout} is thrown by {@code connect} instead, and no connection is made.
   */
  REFUSED
}
