package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything an engine is made of, resolved once by {@link PresenceBuilder#build()}: every default
 * filled in, every number validated and in nanoseconds. The engine and its parts read only this, never
 * the builder.
 *
 * <p>{@code ownedTimerThread}, {@code ownsBus} and {@code ownedDelivery} say what the engine made for
 * itself and must close: a scheduler, bus or delivery executor the application gave is left alone.
 */
record EngineSettings(
    Ticker ticker,
    InstantSource clock,
    Scheduler scheduler,
    PresenceStore store,
    PresenceBus bus,
    AggregationPolicy policy,
    VisibilityPolicy visibility,
    Executor delivery,
    List<PresenceListener> listeners,
    long graceNanos,
    long ttlNanos,
    long idleNanos,
    long tickNanos,
    int maxDevicesPerUser,
    DeviceOverflow deviceOverflow,
    String nodeId,
    long flushNanos,
    int maxSubscriptionsPerSubscriber,
    int statusChangesPerWindow,
    long statusChangeWindowNanos,
    long typingTimeoutNanos,
    long typingRefreshNanos,
    int maxTypingChannelsPerUser,
    java.time.Duration lease,
    long leaseRenewNanos,
    Executor storeCalls,
    long busWatchTimeoutNanos,
    long storeTimeoutNanos,
    ScheduledExecutorService ownedTimerThread,
    boolean ownsBus,
    ExecutorService ownedDelivery,
    ExecutorService ownedStoreThread) {

  EngineSettings {
    listeners = List.copyOf(listeners);
  }

  /** Daemon threads named {@code name-1}, {@code name-2}, …, for the executors an engine owns. */
  static ThreadFactory daemonThreads(String name) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
