package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.StoreMutation;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The store and bus built on the application's own Lettuce client use it and leave it running when closed. */
@RedisTest
class ApplicationClientTest {
  private static final StoreMutation.PutDevice PHONE =
      new StoreMutation.PutDevice(
          new DeviceRecord("phone", "n1", DeviceActivity.ACTIVE, Platform.WEB, 1_767_225_600_000L), 8, 1_767_225_600_000L);

  @Test
  void aStandaloneClientOfTheApplication(RedisServer server) {
    RedisClient client = RedisClient.create(server.uri());
    try {
      String alice = "alice-" + UUID.randomUUID();
      try (RedisPresenceStore store = RedisPresenceStore.builder().client(client).application("own").build();
          RedisPresenceBus bus = RedisPresenceBus.builder().client(client).application("own").build()) {
        assertThat(store.apply(alice, PHONE, AggregationPolicy.standard()).current().presence().state())
            .isEqualTo(PresenceState.ONLINE);
        bus.join("n1", change -> {}).close();
      }
      try (StatefulRedisConnection<String, String> still = client.connect()) {
        assertThat(still.sync().exists("own:u:{" + alice + "}")).isEqualTo(1);
      }
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  @Test
  void aClusterClientOfTheApplication(RedisCluster cluster) {
    RedisClusterClient client = RedisClusterClient.create(cluster.uris());
    try {
      String alice = "alice-" + UUID.randomUUID();
      try (RedisPresenceStore store = RedisPresenceStore.builder().clusterClient(client).application("own").build()) {
        assertThat(store.apply(alice, PHONE, AggregationPolicy.standard()).current().presence().state())
            .isEqualTo(PresenceState.ONLINE);
      }
      try (StatefulRedisClusterConnection<String, String> still = client.connect()) {
        assertThat(still.sync().exists("own:u:{" + alice + "}")).isEqualTo(1);
      }
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
