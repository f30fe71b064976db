package dev.presence;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Calls a subscriber's {@link PresenceSink} behind the {@link Guarded} policy: a throw is counted in
 * {@link PresenceStats#sinkFailures()} and logged, and the subscriber carries on. Called on the
 * delivery executor, one call at a time per subscriber, never under a lock (unless delivery is
 * direct). Static, with the sink kept in the subscriber ({@link SubscriberDelivery}): a wrapper object
 * per subscriber was one more cache miss per recipient when a change reaches 100,000 of them.
 */
final class GuardedSink {
  private GuardedSink() {}

  static void onTyping(PresenceSink sink, List<TypingEvent> events, LongAdder failures, String watcherUserId) {
    try {
      sink.onTyping(events);
    } catch (Throwable e) {
      failed(sink, e, failures, watcherUserId);
    }
  }

  static void onPresence(PresenceSink sink, List<UserPresence> changes, LongAdder failures, String watcherUserId) {
    try {
      sink.onPresence(changes);
    } catch (Throwable e) {
      failed(sink, e, failures, watcherUserId);
    }
  }

  static void onClosed(PresenceSink sink, CloseReason reason, LongAdder failures, String watcherUserId) {
    try {
      sink.onClosed(reason);
    } catch (Throwable e) {
      failed(sink, e, failures, watcherUserId);
    }
  }

  /** A delivery failed around the sink (the executor rejected it): counted like a sink failure. */
  static void failed(PresenceSink sink, Throwable failure, LongAdder failures, String watcherUserId) {
    Guarded.failed(failure, failures, "presence sink {} of a subscriber of {} failed", sink, Ids.shown(watcherUserId));
  }
}
