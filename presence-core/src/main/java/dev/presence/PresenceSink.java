package dev.presence;

import java.util.List;

/**
 * Where a subscriber's deliveries go: the application implements it to write to its socket.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Calls for one subscriber never overlap and arrive in order; calls for different subscribers
 *       may run concurrently on different threads of the delivery executor.
 *   <li>Never called while the engine holds a lock, and never on the thread that reported the change,
 *       unless the application configured a direct delivery executor.
 *   <li>Should be fast. A slow or blocked sink delays only itself: while one of its calls runs, its
 *       further changes coalesce (latest per user), so its buffer never holds more than one entry
 *       per watched user.
 *   <li>The first batch may arrive before {@code watchUsers} or {@code watchChannel} has returned
 *       its snapshot (with a zero flush interval, or when a member joins meanwhile): apply
 *       snapshots and batches by version, keeping the higher one per user.
 *   <li>With a direct delivery executor the sink runs on the engine's thread, under its locks: it
 *       must then not call back into the engine or close a subscriber.
 *   <li>A sink that throws is logged and counted in {@link PresenceStats#sinkFailures()}; the
 *       subscriber stays open and later deliveries go on.
 * </ul>
 */
public interface PresenceSink {

  /**
   * A batch of presence changes: the latest presence of each user that changed since the last
   * batch, at most one batch per flush window (windows of {@link PresenceBuilder#flushInterval} are
   * aligned on the engine's clock; a batch that waited for a slow call of this sink can come late in a
   * window, shortly before the next window's). Users whose change was reversed within the window are
   * left out.
   *
   * @param changes one entry per user, never empty; unmodifiable
   */
  void onPresence(List<UserPresence> changes);

  /**
   * Typing events, delivered promptly rather than held for the flush interval.
   *
   * @param events in order, never empty; unmodifiable
   */
  void onTyping(List<TypingEvent> events);

  /**
   * The engine closed this sink's subscriber: its connection closed (the reason is the connection's:
   * {@link CloseReason#DISCONNECTED}, {@link CloseReason#EXPIRED}, {@link CloseReason#TAKEN_OVER},
   * {@link CloseReason#REPLACED}, {@link CloseReason#REFUSED}) or the engine closed ({@link CloseReason#ENGINE_CLOSED}). Called
   * once, after any other call of this sink has returned, and never when the application closed the
   * subscriber itself. Nothing is delivered afterwards. The default does nothing.
   *
   * @param reason why
   */
  default void onClosed(CloseReason reason) {}
}
