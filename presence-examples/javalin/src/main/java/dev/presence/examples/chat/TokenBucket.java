package dev.presence.examples.chat;

import java.time.Duration;

/**
 * A token bucket: up to {@code capacity} actions at once, then one more per {@code refillEvery}.
 * Thread-safe (synchronized); a few lines, so no rate-limiting library for it.
 */
final class TokenBucket {
  private final int capacity;
  private final long refillNanos;
  private double tokens;
  private long updatedAt;

  /**
   * @throws IllegalArgumentException if capacity is below 1 or the refill interval is not positive
   */
  TokenBucket(int capacity, Duration refillEvery, long nowNanos) {
    if (capacity < 1 || refillEvery.isNegative() || refillEvery.isZero()) {
      throw new IllegalArgumentException("a token bucket needs a capacity of 1 or more and a positive refill");
    }
    this.capacity = capacity;
    this.refillNanos = refillEvery.toNanos();
    this.tokens = capacity;
    this.updatedAt = nowNanos;
  }

  /** Takes a token if there is one; false means the action is over the limit. */
  synchronized boolean tryTake(long nowNanos) {
    long elapsed = Math.max(0, nowNanos - updatedAt);
    tokens = Math.min(capacity, tokens + (double) elapsed / refillNanos);
    updatedAt = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
