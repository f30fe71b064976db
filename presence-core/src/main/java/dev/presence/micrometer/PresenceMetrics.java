package dev.presence.micrometer;

import dev.presence.Presence;
import dev.presence.PresenceStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds an engine's {@link Presence#stats()} to a Micrometer registry, in the style of Micrometer's
 * {@code CaffeineCacheMetrics}: every meter reads the engine's counters when the registry asks, so
 * the engine does no Micrometer work of its own.
 *
 * <p>Meters, each with the tags given here:
 *
 * <ul>
 *   <li>{@code presence.devices} (gauge), tag {@code state}: {@code connected}, {@code grace}
 *   <li>{@code presence.users} (gauge), tag {@code state}: {@code online}, {@code idle}, {@code dnd}
 *       (users with a device on this node)
 *   <li>{@code presence.subscribers} (gauge)
 *   <li>{@code presence.connects}, {@code presence.disconnects}, {@code presence.reconnects.absorbed},
 *       {@code presence.expiries} (function counters)
 *   <li>{@code presence.failures} (function counter), tag {@code kind}: {@code listener}, {@code sink},
 *       {@code visibility}, {@code bus}, {@code store}
 *   <li>{@code presence.deliveries}, {@code presence.coalesced}, {@code presence.limit.rejections}
 *       (function counters)
 *   <li>{@code presence.store.calls} (function timer: count and total time of store writes) and
 *       {@code presence.store.calls.max} (time gauge: the longest since the engine started)
 * </ul>
 *
 * <p>Micrometer ({@code io.micrometer:micrometer-core}) is an optional dependency of presence-core:
 * add it to use this class; nothing else in the engine loads it. Thread-safe: the meters read the
 * engine's thread-safe snapshot, from whichever thread the registry publishes on. The meters keep
 * only a weak reference to the engine, like Micrometer's own binders; once the engine is unreachable
 * they read {@code NaN}.
 */
public final class PresenceMetrics implements MeterBinder {
  private final Presence presence;
  private final Iterable<Tag> tags;

  /**
   * A binder for one engine.
   *
   * @param presence the engine whose stats are published
   * @param tags tags added to every meter, for example which engine this is when a process has several
   * @throws NullPointerException if {@code presence} or {@code tags} is null
   */
  public PresenceMetrics(Presence presence, Iterable<Tag> tags) {
    this.presence = Objects.requireNonNull(presence, "presence");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  /**
   * Binds an engine's meters to a registry.
   *
   * @param registry the registry to add the meters to
   * @param presence the engine whose stats are published
   * @param tags tags added to every meter, as key-value pairs ({@code "node", "a"})
   * @return the engine, for chaining
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code tags} has an odd number of elements
   */
  public static Presence monitor(MeterRegistry registry, Presence presence, String... tags) {
    new PresenceMetrics(presence, Tags.of(tags)).bindTo(registry);
    return presence;
  }

  /**
   * Adds this engine's meters to {@code registry}. Binding the same engine twice to one registry
   * adds nothing new (the registry keeps the first meter of each name and tags).
   *
   * @param registry the registry to add the meters to
   * @throws NullPointerException if {@code registry} is null
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    gauge(
        registry,
        "presence.devices",
        "state",
        "connected",
        "devices connected to this node",
        PresenceStats::devicesConnected);
    gauge(
        registry,
        "presence.devices",
        "state",
        "grace",
        "devices disconnected and still in grace",
        PresenceStats::devicesInGrace);
    gauge(
        registry,
        "presence.users",
        "state",
        "online",
        "users with a device here whose presence is online",
        PresenceStats::usersOnline);
    gauge(
        registry,
        "presence.users",
        "state",
        "idle",
        "users with a device here whose presence is idle",
        PresenceStats::usersIdle);
    gauge(
        registry,
        "presence.users",
        "state",
        "dnd",
        "users with a device here whose presence is do-not-disturb",
        PresenceStats::usersDnd);
    Gauge.builder("presence.subscribers", presence, stat(PresenceStats::subscribers))
        .tags(tags)
        .description("open subscribers on this node")
        .register(registry);

    counter(registry, "presence.connects", "device connections accepted", PresenceStats::connects);
    counter(
        registry,
        "presence.disconnects",
        "device disconnections, each starting a grace period",
        PresenceStats::disconnects);
    counter(
        registry,
        "presence.reconnects.absorbed",
        "connects that ended a grace period before it ran out",
        PresenceStats::reconnectsAbsorbed);
    counter(
        registry,
        "presence.expiries",
        "devices gone because they stopped heartbeating",
        PresenceStats::expiries);
    failures(registry, "listener", PresenceStats::listenerFailures);
    failures(registry, "sink", PresenceStats::sinkFailures);
    failures(registry, "visibility", PresenceStats::visibilityFailures);
    failures(registry, "bus", PresenceStats::busFailures);
    failures(registry, "store", PresenceStats::storeFailures);
    counter(
        registry,
        "presence.deliveries",
        "presence entries and typing events handed to sinks",
        PresenceStats::deliveries);
    counter(
        registry,
        "presence.coalesced",
        "presence changes coalesced away before delivery",
        PresenceStats::coalesced);
    counter(
        registry,
        "presence.limit.rejections",
        "calls refused for a limit",
        PresenceStats::limitRejections);

    FunctionTimer.builder(
            "presence.store.calls",
            presence,
            engine -> engine.stats().storeCalls(),
            engine -> engine.stats().storeCallNanos(),
            TimeUnit.NANOSECONDS)
        .tags(tags)
        .description("store writes sent, each attempt, and their time from call to completion")
        .register(registry);
    TimeGauge.builder(
            "presence.store.calls.max",
            presence,
            TimeUnit.NANOSECONDS,
            stat(PresenceStats::storeCallMaxNanos))
        .tags(tags)
        .description("the longest store write since the engine started")
        .register(registry);
  }

  private void gauge(
      MeterRegistry registry,
      String name,
      String tagKey,
      String tagValue,
      String description,
      ToLongStat value) {
    Gauge.builder(name, presence, stat(value))
        .tags(tags)
        .tag(tagKey, tagValue)
        .description(description)
        .register(registry);
  }

  private void counter(MeterRegistry registry, String name, String description, ToLongStat value) {
    FunctionCounter.builder(name, presence, stat(value))
        .tags(tags)
        .description(description)
        .register(registry);
  }

  private void failures(MeterRegistry registry, String kind, ToLongStat value) {
    FunctionCounter.builder("presence.failures", presence, stat(value))
        .tags(tags)
        .tag("kind", kind)
        .description("calls that threw, by what was called (store: store calls that will be tried again)")
        .register(registry);
  }

  private static ToDoubleFunction<Presence> stat(ToLongStat value) {
    return engine -> value.of(engine.stats());
  }

  /** One number of a stats snapshot. */
  @FunctionalInterface
  private interface ToLongStat {
    long of(PresenceStats stats);
  }
}
