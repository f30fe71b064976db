package dev.presence.redis;

import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceStore;
import dev.presence.testkit.PresenceStoreContract;
import org.junit.jupiter.api.BeforeAll;

/** The store kit on a 3-master cluster of its own: users spread over the masters. */
@RedisTest
class RedisPresenceStoreClusterTest extends PresenceStoreContract {
  private static RedisCluster cluster;

  @BeforeAll
  static void start(RedisCluster redis) {
    cluster = redis;
  }

  @Override
  protected PresenceStore newStore() {
    return RedisPresenceStore.builder().clusterUris(cluster.uris()).build();
  }
}
