package dev.presence.redis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;

/** The extension stops its servers when their class or the run ends, also when tests failed. */
class ServersStopAfterFailuresTest {
  @Test
  void classAndRunScopedServersStopEvenWhenTheirTestsFail() {
    EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(FailsWithAClassServer.class), selectClass(FailsWithARunServer.class))
        .execute()
        .testEvents()
        .assertStatistics(stats -> stats.started(2).failed(2));

    for (RedisServer server : new RedisServer[] {FailsWithAClassServer.seen, FailsWithARunServer.seen}) {
      assertThat(server).isNotNull();
      assertThat(server.isRunning()).as("%s", server).isFalse();
      assertThat(server.directory()).doesNotExist();
    }
  }

  /** Not run by surefire (nested classes are excluded); run above by the test kit. */
  @RedisTest
  static class FailsWithAClassServer {
    static volatile RedisServer seen;

    @Test
    void fails(RedisServer server) {
      seen = server;
      throw new AssertionError("fails on purpose, with its server running");
    }
  }

  /** As above, with a server shared by the whole (inner) run. */
  @RedisTest(scope = RedisTest.Scope.JVM)
  static class FailsWithARunServer {
    static volatile RedisServer seen;

    @Test
    void fails(RedisServer server) {
      seen = server;
      throw new AssertionError("fails on purpose, with its server running");
    }
  }

}
