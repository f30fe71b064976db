package dev.presence;

/**
 * Why and when a connection closed, made once it closes: a connection that is open (most of them,
 * most of the time) carries one null reference instead of a reason and two timestamps.
 *
 * <p>Immutable, so it is safe to read without the user lock.
 *
 * @param reason why the connection closed
 * @param atNanos ticker time of the disconnect that put the device in grace; 0 for other closes
 * @param atMillis wall time of that disconnect (the device's last seen if grace runs out); 0 for others
 */
record CloseStamp(CloseReason reason, long atNanos, long atMillis) {

  /** The same stamp with another reason: a later close keeps the time the device went into grace. */
  CloseStamp because(CloseReason newReason) {
    return new CloseStamp(newReason, atNanos, atMillis);
  }
}
