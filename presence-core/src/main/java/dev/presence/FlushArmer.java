package dev.presence;

/**
 * The flushes one fanout has to schedule, gathered so that one lock of the timer queue arms up to
 * {@link #BATCH} of them ({@link SubscriptionHub#scheduleFlushes}). One per fanout, on its thread;
 * not thread-safe.
 */
final class FlushArmer {
  /** Flushes scheduled per lock of the timer queue. */
  private static final int BATCH = 64;

  private final SubscriptionHub hub;
  private final int most;
  private RealSubscriber[] batch;
  private int count;

  /** For a fanout to at most {@code most} subscribers. */
  FlushArmer(SubscriptionHub hub, int most) {
    this.hub = hub;
    this.most = most;
  }

  /** One more flush to schedule; at most {@code left} more (this one included) can follow. */
  void arm(RealSubscriber subscriber, int left) {
    if (batch == null) {
      // No larger than the edges left to visit: a change reaching a few watchers allocates little.
      batch = new RealSubscriber[Math.max(1, Math.min(BATCH, Math.min(most, left)))];
    }
    batch[count++] = subscriber;
    if (count == batch.length) {
      flush();
    }
  }

  /** Schedules what was gathered. */
  void flush() {
    if (count > 0) {
      hub.scheduleFlushes(batch, count);
      count = 0;
    }
  }
}
