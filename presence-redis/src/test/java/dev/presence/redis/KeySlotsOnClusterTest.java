package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisTest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What Lettuce and this module compute for slots is what a real Redis 7.0 cluster computes: {@code
 * CLUSTER KEYSLOT}, sent through Lettuce's UTF-8 codec as the store will send its keys.
 */
@RedisTest(scope = RedisTest.Scope.JVM)
class KeySlotsOnClusterTest {
  private static final int IDS = 1_000;
  private static final int SLOT_SAMPLES = 2_000;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static RedisClient client;
  private static StatefulRedisConnection<String, String> connection;

  @BeforeAll
  static void connect(RedisCluster cluster) {
    // A plain connection to one node: CLUSTER KEYSLOT is answered by any node, for any key.
    client = RedisClient.create(cluster.master(0).uri());
    connection = client.connect();
  }

  @AfterAll
  static void disconnect() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @Test
  void everyKeyOfARandomUserIsInTheSlotTheServerComputes() {
    RandomIds ids = new RandomIds(RandomIds.SEED + 2);
    RedisKeys keys = RedisKeys.of("app");
    List<String> sent = new ArrayList<>();
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < IDS; i++) {
      String id = ids.next();
      int slot = RedisKeys.slotOfUser(id);
      for (String key : List.of(keys.user(id), keys.userChanges(id), keys.nodeIndex(slot, id))) {
        sent.add(key);
        expected.add(slot);
      }
    }
    assertThat(serverSlots(sent)).isEqualTo(expected);
  }

  @Test
  void everySampledSlotTagIsInItsSlotOnTheServer() {
    RandomIds random = new RandomIds(RandomIds.SEED + 3);
    RedisKeys keys = RedisKeys.of("app");
    List<String> sent = new ArrayList<>();
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < SLOT_SAMPLES; i++) {
      int slot = i == 0 ? 0 : i == 1 ? RedisCluster.SLOTS - 1 : random.nextInt(RedisCluster.SLOTS);
      sent.add(SlotTags.of(slot));
      expected.add(slot);
      sent.add(keys.epoch(slot));
      expected.add(slot);
    }
    assertThat(serverSlots(sent)).isEqualTo(expected);
  }

  /** One pipelined batch of CLUSTER KEYSLOT: thousands of keys in one round trip's worth of time. */
  private static List<Integer> serverSlots(List<String> keys) {
    RedisAsyncCommands<String, String> async = connection.async();
    List<RedisFuture<Long>> replies = new ArrayList<>();
    for (String key : keys) {
      replies.add(async.clusterKeyslot(key));
    }
    List<Integer> slots = new ArrayList<>();
    for (RedisFuture<Long> reply : replies) {
      long slot = reply.toCompletableFuture().orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
      slots.add(Math.toIntExact(slot));
    }
    return slots;
  }
}
