package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Configures and builds a {@link Presence} engine. Every setting has a default; each may be set once.
 *
 * <p>Not thread-safe: configure on one thread, then call {@link #build()}. Setters throw {@link
 * NullPointerException} for null and {@link IllegalStateException} when a setting is set twice;
 * {@link #build()} checks every value at once and names each one that is wrong.
 */
public final class PresenceBuilder {
  // ---- defaults

  /** Default grace period after a disconnect before a device is gone. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  /** Default time without a heartbeat after which a device is gone. */
  public static final Duration DEFAULT_HEARTBEAT_TTL = Duration.ofSeconds(45);
  /** Default time without input after which a device is idle. */
  public static final Duration DEFAULT_IDLE_AFTER = Duration.ofMinutes(5);
  /** Default timer tick: deadlines fire at most this late. */
  public static final Duration DEFAULT_TIMER_RESOLUTION = Duration.ofMillis(100);
  /** Default limit of devices per user, across all nodes. */
  public static final int DEFAULT_MAX_DEVICES_PER_USER = 32;
  /** Default throttle: a subscriber gets at most one presence batch per this interval. */
  public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);
  /** Default limit of users plus channels one subscriber watches. */
  public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_SUBSCRIBER = 5_000;
  /** Default token bucket size for status changes from one device. */
  public static final int DEFAULT_STATUS_CHANGES_PER_WINDOW = 10;
  /** Default token bucket window: {@link #DEFAULT_STATUS_CHANGES_PER_WINDOW} tokens refill over it. */
  public static final Duration DEFAULT_STATUS_CHANGE_WINDOW = Duration.ofSeconds(10);
  /** Default time after the last keystroke at which typing stops (brief §3). */
  public static final Duration DEFAULT_TYPING_TIMEOUT = Duration.ofSeconds(5);
  /**
   * Default typing refresh interval: a 20 s burst is 5 events (start, 3 refreshes, stop); an event's expiry is then
   * 5 + 5 + 1.6 = 11.6 s ahead, the longest a stale indicator outlives its typist's node (2 s: 11 events, 8.6 s).
   */
  public static final Duration DEFAULT_TYPING_REFRESH_INTERVAL = Duration.ofSeconds(5);
  /** Default limit of channels one user types in at once. */
  public static final int DEFAULT_MAX_TYPING_CHANNELS_PER_USER = 5;
  /** Default answer to a device past {@code maxDevicesPerUser}: refuse it. */
  public static final DeviceOverflow DEFAULT_DEVICE_OVERFLOW = DeviceOverflow.REJECT;
  /** Default node lease: how long a node's devices outlive its last renewal (plus grace) if it dies. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);
  /** Default interval between two renewals of the node lease (and sweeps of dead nodes). */
  public static final Duration DEFAULT_LEASE_RENEW_INTERVAL = Duration.ofSeconds(5);
  /** Default bound on how long a watch waits for the bus to confirm it before reading its snapshot. */
  public static final Duration DEFAULT_BUS_WATCH_TIMEOUT = Duration.ofSeconds(5);
  /** Default bound on how long {@code connect} and {@code setStatus} wait for their store write. */
  public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofSeconds(2);

  // ---- settings given so far (null: not set)

  Ticker ticker;
  InstantSource clock;
  Scheduler scheduler;
  Duration grace;
  Duration heartbeatTtl;
  Duration idleAfter;
  Duration timerResolution;
  Integer maxDevicesPerUser;
  DeviceOverflow deviceOverflow;
  Duration lease;
  Duration leaseRenewInterval;
  Executor storeExecutor;
  Duration busWatchTimeout;
  Duration storeTimeout;
  AggregationPolicy aggregationPolicy;
  PresenceStore store;
  PresenceBus bus;
  String nodeId;
  Duration flushInterval;
  Executor deliveryExecutor;
  VisibilityPolicy visibilityPolicy;
  Integer maxSubscriptionsPerSubscriber;
  Integer statusChangesPerWindow;
  Duration statusChangeWindow;
  Duration typingTimeout;
  Duration typingRefreshInterval;
  Integer maxTypingChannelsPerUser;
  final List<PresenceListener> listeners = new ArrayList<>();

  PresenceBuilder() {}

  // ---- setters

  /**
   * The monotonic time source for deadlines; default {@link Ticker#system()}.
   *
   * @param ticker the ticker
   * @return this builder
   */
  public PresenceBuilder ticker(Ticker ticker) {
    this.ticker = once("ticker", this.ticker, ticker);
    return this;
  }

  /**
   * The wall clock for last seen and status expiry; default {@link InstantSource#system()}.
   *
   * @param clock the wall clock
   * @return this builder
   */
  public PresenceBuilder clock(InstantSource clock) {
    this.clock = once("clock", this.clock, clock);
    return this;
  }

  /**
   * Drives the timer wheel, one task per tick; default one daemon thread owned by the engine. Timer
   * work (grace ends, expiries, idle) runs on the scheduler's thread.
   *
   * @param scheduler the scheduler
   * @return this builder
   */
  public PresenceBuilder scheduler(Scheduler scheduler) {
    this.scheduler = once("scheduler", this.scheduler, scheduler);
    return this;
  }

  /**
   * How long a disconnected device still counts; default {@link #DEFAULT_GRACE}; zero allowed.
   *
   * @param grace the grace period, zero or more
   * @return this builder
   */
  public PresenceBuilder grace(Duration grace) {
    this.grace = once("grace", this.grace, grace);
    return this;
  }

  /**
   * How long a device may go without a heartbeat; default {@link #DEFAULT_HEARTBEAT_TTL}.
   *
   * @param heartbeatTtl the heartbeat TTL
   * @return this builder
   */
  public PresenceBuilder heartbeatTtl(Duration heartbeatTtl) {
    this.heartbeatTtl = once("heartbeatTtl", this.heartbeatTtl, heartbeatTtl);
    return this;
  }

  /**
   * How long without input before a device is idle; default {@link #DEFAULT_IDLE_AFTER}.
   *
   * @param idleAfter the time without input after which a device is idle
   * @return this builder
   */
  public PresenceBuilder idleAfter(Duration idleAfter) {
    this.idleAfter = once("idleAfter", this.idleAfter, idleAfter);
    return this;
  }

  /**
   * The timer tick, between 1 ms and 1 s; default {@link #DEFAULT_TIMER_RESOLUTION}.
   *
   * @param timerResolution the tick
   * @return this builder
   */
  public PresenceBuilder timerResolution(Duration timerResolution) {
    this.timerResolution = once("timerResolution", this.timerResolution, timerResolution);
    return this;
  }

  /**
   * The most devices one user may have across nodes, 1 to 1024; default {@link
   * #DEFAULT_MAX_DEVICES_PER_USER}. The store checks it when a connect's claim lands: a claim still
   * queued when {@code connect} returned (a store outage) and refused later closes the connection
   * with {@link CloseReason#REFUSED}.
   *
   * @param maxDevicesPerUser the limit, 1 to 1024
   * @return this builder
   */
  public PresenceBuilder maxDevicesPerUser(int maxDevicesPerUser) {
    this.maxDevicesPerUser = once("maxDevicesPerUser", this.maxDevicesPerUser, maxDevicesPerUser);
    return this;
  }

  /**
   * The node's lease in the store: if this node stops renewing it (crash, long pause, partition),
   * the other nodes remove its devices once the lease and then the grace have run out, so its users
   * go offline everywhere with one change each. Default {@link #DEFAULT_LEASE}.
   *
   * @param lease the lease's duration
   * @return this builder
   */
  public PresenceBuilder lease(Duration lease) {
    this.lease = once("lease", this.lease, lease);
    return this;
  }

  /**
   * How often the node renews its lease in the store and sweeps dead nodes; shorter than the lease.
   * Default {@link #DEFAULT_LEASE_RENEW_INTERVAL}.
   *
   * @param leaseRenewInterval the renewal interval
   * @return this builder
   */
  public PresenceBuilder leaseRenewInterval(Duration leaseRenewInterval) {
    this.leaseRenewInterval = once("leaseRenewInterval", this.leaseRenewInterval, leaseRenewInterval);
    return this;
  }

  /**
   * Sends every store write ({@code applyAsync}, one in flight per user) and runs the work that
   * timers start (grace ends, heartbeat expiries, idle changes, status expiries, lease renewals and
   * sweeps), so a slow store delays no timer, no subscriber flush and no lock holder. Default: inline
   * for an {@link InMemoryPresenceStore} (no I/O), else four daemon threads owned by the engine.
   *
   * @param storeExecutor the executor for store writes and timer work
   * @return this builder
   */
  public PresenceBuilder storeExecutor(Executor storeExecutor) {
    this.storeExecutor = once("storeExecutor", this.storeExecutor, storeExecutor);
    return this;
  }

  /**
   * The longest a caller waits for the bus to confirm a watch before reading its snapshot anyway
   * (what changes meanwhile is re-read once the watch is confirmed); at most one minute. Default
   * {@link #DEFAULT_BUS_WATCH_TIMEOUT}.
   *
   * @param busWatchTimeout the timeout, at most one minute
   * @return this builder
   */
  public PresenceBuilder busWatchTimeout(Duration busWatchTimeout) {
    this.busWatchTimeout = once("busWatchTimeout", this.busWatchTimeout, busWatchTimeout);
    return this;
  }

  /**
   * The longest {@code connect} and {@code setStatus} wait for their store write (between 1 ms and 1
   * minute); then they return with the write still queued: {@code connect} a working connection
   * whose claim is retried, {@code setStatus} the predicted presence. Every store write is
   * asynchronous and ordered per user; reads ({@code get}, snapshots) are bounded by the store's own
   * timeout. Default {@link #DEFAULT_STORE_TIMEOUT}.
   *
   * @param storeTimeout the timeout, 1 ms to 1 minute
   * @return this builder
   */
  public PresenceBuilder storeTimeout(Duration storeTimeout) {
    this.storeTimeout = once("storeTimeout", this.storeTimeout, storeTimeout);
    return this;
  }

  /**
   * What a connect past {@code maxDevicesPerUser} does: refuse the new device, or replace the user's
   * least recently active device on this node; default {@link #DEFAULT_DEVICE_OVERFLOW}.
   *
   * @param deviceOverflow the overflow policy
   * @return this builder
   */
  public PresenceBuilder deviceOverflow(DeviceOverflow deviceOverflow) {
    this.deviceOverflow = once("deviceOverflow", this.deviceOverflow, deviceOverflow);
    return this;
  }

  /**
   * How devices combine into one user presence; default {@link AggregationPolicy#standard()}.
   *
   * @param aggregationPolicy the policy
   * @return this builder
   */
  public PresenceBuilder aggregationPolicy(AggregationPolicy aggregationPolicy) {
    this.aggregationPolicy = once("aggregationPolicy", this.aggregationPolicy, aggregationPolicy);
    return this;
  }

  /**
   * Where user records live; default a new {@link InMemoryPresenceStore}. The engine
   * does not close a store it was given.
   *
   * @param store the store
   * @return this builder
   */
  public PresenceBuilder store(PresenceStore store) {
    this.store = once("store", this.store, store);
    return this;
  }

  /**
   * How changes reach other nodes; default a new {@link LocalPresenceBus}. The engine
   * leaves a bus it was given open.
   *
   * @param bus the bus
   * @return this builder
   */
  public PresenceBuilder bus(PresenceBus bus) {
    this.bus = once("bus", this.bus, bus);
    return this;
  }

  /**
   * This node's id, unique among the nodes sharing a store; default a random one.
   *
   * @param nodeId the node's id
   * @return this builder
   */
  public PresenceBuilder nodeId(String nodeId) {
    this.nodeId = once("nodeId", this.nodeId, nodeId);
    return this;
  }

  /**
   * The throttle: a subscriber receives at most one presence batch per interval, latest per user;
   * zero delivers at once. The intervals are windows aligned on the engine's clock (multiples of the
   * interval since it was built), so a change waits for the end of the window it happened in, at most
   * one interval and one timer tick (half an interval on average), and every subscriber's batch of a
   * window goes out on the same tick. The interval is rounded up to whole {@link #timerResolution
   * timer ticks}, so that every window ends on a tick. Default {@link #DEFAULT_FLUSH_INTERVAL}; at
   * most one minute.
   *
   * @param flushInterval the interval, zero to one minute
   * @return this builder
   */
  public PresenceBuilder flushInterval(Duration flushInterval) {
    this.flushInterval = once("flushInterval", this.flushInterval, flushInterval);
    return this;
  }

  /**
   * Runs sink calls. Default: a cached pool of daemon threads owned by the engine, so a blocked
   * sink holds one thread and delays nobody else. A direct executor ({@code Runnable::run}) makes
   * delivery synchronous, for tests. The executor must run or reject every task, never drop one
   * silently; a rejected delivery is kept and tried again. It must also keep the {@link Executor}
   * contract that what a thread did before handing a task over happens-before the task runs: a
   * subscriber's task reads the batch it was handed from plain fields.
   *
   * @param deliveryExecutor the executor for sink calls
   * @return this builder
   */
  public PresenceBuilder deliveryExecutor(Executor deliveryExecutor) {
    this.deliveryExecutor = once("deliveryExecutor", this.deliveryExecutor, deliveryExecutor);
    return this;
  }

  /**
   * Who may see whom; default {@link VisibilityPolicy#everyone()}.
   *
   * @param visibilityPolicy the policy
   * @return this builder
   */
  public PresenceBuilder visibilityPolicy(VisibilityPolicy visibilityPolicy) {
    this.visibilityPolicy = once("visibilityPolicy", this.visibilityPolicy, visibilityPolicy);
    return this;
  }

  /**
   * The most users plus channels one subscriber watches, 1 to 1,000,000; default {@link
   * #DEFAULT_MAX_SUBSCRIPTIONS_PER_SUBSCRIBER}.
   *
   * @param maxSubscriptionsPerSubscriber the limit, 1 to 1,000,000
   * @return this builder
   */
  public PresenceBuilder maxSubscriptionsPerSubscriber(int maxSubscriptionsPerSubscriber) {
    this.maxSubscriptionsPerSubscriber =
        once("maxSubscriptionsPerSubscriber", this.maxSubscriptionsPerSubscriber, maxSubscriptionsPerSubscriber);
    return this;
  }

  /**
   * The status-change rate limit per device, a token bucket of {@code changes} tokens refilled
   * evenly over {@code window}; default {@link #DEFAULT_STATUS_CHANGES_PER_WINDOW} per {@link
   * #DEFAULT_STATUS_CHANGE_WINDOW}.
   *
   * @param changes the bucket's size, the changes allowed in a burst
   * @param window the time over which the bucket refills
   * @return this builder
   */
  public PresenceBuilder statusChangeLimit(int changes, Duration window) {
    this.statusChangesPerWindow = once("statusChangesPerWindow", this.statusChangesPerWindow, changes);
    this.statusChangeWindow = once("statusChangeWindow", this.statusChangeWindow, window);
    return this;
  }

  /**
   * How long after the last keystroke typing stops (a STOPPED); default {@link #DEFAULT_TYPING_TIMEOUT}.
   *
   * @param typingTimeout the timeout
   * @return this builder
   */
  public PresenceBuilder typingTimeout(Duration typingTimeout) {
    this.typingTimeout = once("typingTimeout", this.typingTimeout, typingTimeout);
    return this;
  }

  /**
   * How often a steady typing burst is refreshed to receivers, positive, at most a day; default {@link
   * #DEFAULT_TYPING_REFRESH_INTERVAL}. Each start or refresh expires timeout + interval + margin (flush
   * interval + one tick + 0.5 s) after it is sent; a keystroke refreshes only when that expiry is less
   * than timeout + margin ahead. So the indicator never lapses during a burst, and a stale one (the
   * typist's node crashed) goes within timeout + interval + margin: longer means fewer events.
   *
   * @param typingRefreshInterval the interval
   * @return this builder
   */
  public PresenceBuilder typingRefreshInterval(Duration typingRefreshInterval) {
    this.typingRefreshInterval = once("typingRefreshInterval", this.typingRefreshInterval, typingRefreshInterval);
    return this;
  }

  /**
   * The most channels one user types in at once, 1 to 1000; default {@link #DEFAULT_MAX_TYPING_CHANNELS_PER_USER}.
   *
   * @param maxTypingChannelsPerUser the limit, 1 to 1000
   * @return this builder
   */
  public PresenceBuilder maxTypingChannelsPerUser(int maxTypingChannelsPerUser) {
    this.maxTypingChannelsPerUser =
        once("maxTypingChannelsPerUser", this.maxTypingChannelsPerUser, maxTypingChannelsPerUser);
    return this;
  }

  /**
   * Adds a listener for user-level changes; may be called many times. See {@link PresenceListener}.
   *
   * @param listener the listener
   * @return this builder
   */
  public PresenceBuilder listener(PresenceListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  // ---- building

  /**
   * Builds and starts the engine.
   *
   * @return the running engine
   * @throws IllegalArgumentException naming every setting whose value is out of range
   */
  public Presence build() {
    return new PresenceEngine(EngineSettings.resolve(this));
  }

  // ---- internals

  private static <T> T once(String name, T current, T value) {
    Objects.requireNonNull(value, name);
    if (current != null) {
      throw new IllegalStateException(name + " was already set to " + current);
    }
    return value;
  }

  /**
   * The settings given so far, for startup logs; unset settings take their defaults and are left
   * out, as in Caffeine's builder.
   */
  @Override
  public String toString() {
    return BuilderText.describe(this);
  }
}
