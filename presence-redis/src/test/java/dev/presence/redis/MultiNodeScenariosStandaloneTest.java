package dev.presence.redis;

import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/** The multi-node fault scenarios on a standalone Redis server of its own; each test is its own application. */
@RedisTest
class MultiNodeScenariosStandaloneTest extends MultiNodeScenarios {
  private static RedisServer server;
  private final String app = "mn-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void start(RedisServer redis) {
    server = redis;
  }

  @Override
  protected PresenceStore newStore() {
    return RedisPresenceStore.builder().uri(server.uri()).application(app).build();
  }

  @Override
  protected PresenceBus newBus() {
    return RedisPresenceBus.builder().uri(server.uri()).application(app).build();
  }

  @Override
  protected void loseAllData() {
    server.flushAll();
  }
}
