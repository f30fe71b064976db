package dev.presence.benchmarks.support;

import java.lang.management.ManagementFactory;

/** Heap in use after full collections: the memory benchmark's measure. */
public final class Heap {
  private Heap() {}

  /** Bytes of heap in use after repeated full GCs, once the figure stops falling. */
  public static long usedAfterGc() {
    long best = Long.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (used >= best && round >= 2) {
        return Math.min(used, best);
      }
      best = Math.min(best, used);
    }
    return best;
  }
}
