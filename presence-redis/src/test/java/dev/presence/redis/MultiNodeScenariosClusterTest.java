package dev.presence.redis;

import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/** The multi-node fault scenarios on a 3-master Redis cluster of its own; each test is its own application. */
@RedisTest
class MultiNodeScenariosClusterTest extends MultiNodeScenarios {
  private static RedisCluster server;
  private final String app = "mn-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void start(RedisCluster redis) {
    server = redis;
  }

  @Override
  protected PresenceStore newStore() {
    return RedisPresenceStore.builder().clusterUris(server.uris()).application(app).build();
  }

  @Override
  protected PresenceBus newBus() {
    return RedisPresenceBus.builder().clusterUris(server.uris()).application(app).build();
  }

  @Override
  protected void loseAllData() {
    server.flushAll();
  }
}
