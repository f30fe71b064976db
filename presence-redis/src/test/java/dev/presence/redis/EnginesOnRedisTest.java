package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceState;
import dev.presence.Scheduler;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Whole engines on real Redis, as the README shows them: two nodes share presence, and when one dies
 * without a word (its timers and its bus stop, nothing is said) the other removes its users with one
 * offline change each, once the lease and the grace have run out. Real time, short leases, bounded
 * polls.
 */
@RedisTest
class EnginesOnRedisTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void twoEnginesShareAUserAndACrashedOnesUsersGoOfflineOnceOnStandalone(RedisServer server) throws Exception {
    run(server.uri().toString(), null);
  }

  @Test
  void twoEnginesShareAUserAndACrashedOnesUsersGoOfflineOnceOnACluster(RedisCluster cluster) throws Exception {
    run(null, cluster.uris());
  }

  private void run(String uri, List<RedisURI> cluster) throws Exception {
    String app = "engines-" + UUID.randomUUID().toString().substring(0, 8);
    // README start
    RedisPresenceStore store = storeBuilder(uri, cluster).application(app).build();
    RedisPresenceBus bus = busBuilder(uri, cluster).application(app).build();
    Presence presence =
        Presence.builder().store(store).bus(bus).nodeId("web-1")
            .lease(Duration.ofMillis(1500)).leaseRenewInterval(Duration.ofMillis(300)) // README: not shown
            .grace(Duration.ofMillis(500)) // README: not shown
            .build();
    // README end
    ScheduledExecutorService deadTimers = Executors.newSingleThreadScheduledExecutor();
    RedisPresenceStore deadStore = storeBuilder(uri, cluster).application(app).build();
    RedisPresenceBus deadBus = busBuilder(uri, cluster).application(app).build();
    Presence doomed =
        Presence.builder().store(deadStore).bus(deadBus).nodeId("web-2").scheduler(Scheduler.of(deadTimers))
            .lease(Duration.ofMillis(1500)).leaseRenewInterval(Duration.ofMillis(300)).grace(Duration.ofMillis(500))
            .build();
    try {
      List<UserPresence> seen = new CopyOnWriteArrayList<>();
      presence.subscribe("bob", new PresenceSink() {
        @Override
        public void onPresence(List<UserPresence> changes) {
          seen.addAll(changes);
        }

        @Override
        public void onTyping(List<TypingEvent> events) {}
      }).watchUsers(List.of("alice", "carol"));

      DeviceConnection alicePhone = doomed.connect("alice", "phone");
      doomed.connect("carol", "laptop");
      DeviceConnection carolTablet = presence.connect("carol", "tablet"); // carol also has a device on web-1
      await(() -> seen.stream().anyMatch(p -> p.userId().equals("alice") && p.state() == PresenceState.ONLINE));
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(alicePhone.isOpen()).isTrue();

      deadTimers.shutdownNow(); // kill -9 of web-2: no renewal, no goodbye
      deadBus.close();

      await(() -> seen.stream().anyMatch(p -> p.userId().equals("alice") && p.state() == PresenceState.OFFLINE));
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
      Thread.sleep(1500); // a bounded look, past the next flush window, for a second event from another sweep
      assertThat(seen.stream().filter(p -> p.userId().equals("alice") && p.state() == PresenceState.OFFLINE))
          .hasSize(1);
      assertThat(seen.stream().filter(p -> p.userId().equals("carol")).map(UserPresence::state))
          .as("carol kept a device on a live node: no flicker")
          .doesNotContain(PresenceState.OFFLINE);
      assertThat(presence.get("carol").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(carolTablet.isOpen()).isTrue();
    } finally {
      presence.close();
      store.close();
      bus.close();
      deadStore.close();
    }
  }

  private static RedisPresenceStore.Builder storeBuilder(String uri, List<RedisURI> cluster) {
    return uri != null ? RedisPresenceStore.builder().uri(uri) : RedisPresenceStore.builder().clusterUris(cluster);
  }

  private static RedisPresenceBus.Builder busBuilder(String uri, List<RedisURI> cluster) {
    return uri != null ? RedisPresenceBus.builder().uri(uri) : RedisPresenceBus.builder().clusterUris(cluster);
  }

  private static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT);
      }
      Thread.sleep(20);
    }
  }
}
