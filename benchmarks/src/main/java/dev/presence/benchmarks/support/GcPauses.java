package dev.presence.benchmarks.support;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Stop-the-world collections as the JVM's GC notifications report them (with G1 on JDK 17: young,
 * mixed and full collections; the remark and cleanup pauses of concurrent marking are in no bean),
 * and the heap in use after each. Thread-safe; one instance listens for the life of the JVM.
 */
public final class GcPauses {
  private long count;
  private long totalMillis;
  private long maxMillis;
  private long maxUsedAfterBytes;

  /** Starts listening to every collector. */
  public GcPauses() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener(
          (notification, handback) -> {
            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
              GcInfo info =
                  GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData()).getGcInfo();
              long used = 0;
              for (MemoryUsage pool : info.getMemoryUsageAfterGc().values()) {
                used += pool.getUsed();
              }
              collected(info.getDuration(), used);
            }
          },
          null,
          null);
    }
  }

  private synchronized void collected(long millis, long usedAfter) {
    count++;
    totalMillis += millis;
    maxMillis = Math.max(maxMillis, millis);
    maxUsedAfterBytes = Math.max(maxUsedAfterBytes, usedAfter);
  }

  /** Forgets what was seen so far. */
  public synchronized void reset() {
    count = 0;
    totalMillis = 0;
    maxMillis = 0;
    maxUsedAfterBytes = 0;
  }

  /** "N pauses, T ms in all, max M ms; heap after GC ≤ H MB" since the last reset. */
  public synchronized String summary() {
    return String.format(
        "gcPauses=%d gcPauseTotalMs=%d gcPauseMaxMs=%d heapAfterGcMaxMB=%d",
        count, totalMillis, maxMillis, maxUsedAfterBytes >> 20);
  }

  /** Pauses since the last reset. */
  public synchronized long count() {
    return count;
  }

  /** The longest pause since the last reset, in ms. */
  public synchronized long maxMillis() {
    return maxMillis;
  }
}
