package dev.presence;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A subscriber's {@link PresenceSink} behind the {@link Guarded} policy: a throw is counted in {@link
 * PresenceStats#sinkFailures()} and logged, and the subscriber carries on. Called on the delivery
 * executor, one call at a time per subscriber, never under a lock (unless delivery is direct).
 */
final class GuardedSink {
  private final PresenceSink sink;
  private final LongAdder failures;
  /** The subscriber's watcher, named in the log. */
  private final String watcherUserId;

  GuardedSink(PresenceSink sink, LongAdder failures, String watcherUserId) {
    this.sink = sink;
    this.failures = failures;
    this.watcherUserId = watcherUserId;
  }

  void onTyping(List<TypingEvent> events) {
    try {
      sink.onTyping(events);
    } catch (Throwable e) {
      failed(e);
    }
  }

  void onPresence(List<UserPresence> changes) {
    try {
      sink.onPresence(changes);
    } catch (Throwable e) {
      failed(e);
    }
  }

  void onClosed(CloseReason reason) {
    try {
      sink.onClosed(reason);
    } catch (Throwable e) {
      failed(e);
    }
  }

  /** A delivery failed around the sink (the executor rejected it): counted like a sink failure. */
  void failed(Throwable failure) {
    Guarded.failed(failure, failures, "presence sink {} of a subscriber of {} failed", sink, Ids.shown(watcherUserId));
  }
}
