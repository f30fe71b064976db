package dev.presence;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Close notices the delivery executor rejected (a saturated bounded pool, or one already shut down),
 * kept until a thread that holds no engine lock tells them: the end of a connection's close ({@link
 * DeviceLifecycle#tellClosed}), the next timer tick, or the engine's close. A sink is never called
 * under an engine lock, and telling it on the closing thread would be, for a subscriber closed with
 * its connection (under the user's lock) or by a typing fanout giving its call back (under the
 * channel's monitor).
 *
 * <p>Each notice is told exactly once, by whichever thread takes it from the queue. Once the engine
 * has told its last ones ({@link #tellAndFinish}) no tick will come, so a notice deferred after that
 * (a race with the engine's close) is told at once by the thread that defers it.
 *
 * <p>Thread-safe.
 */
final class DeferredNotices {
  private final ConcurrentLinkedQueue<Runnable> notices = new ConcurrentLinkedQueue<>();
  private volatile boolean finished;

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
      notice.run();
    }
  }

  /** By the engine's close, with no lock held: tells what is kept; later notices are told at once. */
  void tellAndFinish() {
    finished = true;
    tell();
  }
}
