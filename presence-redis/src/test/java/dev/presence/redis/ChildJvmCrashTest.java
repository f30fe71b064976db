package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceState;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A real crash: an engine in a second JVM is killed with {@code SIGKILL} while it holds devices, and
 * a watcher on an engine in this JVM sees exactly one offline change per user who had no device
 * elsewhere, none for a user who still has one here, within the lease and the grace (plus a margin
 * for a loaded machine). Prints the time from the kill to the last offline change.
 */
@RedisTest
class ChildJvmCrashTest {
  static final Duration LEASE = Duration.ofMillis(1500);
  static final Duration RENEW = Duration.ofMillis(300);
  static final Duration GRACE = Duration.ofMillis(500);
  /** Added to lease + grace: the sweep runs at a renewal, then a flush; shared cores can stall both. */
  private static final Duration MARGIN = Duration.ofSeconds(8);

  @Test
  void aKilledJvmsUsersGoOfflineOnceAndOnlyThoseWithoutAnotherDeviceOnStandalone(RedisServer server)
      throws Exception {
    RedisURI uri = server.uri();
    run("redis://127.0.0.1:" + uri.getPort(), RedisPresenceStore.builder().uri(uri),
        RedisPresenceBus.builder().uri(uri));
  }

  @Test
  void aKilledJvmsUsersGoOfflineOnceAndOnlyThoseWithoutAnotherDeviceOnACluster(RedisCluster cluster)
      throws Exception {
    String seeds = cluster.uris().stream().map(u -> "redis://127.0.0.1:" + u.getPort())
        .collect(Collectors.joining(","));
    run(seeds, RedisPresenceStore.builder().clusterUris(cluster.uris()),
        RedisPresenceBus.builder().clusterUris(cluster.uris()));
  }

  private void run(String redis, RedisPresenceStore.Builder storeBuilder, RedisPresenceBus.Builder busBuilder)
      throws Exception {
    String app = "crash-" + UUID.randomUUID().toString().substring(0, 8);
    RedisPresenceStore store = storeBuilder.application(app).build();
    RedisPresenceBus bus = busBuilder.application(app).build();
    Presence survivor = Presence.builder().store(store).bus(bus).nodeId("web-1")
        .lease(LEASE).leaseRenewInterval(RENEW).grace(GRACE).build();
    Set<String> onlyOnChild = Set.of("alice", "dave", "frank");
    Set<String> alsoHere = Set.of("carol", "erin");
    Map<String, List<String>> childDevices = new LinkedHashMap<>();
    childDevices.put("alice", List.of("phone", "laptop")); // two devices, both on the child: still one offline
    childDevices.put("dave", List.of("phone"));
    childDevices.put("frank", List.of("desktop"));
    childDevices.put("carol", List.of("laptop"));
    childDevices.put("erin", List.of("phone"));
    try {
      survivor.connect("carol", "tablet");
      survivor.connect("erin", "desktop");
      List<UserPresence> seen = new CopyOnWriteArrayList<>();
      survivor.subscribe("watcher", new PresenceSink() {
        @Override
        public void onPresence(List<UserPresence> changes) {
          seen.addAll(changes);
        }

        @Override
        public void onTyping(List<TypingEvent> events) {}
      }).watchUsers(childDevices.keySet());

      try (EngineInChildJvm child =
          EngineInChildJvm.start(redis, app, "web-2", LEASE, RENEW, GRACE, childDevices)) {
        await(Duration.ofSeconds(20), () -> onlyOnChild.stream().allMatch(u -> online(survivor, u)), child);
        await(Duration.ofSeconds(20),
            () -> onlyOnChild.stream().allMatch(u -> count(seen, u, PresenceState.ONLINE) > 0), child);

        long killedAt = child.kill();
        long deadline = killedAt + LEASE.plus(GRACE).plus(MARGIN).toNanos();
        while (!onlyOnChild.stream().allMatch(u -> count(seen, u, PresenceState.OFFLINE) > 0)) {
          if (System.nanoTime() > deadline) {
            throw new AssertionError("not all offline within lease + grace + " + MARGIN + ": " + seen);
          }
          Thread.sleep(5);
        }
        long lastOfflineAt = System.nanoTime();
        System.out.printf("child JVM SIGKILL -> last OFFLINE on the other engine (%s): %d ms "
                + "(lease %d ms, renew %d ms, grace %d ms)%n",
            redis.contains(",") ? "cluster" : "standalone",
            Duration.ofNanos(lastOfflineAt - killedAt).toMillis(), LEASE.toMillis(), RENEW.toMillis(),
            GRACE.toMillis());

        Thread.sleep(LEASE.plus(GRACE).toMillis()); // a bounded look for a second event from another sweep
        for (String user : onlyOnChild) {
          assertThat(count(seen, user, PresenceState.OFFLINE)).as("offline changes of " + user).isEqualTo(1);
          assertThat(survivor.get(user).state()).isEqualTo(PresenceState.OFFLINE);
        }
        for (String user : alsoHere) {
          assertThat(count(seen, user, PresenceState.OFFLINE)).as(user + " kept a device here: no flicker")
              .isZero();
          assertThat(survivor.get(user).state()).isEqualTo(PresenceState.ONLINE);
        }
      }
    } finally {
      survivor.close();
      store.close();
      bus.close();
    }
  }

  private static boolean online(Presence presence, String user) {
    return presence.get(user).state() != PresenceState.OFFLINE;
  }

  private static long count(List<UserPresence> seen, String user, PresenceState state) {
    return seen.stream().filter(p -> p.userId().equals(user) && p.state() == state).count();
  }

  private static void await(Duration limit, BooleanSupplier done, EngineInChildJvm child)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit + "; child output: " + child.output());
      }
      Thread.sleep(10);
    }
  }
}
