package dev.presence;

/**
 * Why and when a connection closed, made once it closes: a connection that is open (most of them,
 * most of the time) carries one reference (null, or its status token bucket) instead of a reason and
 * two timestamps. 40 B, paid only by connections in grace or closed.
 *
 * <p>Immutable, so it is safe to read without the user lock.
 *
 * @param reason why the connection closed
 * @param atNanos ticker time of the disconnect that put the device in grace; 0 for other closes
 * @param atMillis wall time of that disconnect (the device's last seen if grace runs out); 0 for others
 * @param tokens the connection's status-change token bucket when it closed (null if full), for a
 *     takeover that carries it on
 */
record CloseStamp(CloseReason reason, long atNanos, long atMillis, TokenBucket tokens) {

  /** A stamp with no token bucket (set by {@link DeviceSession#closed(CloseStamp)}). */
  CloseStamp(CloseReason reason, long atNanos, long atMillis) {
    this(reason, atNanos, atMillis, null);
  }

  /** The same stamp with another reason: a later close keeps the time the device went into grace. */
  CloseStamp because(CloseReason newReason) {
    return new CloseStamp(newReason, atNanos, atMillis, tokens);
  }

  /** The same stamp with this token bucket. */
  CloseStamp carrying(TokenBucket bucket) {
    return new CloseStamp(reason, atNanos, atMillis, bucket);
  }
}
