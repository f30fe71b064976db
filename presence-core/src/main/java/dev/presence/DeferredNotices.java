package dev.presence;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/**
 * Close notices the delivery executor rejected (a saturated bounded pool, or one already shut down),
 * kept until a thread that holds no engine lock tells them: the end of a connection's close ({@link
 * DeviceLifecycle#tellClosed}), the next timer tick, the end of a lease renewal, or the engine's
 * close. A sink is never called
 * under an engine lock, and telling it on the closing thread would be, for a subscriber closed with
 * its connection (under the user's lock) or by a typing fanout giving its call back (under the
 * channel's monitor).
 *
 * <p>Each notice is told exactly once, by whichever thread takes it from the queue: offered to the
 * delivery executor again first (a saturated pool may have room by then, and a blocking sink should
 * not hold up the timer thread), and run on the taking thread if it rejects again. Once the engine
 * has told its last ones ({@link #tellAndFinish}) no tick will come, so a notice deferred after that
 * is told at once by the thread that defers it; that thread may hold a lock (a typing fanout racing
 * the engine's close), which only a closing engine with a rejecting executor can cause.
 *
 * <p>Thread-safe.
 */
final class DeferredNotices {
  private final ConcurrentLinkedQueue<Runnable> notices = new ConcurrentLinkedQueue<>();
  private final Executor delivery;
  private volatile boolean finished;

  DeferredNotices(Executor delivery) {
    this.delivery = delivery;
  }

  /** Keeps a notice for the next {@link #tell}; tells it now if the engine has finished. */
  void defer(Runnable notice) {
    notices.add(notice);
    if (finished) {
      tell();
    }
  }

  /** With no engine lock held: tells every notice kept so far, each once. */
  void tell() {
    Runnable notice;
    while ((notice = notices.poll()) != null) {
      if (finished) {
        notice.run();
        continue;
      }
      try {
        delivery.execute(notice);
      } catch (RuntimeException e) { // rejected, or an application's executor failing otherwise
        notice.run(); // not lost either way
      }
    }
  }

  /**
   * By the engine's close, with no lock held: tells what is kept, on this thread (the engine's own
   * pool is about to stop); later notices are told at once.
   */
  void tellAndFinish() {
    finished = true;
    tell();
  }
}
