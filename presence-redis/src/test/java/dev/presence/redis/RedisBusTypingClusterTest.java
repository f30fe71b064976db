package dev.presence.redis;

import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceBus;
import org.junit.jupiter.api.BeforeAll;

/** The bus kit of {@link RedisBusTypingKit} on a cluster Redis of its own. */
@RedisTest
class RedisBusTypingClusterTest extends RedisBusTypingKit {
  private static RedisCluster server;

  @BeforeAll
  static void start(RedisCluster redis) {
    server = redis;
  }

  @Override
  protected PresenceBus newBus() {
    return RedisPresenceBus.builder().clusterUris(server.uris()).build();
  }
}
