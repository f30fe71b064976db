package dev.presence.benchmarks.support;

import dev.presence.Presence;
import dev.presence.PresenceBuilder;
import dev.presence.testkit.ManualTime;

/** Engine builders preset for benchmarks. */
public final class Engines {
  private Engines() {}

  /**
   * A builder whose ticker, wall clock and scheduler are {@code time}, with timer-started store calls
   * inline on the thread that advances it: nothing moves on its own, and nothing runs elsewhere.
   */
  public static PresenceBuilder manual(ManualTime time) {
    return Presence.builder().ticker(time).clock(time).scheduler(time).storeExecutor(Runnable::run);
  }
}
