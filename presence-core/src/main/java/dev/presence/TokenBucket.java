package dev.presence;

/**
 * The state of a token bucket: {@code tokens} left at ticker time {@code atNanos}. Immutable, so a
 * change that fails after the check leaves the previous state in place. A bucket holds at most {@code
 * capacity} tokens and refills evenly, {@code capacity} tokens per {@code windowNanos}; no state yet
 * ({@code null} where one is kept) means a full bucket.
 */
record TokenBucket(double tokens, long atNanos) {

  /** Tokens available at {@code now} in a bucket last in {@code state} (null: full). */
  static double available(TokenBucket state, int capacity, long windowNanos, long now) {
    if (state == null) {
      return capacity;
    }
    return Math.min(capacity, state.tokens + (now - state.atNanos) * ratePerNano(capacity, windowNanos));
  }

  /** The state after taking one of {@code available} tokens at {@code now}. */
  static TokenBucket take(double available, long now) {
    return new TokenBucket(available - 1, now);
  }

  /** How long until one token is available, when {@code available} is less than one. */
  static long millisUntilOne(double available, int capacity, long windowNanos) {
    return (long) Math.ceil((1 - available) / ratePerNano(capacity, windowNanos) / 1_000_000);
  }

  private static double ratePerNano(int capacity, long windowNanos) {
    return (double) capacity / windowNanos;
  }
}
