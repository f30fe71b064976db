package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Configures and builds a {@link Presence} engine. Every setting has a default; each may be set once.
 *
 * <p>Not thread-safe: configure on one thread, then call {@link #build()}. Setters throw {@link
 * NullPointerException} for null and {@link IllegalStateException} when a setting is set twice;
 * {@link #build()} checks every value at once and names each one that is wrong.
 */
public final class PresenceBuilder {
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

  Ticker ticker;
  InstantSource clock;
  Scheduler scheduler;
  Duration grace;
  Duration heartbeatTtl;
  Duration idleAfter;
  Duration timerResolution;
  Integer maxDevicesPerUser;
  AggregationPolicy aggregationPolicy;
  PresenceStore store;
  PresenceBus bus;
  String nodeId;
  final List<PresenceListener> listeners = new ArrayList<>();

  PresenceBuilder() {}

  /** The monotonic time source for deadlines; default {@link Ticker#system()}. */
  public PresenceBuilder ticker(Ticker ticker) {
    this.ticker = once("ticker", this.ticker, ticker);
    return this;
  }

  /** The wall clock for last seen and status expiry; default {@link InstantSource#system()}. */
  public PresenceBuilder clock(InstantSource clock) {
    this.clock = once("clock", this.clock, clock);
    return this;
  }

  /**
   * Drives the timer wheel, one task per tick; default one daemon thread owned by the engine. Timer
   * work (grace ends, expiries, idle) runs on the scheduler's thread.
   */
  public PresenceBuilder scheduler(Scheduler scheduler) {
    this.scheduler = once("scheduler", this.scheduler, scheduler);
    return this;
  }

  /** How long a disconnected device still counts; default {@link #DEFAULT_GRACE}; zero allowed. */
  public PresenceBuilder grace(Duration grace) {
    this.grace = once("grace", this.grace, grace);
    return this;
  }

  /** How long a device may go without a heartbeat; default {@link #DEFAULT_HEARTBEAT_TTL}. */
  public PresenceBuilder heartbeatTtl(Duration heartbeatTtl) {
    this.heartbeatTtl = once("heartbeatTtl", this.heartbeatTtl, heartbeatTtl);
    return this;
  }

  /** How long without input before a device is idle; default {@link #DEFAULT_IDLE_AFTER}. */
  public PresenceBuilder idleAfter(Duration idleAfter) {
    this.idleAfter = once("idleAfter", this.idleAfter, idleAfter);
    return this;
  }

  /** The timer tick, between 1 ms and 1 s; default {@link #DEFAULT_TIMER_RESOLUTION}. */
  public PresenceBuilder timerResolution(Duration timerResolution) {
    this.timerResolution = once("timerResolution", this.timerResolution, timerResolution);
    return this;
  }

  /** The most devices one user may have, 1 to 1024; default {@link #DEFAULT_MAX_DEVICES_PER_USER}. */
  public PresenceBuilder maxDevicesPerUser(int maxDevicesPerUser) {
    this.maxDevicesPerUser = once("maxDevicesPerUser", this.maxDevicesPerUser, maxDevicesPerUser);
    return this;
  }

  /** How devices combine into one user presence; default {@link AggregationPolicy#standard()}. */
  public PresenceBuilder aggregationPolicy(AggregationPolicy aggregationPolicy) {
    this.aggregationPolicy = once("aggregationPolicy", this.aggregationPolicy, aggregationPolicy);
    return this;
  }

  /**
   * Where user records live; default a new {@link dev.presence.spi.InMemoryPresenceStore}. The engine
   * does not close a store it was given.
   */
  public PresenceBuilder store(PresenceStore store) {
    this.store = once("store", this.store, store);
    return this;
  }

  /**
   * How changes reach other nodes; default a new {@link dev.presence.spi.LocalPresenceBus}. The engine
   * leaves a bus it was given open.
   */
  public PresenceBuilder bus(PresenceBus bus) {
    this.bus = once("bus", this.bus, bus);
    return this;
  }

  /** This node's id, unique among the nodes sharing a store; default a random one. */
  public PresenceBuilder nodeId(String nodeId) {
    this.nodeId = once("nodeId", this.nodeId, nodeId);
    return this;
  }

  /** Adds a listener for user-level changes; may be called many times. See {@link PresenceListener}. */
  public PresenceBuilder listener(PresenceListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * Builds and starts the engine.
   *
   * @throws IllegalArgumentException naming every setting whose value is out of range
   */
  public Presence build() {
    List<String> problems = new ArrayList<>();
    Duration grace = orDefault(this.grace, DEFAULT_GRACE);
    Duration ttl = orDefault(heartbeatTtl, DEFAULT_HEARTBEAT_TTL);
    Duration idle = orDefault(idleAfter, DEFAULT_IDLE_AFTER);
    Duration resolution = orDefault(timerResolution, DEFAULT_TIMER_RESOLUTION);
    int maxDevices = maxDevicesPerUser == null ? DEFAULT_MAX_DEVICES_PER_USER : maxDevicesPerUser;
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
    if (nodeId != null) {
      try {
        Ids.check("nodeId", nodeId);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid presence settings: " + String.join("; ", problems));
    }
    EngineSettings settings =
        new EngineSettings(
            grace.toNanos(),
            ttl.toNanos(),
            idle.toNanos(),
            resolution.toNanos(),
            maxDevices,
            nodeId != null ? nodeId : "node-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    return new PresenceEngine(this, settings);
  }

  private static Duration orDefault(Duration value, Duration fallback) {
    return value == null ? fallback : value;
  }

  private static <T> T once(String name, T current, T value) {
    Objects.requireNonNull(value, name);
    if (current != null) {
      throw new IllegalStateException(name + " was already set to " + current);
    }
    return value;
  }

  /** The validated numeric settings. */
  record EngineSettings(
      long graceNanos,
      long ttlNanos,
      long idleNanos,
      long tickNanos,
      int maxDevicesPerUser,
      String nodeId) {}
}
