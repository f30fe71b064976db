package dev.presence.redis.micrometer;

import dev.presence.redis.RedisPresenceBus;
import dev.presence.redis.RedisPresenceStore;
import dev.presence.redis.RedisStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Binds the counters of a {@link RedisPresenceStore} or a {@link RedisPresenceBus} ({@link RedisStats})
 * to a Micrometer registry, like {@code dev.presence.micrometer.PresenceMetrics} does for the engine.
 * Bind the engine's metrics too: its store failures and store call times are there.
 *
 * <p>Function counters, each tagged {@code component} ({@code store} or {@code bus}) and with the tags
 * given here:
 *
 * <ul>
 *   <li>{@code presence.redis.commands}: Redis commands sent
 *   <li>{@code presence.redis.reconnects}: connections made again after they were lost
 *   <li>{@code presence.redis.resyncs} (bus only): times the engine was asked to read watched users
 *       again after a reconnect
 *   <li>{@code presence.redis.lease.sweeps} (store only): lives of nodes whose devices were removed
 * </ul>
 *
 * <p>Micrometer is an optional dependency of presence-redis: add it to use this class. Thread-safe:
 * the meters read the thread-safe {@code stats()} of the store or bus. They keep only a weak reference
 * to it, like Micrometer's own binders.
 */
public final class RedisPresenceMetrics implements MeterBinder {
  private final Object source;
  private final String component;
  private final ToStats stats;
  private final Iterable<Tag> tags;

  private RedisPresenceMetrics(Object source, String component, ToStats stats, Iterable<Tag> tags) {
    this.source = source;
    this.component = component;
    this.stats = stats;
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  /**
   * A binder for a store's meters: commands, reconnects and lease sweeps.
   *
   * @param store the store whose counters are published
   * @param tags tags added to every meter
   * @throws NullPointerException if an argument is null
   */
  public RedisPresenceMetrics(RedisPresenceStore store, Iterable<Tag> tags) {
    this(Objects.requireNonNull(store, "store"), "store", source -> ((RedisPresenceStore) source).stats(), tags);
  }

  /**
   * A binder for a bus's meters: commands, reconnects and resyncs.
   *
   * @param bus the bus whose counters are published
   * @param tags tags added to every meter
   * @throws NullPointerException if an argument is null
   */
  public RedisPresenceMetrics(RedisPresenceBus bus, Iterable<Tag> tags) {
    this(Objects.requireNonNull(bus, "bus"), "bus", source -> ((RedisPresenceBus) source).stats(), tags);
  }

  /**
   * Adds the meters of the store or bus to {@code registry}.
   *
   * @param registry the registry to add the meters to
   * @throws NullPointerException if {@code registry} is null
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    counter(registry, "presence.redis.commands", "Redis commands sent", RedisStats::commands);
    counter(
        registry, "presence.redis.reconnects", "connections made again after they were lost", RedisStats::reconnects);
    if (component.equals("bus")) {
      counter(registry, "presence.redis.resyncs", "watched users read again after a reconnect", RedisStats::resyncs);
    } else {
      counter(
          registry,
          "presence.redis.lease.sweeps",
          "lives of nodes whose devices were removed",
          RedisStats::leaseSweeps);
    }
  }

  private void counter(MeterRegistry registry, String name, String description, ToLongFunction<RedisStats> value) {
    FunctionCounter.builder(name, source, from -> value.applyAsLong(stats.of(from)))
        .tags(tags)
        .tag("component", component)
        .description(description)
        .register(registry);
  }

  /** Reads the stats of the store or bus. */
  @FunctionalInterface
  private interface ToStats {
    RedisStats of(Object source);
  }
}
