package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.PresenceChange;
import dev.presence.PresenceState;
import dev.presence.UserPresence;
import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceBus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bus recovers what Redis or Lettuce drop: after {@code CLIENT KILL TYPE pubsub} (Lettuce
 * reconnects; on a cluster its own resubscription is one multi-slot SSUBSCRIBE that fails) and after a
 * slot migration (Redis unsubscribes the slot's shard subscribers, Lettuce does not subscribe again),
 * the node is subscribed again, is told to resync its watched users, and receives later changes.
 */
@RedisTest
class RedisBusRecoveryTest {
  private static final long WAIT_SECONDS = 10;

  /** A node that records changes and resyncs. */
  private static final class Recorder implements PresenceBus.Listener {
    final BlockingQueue<PresenceChange> changes = new LinkedBlockingQueue<>();
    final BlockingQueue<Collection<String>> resyncs = new LinkedBlockingQueue<>();

    @Override
    public void onPresenceChange(PresenceChange change) {
      changes.add(change);
    }

    @Override
    public void onResync(Collection<String> userIds) {
      resyncs.add(userIds);
    }

    /** Waits until resyncs have named every one of {@code users}. */
    void awaitResyncOf(Collection<String> users) throws InterruptedException {
      Set<String> missing = new HashSet<>(users);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (!missing.isEmpty()) {
        Collection<String> resync = resyncs.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
        assertThat(resync).as("a resync of %s", missing).isNotNull();
        missing.removeAll(resync);
      }
    }
  }

  private static PresenceChange change(String userId, long version) {
    Instant at = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(version);
    return new PresenceChange(
        new UserPresence(userId, PresenceState.OFFLINE, null, at.minusSeconds(1), version - 1),
        new UserPresence(userId, PresenceState.ONLINE, null, at, version));
  }

  /** Users spread over many slots (and so over every master of a cluster). */
  private static List<String> users(int count) {
    String prefix = "rec-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    List<String> users = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      users.add(prefix + i);
    }
    return users;
  }

  private static void assertEveryChangeArrives(PresenceBus.Connection from, Recorder to, List<String> users, long version)
      throws InterruptedException {
    for (String user : users) {
      from.publish(change(user, version));
    }
    Set<String> arrived = new HashSet<>();
    while (arrived.size() < users.size()) {
      PresenceChange change = to.changes.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      assertThat(change).as("changes of %s", users).isNotNull();
      if (change.version() == version) {
        arrived.add(change.userId());
      }
    }
  }

  @Test
  void afterClientKillPubsubOnAStandaloneServerTheNodeResubscribesAndResyncs(RedisServer server) throws Exception {
    try (RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).build()) {
      List<String> users = users(20);
      Recorder recorder = new Recorder();
      PresenceBus.Connection a = bus.join("a-" + UUID.randomUUID(), change -> {});
      PresenceBus.Connection b = bus.join("b-" + UUID.randomUUID(), recorder);
      b.watchUsers(users).toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertEveryChangeArrives(a, recorder, users, 1);
      recorder.resyncs.clear();

      assertThat(server.clientKill("pubsub")).as("b's subscriber (a subscribes to nothing)").isEqualTo(1);

      recorder.awaitResyncOf(users);
      assertEveryChangeArrives(a, recorder, users, 2);
    }
  }

  @Test
  void afterClientKillPubsubOnEveryMasterTheNodeResubscribesPerSlotAndResyncs(RedisCluster cluster) throws Exception {
    try (RedisPresenceBus bus = RedisPresenceBus.builder().clusterUris(cluster.uris()).build()) {
      List<String> users = users(30);
      Recorder recorder = new Recorder();
      PresenceBus.Connection a = bus.join("a-" + UUID.randomUUID(), change -> {});
      PresenceBus.Connection b = bus.join("b-" + UUID.randomUUID(), recorder);
      b.watchUsers(users).toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertEveryChangeArrives(a, recorder, users, 1);
      recorder.resyncs.clear();

      long killed = 0;
      for (RedisServer master : cluster.masters()) {
        killed += master.clientKill("pubsub");
      }
      assertThat(killed).isGreaterThanOrEqualTo(3);

      recorder.awaitResyncOf(users);
      assertEveryChangeArrives(a, recorder, users, 2);
    }
  }

  @Test
  void aSlotMigratedWhileWatchedIsSubscribedAgainOnItsNewMasterAndResynced(RedisCluster cluster) throws Exception {
    try (RedisPresenceBus bus = RedisPresenceBus.builder().clusterUris(cluster.uris()).build()) {
      List<String> users = users(10);
      String moving = users.get(0);
      Recorder recorder = new Recorder();
      PresenceBus.Connection a = bus.join("a-" + UUID.randomUUID(), change -> {});
      PresenceBus.Connection b = bus.join("b-" + UUID.randomUUID(), recorder);
      b.watchUsers(users).toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertEveryChangeArrives(a, recorder, users, 1);
      recorder.resyncs.clear();

      int slot = RedisKeys.slotOfUser(moving);
      cluster.migrateSlot(slot, (cluster.ownerOf(slot) + 1) % RedisCluster.DEFAULT_MASTERS);

      recorder.awaitResyncOf(List.of(moving));
      assertEveryChangeArrives(a, recorder, users, 2);
    }
  }
}
