package dev.presence.redis.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.DeviceConnection;
import dev.presence.Platform;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.StatusMode;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.micrometer.PresenceMetrics;
import dev.presence.redis.RedisPresenceBus;
import dev.presence.redis.RedisPresenceStore;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The Redis store's and bus's counters as Micrometer meters, against a real redis-server. */
@RedisTest
class RedisPresenceMetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void commandsReconnectsAndResyncsOfAnEngineOnRedis(RedisServer server) throws Exception {
    String app = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application(app).build();
        RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).application(app).build();
        Presence presence = Presence.builder().store(store).bus(bus).nodeId("web-1").build()) {
      new RedisPresenceMetrics(store, Tags.of("node", "web-1")).bindTo(registry);
      new RedisPresenceMetrics(bus, Tags.of("node", "web-1")).bindTo(registry);
      PresenceMetrics.monitor(registry, presence, "node", "web-1");
      assertThat(registry.getMeters())
          .filteredOn(meter -> meter.getId().getName().startsWith("presence.redis."))
          .extracting(RedisPresenceMetricsTest::nameAndComponent)
          .containsExactlyInAnyOrder(
              "presence.redis.commands store",
              "presence.redis.reconnects store",
              "presence.redis.lease.sweeps store",
              "presence.redis.commands bus",
              "presence.redis.reconnects bus",
              "presence.redis.resyncs bus");

      DeviceConnection alice = presence.connect("alice", "phone");
      presence.subscribe("bob", new Ignoring()).watchUsers(List.of("alice"));
      double storeCommands = count("presence.redis.commands", "store");
      alice.setStatus(StatusMode.DND, "focus", null);
      assertThat(count("presence.redis.commands", "store")).isGreaterThanOrEqualTo(storeCommands + 1);
      assertThat(count("presence.redis.commands", "bus")).as("a subscription and a publish at least").isGreaterThanOrEqualTo(2);
      assertThat(count("presence.redis.commands", "store")).isEqualTo(store.stats().commands());
      assertThat(registry.get("presence.store.calls").functionTimer().count()).isGreaterThanOrEqualTo(2);
      double reconnects = count("presence.redis.reconnects", "store");
      double busReconnects = count("presence.redis.reconnects", "bus");

      assertThat(server.clientKill("normal")).isPositive();

      awaitTrue(() -> count("presence.redis.reconnects", "store") > reconnects, "the store reconnects");
      awaitTrue(() -> count("presence.redis.reconnects", "bus") > busReconnects, "the bus reconnects");
      awaitTrue(() -> count("presence.redis.resyncs", "bus") >= 1, "the bus resyncs alice after its reconnect");
      assertThat(count("presence.redis.lease.sweeps", "store")).isZero();
    }
  }

  @Test
  void aStoreCountsTheLivesOfNodesItSwept(RedisServer server) {
    String app = "sweeps-" + UUID.randomUUID().toString().substring(0, 8);
    AggregationPolicy standard = AggregationPolicy.standard();
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application(app).build()) {
      new RedisPresenceMetrics(store, Tags.empty()).bindTo(registry);
      store.join("a", Duration.ofSeconds(15), Duration.ofSeconds(2), standard, update -> {});
      long at = System.currentTimeMillis();
      store.apply(
          "alice",
          new StoreMutation.PutDevice(new DeviceRecord("phone", "a", DeviceActivity.ACTIVE, Platform.WEB, at), 8, at),
          standard);
      assertThat(count("presence.redis.lease.sweeps", "store")).isZero();

      List<StoreUpdate> swept = new ArrayList<>();
      store.join("a", Duration.ofSeconds(15), Duration.ofSeconds(2), standard, swept::add); // a restart of node a

      assertThat(swept).hasSize(1);
      assertThat(count("presence.redis.lease.sweeps", "store")).isEqualTo(1);
    }
  }

  private double count(String name, String component) {
    return registry.get(name).tag("component", component).functionCounter().count();
  }

  private static String nameAndComponent(Meter meter) {
    return meter.getId().getName() + " " + meter.getId().getTag("component");
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + WAIT);
      }
      Thread.sleep(20);
    }
  }

  /** A sink that drops what it gets: only the bus's watch matters here. */
  private static final class Ignoring implements PresenceSink {
    @Override
    public void onPresence(List<UserPresence> changes) {}

    @Override
    public void onTyping(List<TypingEvent> events) {}
  }
}
