package dev.presence.benchmarks.support;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Lags in 1 ms buckets up to 120 s (beyond: the last bucket), recorded from any thread without a
 * lock, read as percentiles. Thread-safe; {@link #reset} while nothing records.
 */
public final class LagHistogram {
  private static final int BUCKETS = 120_001;
  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

  /** Records one lag, in nanoseconds (a negative one counts as 0). */
  public void record(long lagNanos) {
    long millis = Math.max(0, lagNanos / 1_000_000);
    counts.incrementAndGet((int) Math.min(millis, BUCKETS - 1));
  }

  /** Lags recorded since the last reset. */
  public long count() {
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += counts.get(i);
    }
    return total;
  }

  /** The lag in ms at or below which {@code fraction} (0 to 1) of the recorded lags fall; -1 if none. */
  public long percentileMillis(double fraction) {
    long total = count();
    if (total == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(fraction * total));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return i;
      }
    }
    return BUCKETS - 1;
  }

  /** Forgets every lag recorded. */
  public void reset() {
    for (int i = 0; i < BUCKETS; i++) {
      counts.set(i, 0);
    }
  }
}
