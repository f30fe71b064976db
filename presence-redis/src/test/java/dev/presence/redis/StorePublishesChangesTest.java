package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.Platform;
import dev.presence.PresenceChange;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * With {@code publishChanges(true)} the store's scripts publish every visible change on the user's
 * shard channel in the step that applies it; the bus delivers those messages to the other watching
 * nodes and drops them at the node that made the change (the origin the script names).
 */
@RedisTest
class StorePublishesChangesTest {
  private static final long T0 = 1_767_225_600_000L;
  private static final AggregationPolicy STANDARD = AggregationPolicy.standard();
  /** Not the singleton, so the store takes the read + CAS path, which publishes too. */
  private static final AggregationPolicy CUSTOM = (mode, devices) -> STANDARD.aggregate(mode, devices);

  @Test
  void onAStandaloneServer(RedisServer server) throws Exception {
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application("pub").publishChanges(true).build();
        RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).application("pub").build()) {
      scriptPublishedChangesReachOtherNodesOnly(store, bus);
    }
  }

  @Test
  void onACluster(RedisCluster cluster) throws Exception {
    try (RedisPresenceStore store =
            RedisPresenceStore.builder().clusterUris(cluster.uris()).application("pub").publishChanges(true).build();
        RedisPresenceBus bus = RedisPresenceBus.builder().clusterUris(cluster.uris()).application("pub").build()) {
      scriptPublishedChangesReachOtherNodesOnly(store, bus);
    }
  }

  private static void scriptPublishedChangesReachOtherNodesOnly(RedisPresenceStore store, RedisPresenceBus bus)
      throws Exception {
    assertThat(store.publishesChanges()).isTrue();
    String alice = "alice-" + UUID.randomUUID();
    String nodeA = "a-" + UUID.randomUUID();
    String nodeB = "b-" + UUID.randomUUID();
    BlockingQueue<PresenceChange> atA = new LinkedBlockingQueue<>();
    BlockingQueue<PresenceChange> atB = new LinkedBlockingQueue<>();
    PresenceBus.Connection a = bus.join(nodeA, atA::add);
    PresenceBus.Connection b = bus.join(nodeB, atB::add);
    a.watchUsers(List.of(alice)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    b.watchUsers(List.of(alice)).toCompletableFuture().get(10, TimeUnit.SECONDS);

    StoreUpdate byA = store.apply(alice, put("phone", nodeA, DeviceActivity.IDLE, T0), STANDARD); // idle, v1
    StoreUpdate byB = store.apply(alice, put("laptop", nodeB, DeviceActivity.ACTIVE, T0 + 1), CUSTOM); // online, v2
    StoreUpdate againByA =
        store.apply(alice, new StoreMutation.RemoveDevice("laptop", nodeB, T0 + 2), STANDARD); // idle, v3, origin b
    store.apply(alice, new StoreMutation.SetStatus(StatusMode.AUTO, null, 0, T0 + 3), STANDARD); // nothing visible

    assertThat(byA.current().presence().state()).isEqualTo(PresenceState.IDLE);
    assertThat(next(atB)).isEqualTo(new PresenceChange(byA.previous().presence(), byA.current().presence()));
    assertThat(next(atA)).as("a's own change never comes back to a")
        .isEqualTo(new PresenceChange(byB.previous().presence(), byB.current().presence()));
    assertThat(next(atA)).isEqualTo(new PresenceChange(againByA.previous().presence(), againByA.current().presence()));
    assertThat(atB.poll(300, TimeUnit.MILLISECONDS)).as("b made v2 and v3 itself").isNull();
    assertThat(atA.poll(100, TimeUnit.MILLISECONDS)).isNull();
  }

  private static PresenceChange next(BlockingQueue<PresenceChange> queue) throws InterruptedException {
    PresenceChange change = queue.poll(10, TimeUnit.SECONDS);
    assertThat(change).isNotNull();
    return change;
  }

  private static StoreMutation.PutDevice put(String device, String node, DeviceActivity activity, long at) {
    return new StoreMutation.PutDevice(new DeviceRecord(device, node, activity, Platform.WEB, at), 8, at);
  }
}
