package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The standalone test server: reachable through Lettuce, and it crashes, restarts and flushes on demand. */
@RedisTest
class StandaloneServerTest {
  private static RedisClient client;
  private static StatefulRedisConnection<String, String> connection;

  @BeforeAll
  static void connect(RedisServer redis) {
    client = RedisClient.create(redis.uri());
    connection = client.connect();
  }

  @AfterAll
  static void disconnect() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @Test
  void aValueSetThroughLettuceReadsBack() {
    RedisCommands<String, String> redis = connection.sync();
    redis.set("standalone:set-get", "Zoë 😀");
    assertThat(redis.get("standalone:set-get")).isEqualTo("Zoë 😀");
  }

  @Test
  void itListensOnLoopbackOnlyWithoutSnapshotsOrAppendOnlyFile(RedisServer server) {
    assertThat(server.call("CONFIG", "GET", "bind")).isEqualTo(List.of("bind", "127.0.0.1"));
    assertThat(server.call("CONFIG", "GET", "protected-mode")).isEqualTo(List.of("protected-mode", "yes"));
    assertThat(server.call("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
    assertThat(server.call("CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "no"));
    assertThat(server.call("CONFIG", "GET", "dir")).isEqualTo(List.of("dir", server.directory().toString()));
  }

  @Test
  void aSavedKeySurvivesKillNineAndRestartFromRdbButNotARestartEmpty(RedisServer server) {
    RedisCommands<String, String> redis = connection.sync();
    redis.set("standalone:saved", "kept");
    server.save();
    redis.set("standalone:unsaved", "lost");
    int port = server.port();

    server.kill();
    assertThat(server.isRunning()).isFalse();
    server.restartFromRdb();

    // Lettuce reconnects by itself to the same port.
    assertThat(server.port()).isEqualTo(port);
    assertThat(redis.get("standalone:saved")).isEqualTo("kept");
    assertThat(redis.get("standalone:unsaved")).isNull();

    server.restartEmpty();
    assertThat(redis.get("standalone:saved")).isNull();
    assertThat(redis.dbsize()).isZero();
  }

  @Test
  void flushAllAndScriptFlushForgetKeysAndScripts(RedisServer server) {
    RedisCommands<String, String> redis = connection.sync();
    String sha = redis.scriptLoad("return 1");
    redis.set("standalone:flushed", "x");

    server.flushAll();
    assertThat(redis.exists("standalone:flushed")).isZero();
    assertThat(redis.scriptExists(sha)).containsExactly(true); // FLUSHALL keeps scripts

    server.scriptFlush();
    assertThat(redis.scriptExists(sha)).containsExactly(false);
  }

  @Test
  void clientKillDropsPubSubAndNormalConnectionsAndLettuceReconnects(RedisServer server) {
    StatefulRedisPubSubConnection<String, String> pubSub = client.connectPubSub();
    try {
      pubSub.sync().subscribe("standalone:channel");
      assertThat(server.clientKill("pubsub")).isEqualTo(1);
      assertThat(server.clientKill("normal")).isGreaterThanOrEqualTo(1);
      assertThat(connection.sync().ping()).isEqualTo("PONG");
    } finally {
      pubSub.close();
    }
  }
}
