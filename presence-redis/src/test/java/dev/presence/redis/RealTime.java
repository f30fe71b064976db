package dev.presence.redis;

import java.time.Duration;

/** Waiting out real time in tests whose store clock is a real server's. */
final class RealTime {
  private RealTime() {}

  /** Sleeps for {@code duration}, keeping the interrupt. */
  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
