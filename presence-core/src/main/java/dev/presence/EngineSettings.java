package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
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
    Duration lease,
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

  /**
   * Validates every setting and resolves every default into the complete settings of one engine,
   * starting the threads the engine will own.
   *
   * @param b the builder
   * @return the settings
   * @throws IllegalArgumentException naming every setting whose value is out of range
   */
  static EngineSettings resolve(PresenceBuilder b) {
    List<String> problems = new ArrayList<>();
    Duration grace = orDefault(b.grace, PresenceBuilder.DEFAULT_GRACE);
    Duration ttl = orDefault(b.heartbeatTtl, PresenceBuilder.DEFAULT_HEARTBEAT_TTL);
    Duration idle = orDefault(b.idleAfter, PresenceBuilder.DEFAULT_IDLE_AFTER);
    Duration resolution = orDefault(b.timerResolution, PresenceBuilder.DEFAULT_TIMER_RESOLUTION);
    int maxDevices = b.maxDevicesPerUser == null ? PresenceBuilder.DEFAULT_MAX_DEVICES_PER_USER : b.maxDevicesPerUser;
    if (grace.isNegative()) {
      problems.add("grace must not be negative but was " + grace);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      problems.add("heartbeatTtl must be positive but was " + ttl);
    }
    if (idle.isNegative() || idle.isZero()) {
      problems.add("idleAfter must be positive but was " + idle);
    }
    if (resolution.compareTo(Duration.ofMillis(1)) < 0 || resolution.compareTo(Duration.ofSeconds(1)) > 0) {
      problems.add("timerResolution must be between PT0.001S and PT1S but was " + resolution);
    }
    if (maxDevices < 1 || maxDevices > 1024) {
      problems.add("maxDevicesPerUser must be between 1 and 1024 but was " + maxDevices);
    }
    Duration flush = orDefault(b.flushInterval, PresenceBuilder.DEFAULT_FLUSH_INTERVAL);
    int maxSubscriptions =
        b.maxSubscriptionsPerSubscriber == null ? PresenceBuilder.DEFAULT_MAX_SUBSCRIPTIONS_PER_SUBSCRIBER : b.maxSubscriptionsPerSubscriber;
    int statusChanges =
        b.statusChangesPerWindow == null ? PresenceBuilder.DEFAULT_STATUS_CHANGES_PER_WINDOW : b.statusChangesPerWindow;
    Duration statusWindow = orDefault(b.statusChangeWindow, PresenceBuilder.DEFAULT_STATUS_CHANGE_WINDOW);
    Duration typing = orDefault(b.typingTimeout, PresenceBuilder.DEFAULT_TYPING_TIMEOUT);
    Duration refresh = orDefault(b.typingRefreshInterval, PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL);
    int typingChannels = b.maxTypingChannelsPerUser == null ? PresenceBuilder.DEFAULT_MAX_TYPING_CHANNELS_PER_USER : b.maxTypingChannelsPerUser;
    if (flush.isNegative() || flush.compareTo(Duration.ofMinutes(1)) > 0) {
      problems.add("flushInterval must be between PT0S and PT1M but was " + flush);
    }
    if (maxSubscriptions < 1 || maxSubscriptions > 1_000_000) {
      problems.add("maxSubscriptionsPerSubscriber must be between 1 and 1000000 but was " + maxSubscriptions);
    }
    if (statusChanges < 1) {
      problems.add("statusChangesPerWindow must be positive but was " + statusChanges);
    }
    if (statusWindow.isNegative() || statusWindow.isZero()) {
      problems.add("statusChangeWindow must be positive but was " + statusWindow);
    }
    if (typing.isNegative() || typing.isZero()) {
      problems.add("typingTimeout must be positive but was " + typing);
    }
    if (refresh.isNegative() || refresh.isZero() || refresh.compareTo(Duration.ofDays(1)) > 0) {
      problems.add("typingRefreshInterval must be between PT0S (exclusive) and PT24H but was " + refresh);
    }
    Duration leaseLength = orDefault(b.lease, PresenceBuilder.DEFAULT_LEASE);
    Duration renewEvery = orDefault(b.leaseRenewInterval, PresenceBuilder.DEFAULT_LEASE_RENEW_INTERVAL);
    Duration timeout = orDefault(b.busWatchTimeout, PresenceBuilder.DEFAULT_BUS_WATCH_TIMEOUT);
    if (leaseLength.isNegative() || leaseLength.isZero()) {
      problems.add("lease must be positive but was " + leaseLength);
    }
    if (renewEvery.isNegative() || renewEvery.isZero() || renewEvery.compareTo(leaseLength) >= 0) {
      problems.add("leaseRenewInterval must be positive and shorter than lease (" + leaseLength + ") but was " + renewEvery);
    }
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
      problems.add("busWatchTimeout must be between PT0.001S and PT1M but was " + timeout);
    }
    Duration writeTimeout = orDefault(b.storeTimeout, PresenceBuilder.DEFAULT_STORE_TIMEOUT);
    if (writeTimeout.compareTo(Duration.ofMillis(1)) < 0 || writeTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
      problems.add("storeTimeout must be between PT0.001S and PT1M but was " + writeTimeout);
    }
    if (typingChannels < 1 || typingChannels > 1000) {
      problems.add("maxTypingChannelsPerUser must be between 1 and 1000 but was " + typingChannels);
    }
    if (b.nodeId != null) {
      try {
        Ids.check("nodeId", b.nodeId);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid presence settings: " + String.join("; ", problems));
    }
    String node = b.nodeId != null ? b.nodeId : "node-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    ScheduledExecutorService ownedTimerThread =
        b.scheduler == null
            ? Executors.newSingleThreadScheduledExecutor(daemonThreads("presence-timer-" + node))
            : null;
    InstantSource wallClock = b.clock != null ? b.clock : InstantSource.system();
    // The default store lives in this JVM and follows the engine's clock; it needs no thread of its own.
    PresenceStore resolvedStore = b.store != null ? b.store : new InMemoryPresenceStore(wallClock);
    boolean inMemory = resolvedStore instanceof InMemoryPresenceStore;
    ExecutorService ownedStoreThread =
        b.storeExecutor == null && !inMemory
            ? Executors.newFixedThreadPool(STORE_THREADS, daemonThreads("presence-store-" + node))
            : null;
    Executor storeCalls = b.storeExecutor != null ? b.storeExecutor : inMemory ? Runnable::run : ownedStoreThread;
    ExecutorService ownedDelivery =
        b.deliveryExecutor == null
            ? Executors.newCachedThreadPool(daemonThreads("presence-delivery-" + node))
            : null;
    return new EngineSettings(
        b.ticker != null ? b.ticker : Ticker.system(),
        wallClock,
        b.scheduler != null ? b.scheduler : Scheduler.of(ownedTimerThread),
        resolvedStore,
        b.bus != null ? b.bus : new LocalPresenceBus(),
        b.aggregationPolicy != null ? b.aggregationPolicy : AggregationPolicy.standard(),
        b.visibilityPolicy != null ? b.visibilityPolicy : VisibilityPolicy.everyone(),
        b.deliveryExecutor != null ? b.deliveryExecutor : ownedDelivery,
        b.listeners,
        grace.toNanos(),
        ttl.toNanos(),
        idle.toNanos(),
        resolution.toNanos(),
        maxDevices,
        b.deviceOverflow != null ? b.deviceOverflow : PresenceBuilder.DEFAULT_DEVICE_OVERFLOW,
        node,
        windowNanos(flush.toNanos(), resolution.toNanos()),
        maxSubscriptions,
        statusChanges,
        statusWindow.toNanos(),
        typing.toNanos(),
        refresh.toNanos(),
        typingChannels,
        leaseLength,
        renewEvery.toNanos(),
        storeCalls,
        timeout.toNanos(),
        writeTimeout.toNanos(),
        ownedTimerThread,
        b.bus == null,
        ownedDelivery,
        ownedStoreThread);
  }

  /** Threads of the default store executor: as many store calls can hang before timer work queues. */
  private static final int STORE_THREADS = 4;

  private static Duration orDefault(Duration value, Duration fallback) {
    return value == null ? fallback : value;
  }

  /**
   * The flush interval as the engine keeps it: rounded up to whole timer ticks, so every window
   * boundary falls on a tick and batches go out a whole interval apart (a 150 ms interval on 100 ms
   * ticks would serve its boundaries at 200, 300, 500, 600 ms: 100 ms apart, then 200). Zero stays zero.
   */
  static long windowNanos(long flushNanos, long tickNanos) {
    if (flushNanos == 0) {
      return 0;
    }
    return Math.multiplyExact((flushNanos + tickNanos - 1) / tickNanos, tickNanos);
  }
}
