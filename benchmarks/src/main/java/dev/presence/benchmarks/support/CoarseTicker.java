package dev.presence.benchmarks.support;

import dev.presence.Ticker;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Ticker} that reads a volatile field a daemon thread refreshes from {@link
 * System#nanoTime()} every millisecond. Reading it is a plain load, which does not stop the CPU from
 * overlapping one heartbeat's cache misses with the next (a {@code nanoTime()} read through the
 * vDSO orders the instruction stream); its error, up to a millisecond, is far below the engine's
 * 100 ms tick. Used by the heartbeat benchmark to show what the clock read costs.
 */
public final class CoarseTicker implements Ticker, AutoCloseable {
  private volatile long now = System.nanoTime();
  private volatile boolean running = true;

  public CoarseTicker() {
    Thread thread =
        new Thread(
            () -> {
              while (running) {
                now = System.nanoTime();
                LockSupport.parkNanos(1_000_000);
              }
            },
            "coarse-ticker");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public long read() {
    return now;
  }

  @Override
  public void close() {
    running = false;
  }
}
