package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisTest;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The 3-master test cluster: slots split in three, a slot migrates with its keys, a master crashes and
 * comes back. Each test uses its own slots, so their order does not matter.
 */
@RedisTest
class ClusterTest {
  private static RedisClusterClient client;
  private static StatefulRedisClusterConnection<String, String> connection;

  @BeforeAll
  static void connect(RedisCluster cluster) {
    client = RedisClusterClient.create(cluster.uris());
    connection = client.connect();
  }

  @AfterAll
  static void disconnect() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @Test
  void keysInThreeSlotsAreServedByThreeMasters(RedisCluster cluster) {
    RedisAdvancedClusterCommands<String, String> redis = connection.sync();
    for (int master = 0; master < 3; master++) {
      int slot = master * RedisCluster.SLOTS / 3 + 10;
      String key = "cluster:three:{" + SlotTags.of(slot) + "}";
      redis.set(key, "on " + master);

      assertThat(cluster.keySlot(key)).isEqualTo(slot);
      assertThat(cluster.ownerOf(slot)).isEqualTo(master);
      for (int other = 0; other < 3; other++) {
        assertThat(cluster.master(other).call("CLUSTER", "COUNTKEYSINSLOT", slot))
            .as("keys of slot %d on master %d", slot, other)
            .isEqualTo(other == master ? 1L : 0L);
      }
      assertThat(redis.get(key)).isEqualTo("on " + master);
    }
  }

  @Test
  void aMigratedSlotTakesItsKeysAndTheClusterClientStillReadsThem(RedisCluster cluster) {
    RedisAdvancedClusterCommands<String, String> redis = connection.sync();
    int slot = 100;
    String tag = "{" + SlotTags.of(slot) + "}";
    for (int i = 0; i < 3; i++) {
      redis.set("cluster:migrate:" + tag + i, "v" + i);
    }
    assertThat(cluster.ownerOf(slot)).isZero();

    assertThat(cluster.migrateSlot(slot, 1)).isEqualTo(3);

    assertThat(cluster.ownerOf(slot)).isEqualTo(1);
    assertThat(cluster.master(0).call("CLUSTER", "COUNTKEYSINSLOT", slot)).isEqualTo(0L);
    assertThat(cluster.master(1).call("CLUSTER", "COUNTKEYSINSLOT", slot)).isEqualTo(3L);
    // The client still has the old slot map: it follows the MOVED redirect.
    for (int i = 0; i < 3; i++) {
      assertThat(redis.get("cluster:migrate:" + tag + i)).isEqualTo("v" + i);
    }
    redis.set("cluster:migrate:" + tag + "new", "written after");
    assertThat(cluster.master(1).call("CLUSTER", "COUNTKEYSINSLOT", slot)).isEqualTo(4L);
  }

  @Test
  void aKilledMasterRestartsFromItsRdbOrEmptyKeepingItsSlots(RedisCluster cluster) {
    RedisAdvancedClusterCommands<String, String> redis = connection.sync();
    int slot = RedisCluster.SLOTS - 100;
    String key = "cluster:crash:{" + SlotTags.of(slot) + "}";
    redis.set(key, "saved");
    cluster.master(2).save();

    cluster.killMaster(2);
    cluster.restartMasterFromRdb(2);

    assertThat(cluster.ownerOf(slot)).isEqualTo(2);
    assertThat(redis.get(key)).isEqualTo("saved");

    cluster.restartMasterEmpty(2);

    assertThat(cluster.ownerOf(slot)).isEqualTo(2);
    assertThat(redis.get(key)).isNull();
    redis.set(key, "again");
    assertThat(redis.get(key)).isEqualTo("again");
  }
}
