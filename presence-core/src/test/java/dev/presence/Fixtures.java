package dev.presence;

import dev.presence.testkit.ManualTime;

/** Builders preset for behaviour tests on a manual clock. */
final class Fixtures {
  private Fixtures() {}

  /**
   * Manual time for deadlines, wall clock and timers; sinks and timer-started store calls run inline
   * on the thread that advances the time.
   */
  static PresenceBuilder manual(ManualTime time) {
    return Presence.builder()
        .ticker(time)
        .clock(time)
        .scheduler(time)
        .deliveryExecutor(Runnable::run)
        .storeExecutor(Runnable::run);
  }

  /** Manual time, but sinks run on the engine's own delivery thread pool (the default). */
  static PresenceBuilder manualWithDeliveryPool(ManualTime time) {
    return Presence.builder().ticker(time).clock(time).scheduler(time).storeExecutor(Runnable::run);
  }
}
