package dev.presence.redis;

import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceBus;
import org.junit.jupiter.api.BeforeAll;

/** The bus kit of {@link RedisBusTypingKit} on a standalone Redis of its own. */
@RedisTest
class RedisBusTypingStandaloneTest extends RedisBusTypingKit {
  private static RedisServer server;

  @BeforeAll
  static void start(RedisServer redis) {
    server = redis;
  }

  @Override
  protected PresenceBus newBus() {
    return RedisPresenceBus.builder().uri(server.uri()).build();
  }
}
