package dev.presence;

/**
 * Told when a device connection closes, so the socket layer can close its socket at once when the
 * engine ended the connection (expired, taken over, replaced, engine closed) rather than when the
 * client next speaks. Passed to {@link Presence#connect(String, String, DeviceInfo, ConnectionListener)}.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Called exactly once per connection, for every reason, including {@link
 *       CloseReason#DISCONNECTED} when the socket layer itself disconnected it.
 *   <li>Called on the thread that closed the connection (the caller of {@code disconnect} or {@code
 *       connect}, the engine's timer thread for an expiry, the caller of {@code close}), after the
 *       engine released its locks, so it may call back into the engine; it should be fast and not
 *       block, since it holds up that thread.
 *   <li>A listener that throws is logged and counted in {@link PresenceStats#listenerFailures()}; the
 *       engine goes on.
 * </ul>
 */
@FunctionalInterface
public interface ConnectionListener {

  /**
   * The connection closed.
   *
   * @param connection the connection, now closed ({@link DeviceConnection#isOpen()} is false)
   * @param reason why
   */
  void onClosed(DeviceConnection connection, CloseReason reason);
}
