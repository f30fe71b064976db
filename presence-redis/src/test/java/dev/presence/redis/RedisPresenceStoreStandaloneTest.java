package dev.presence.redis;

import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceStore;
import dev.presence.testkit.PresenceStoreContract;
import org.junit.jupiter.api.BeforeAll;

/** The store kit on one standalone server of its own (never flushed, so versions start at 1). */
@RedisTest
class RedisPresenceStoreStandaloneTest extends PresenceStoreContract {
  private static RedisServer server;

  @BeforeAll
  static void start(RedisServer redis) {
    server = redis;
  }

  @Override
  protected PresenceStore newStore() {
    return RedisPresenceStore.builder().uri(server.uri()).build();
  }
}
