package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Facts about Redis 7.0.15 and Lettuce 7.7.0 that the bus and store will rely on, checked on real
 * servers so that an upgrade that changes one of them fails here first.
 */
@RedisTest
class ShardedPubSubFactsTest {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

  @Test
  void aShardSubscriberIsAPubSubClientForClientKill(RedisServer server) {
    RedisClient client = RedisClient.create(server.uri());
    try (StatefulRedisPubSubConnection<String, String> pubSub = client.connectPubSub()) {
      pubSub.sync().ssubscribe("facts:shard");
      assertThat(server.clientKill("pubsub")).isEqualTo(1);
    } finally {
      client.shutdown(Duration.ZERO, CLOSE_TIMEOUT);
    }
  }

  @Test
  void aScriptMayShardPublishOnlyToAChannelServedByItsNode(RedisCluster cluster) {
    RedisClusterClient client = RedisClusterClient.create(cluster.uris());
    try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
      String[] keys = {"facts:u:{" + SlotTags.of(300) + "}"};
      String script = "redis.call('SET', KEYS[1], 'v'); return redis.call('SPUBLISH', ARGV[1], 'm')";

      Long sameSlot =
          connection.sync().eval(script, ScriptOutputType.INTEGER, keys, "facts:c:{" + SlotTags.of(300) + "}");
      assertThat(sameSlot).isZero();
      // Redis 7.0 checks only that the node serves the channel's slot, not that it is the keys' slot:
      // another slot works until it migrates, so the store must publish in the user's own slot.
      Long otherSlotSameNode =
          connection.sync().eval(script, ScriptOutputType.INTEGER, keys, "facts:c:{" + SlotTags.of(301) + "}");
      assertThat(otherSlotSameNode).isZero();
      assertThatThrownBy(() -> connection.sync().eval(script, ScriptOutputType.INTEGER, keys,
              "facts:c:{" + SlotTags.of(RedisCluster.SLOTS - 1) + "}"))
          .isInstanceOf(RedisCommandExecutionException.class)
          .hasMessageContaining("non local key");
    } finally {
      client.shutdown(Duration.ZERO, CLOSE_TIMEOUT);
    }
  }

  @Test
  void aSlotMigrationUnsubscribesShardSubscribersAndLettuceDoesNotResubscribe(RedisCluster cluster)
      throws InterruptedException {
    RedisClusterClient client = RedisClusterClient.create(cluster.uris());
    int slot = 400;
    String channel = "facts:c:{" + SlotTags.of(slot) + "}";
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    try (StatefulRedisClusterConnection<String, String> connection = client.connect();
        StatefulRedisClusterPubSubConnection<String, String> pubSub = client.connectPubSub()) {
      pubSub.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void smessage(String ch, String message) {
          events.add("message " + message);
        }

        @Override
        public void sunsubscribed(String ch, long count) {
          events.add("unsubscribed");
        }
      });
      pubSub.sync().ssubscribe(channel);
      assertThat(connection.sync().spublish(channel, "before")).isEqualTo(1);
      assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("message before");

      cluster.migrateSlot(slot, 1);

      // Redis drops the slot's shard subscriptions and says so; Lettuce passes that on and stops there.
      assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("unsubscribed");
      assertThat(connection.sync().spublish(channel, "lost")).isZero();
      // Subscribing again, as the bus will have to, routes to the new owner.
      pubSub.sync().ssubscribe(channel);
      assertThat(connection.sync().spublish(channel, "after")).isEqualTo(1);
      assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("message after");
    } finally {
      client.shutdown(Duration.ZERO, CLOSE_TIMEOUT);
    }
  }
}
