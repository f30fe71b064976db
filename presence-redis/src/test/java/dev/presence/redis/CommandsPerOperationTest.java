package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceState;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What a heartbeat and a change cost on Redis, counted with {@code INFO commandstats}: a heartbeat
 * sends nothing, a visible change one {@code EVALSHA} (the commands the script runs inside are counted
 * by Redis too and left out here). The lease is renewed far less often than the test runs, so no
 * renewal falls inside the counted windows. The server is this class's own: nothing else talks to it.
 */
@RedisTest
class CommandsPerOperationTest {
  @Test
  void aHeartbeatSendsNoCommandAndAChangeOneEvalsha(RedisServer server) throws Exception {
    String app = "cmds-" + UUID.randomUUID().toString().substring(0, 8);
    RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application(app).build();
    RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).application(app).build();
    Presence presence = Presence.builder().store(store).bus(bus).nodeId("web-1")
        .lease(Duration.ofSeconds(60)).leaseRenewInterval(Duration.ofSeconds(20))
        .statusChangeLimit(1000, Duration.ofSeconds(1)).flushInterval(Duration.ZERO).build();
    try {
      DeviceConnection alice = presence.connect("alice", "phone");
      String aliceKey = RedisKeys.of(app).user("alice");
      long stored = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!Long.valueOf(1).equals(server.call("EXISTS", aliceKey)) && System.nanoTime() < stored) {
        Thread.sleep(5); // the connect's own write, before the counting starts
      }
      Thread.sleep(200);
      Map<String, Long> before = RedisMeasurements.commandstats(server);

      for (int i = 0; i < 200; i++) {
        assertThat(alice.heartbeat()).isTrue();
      }
      Thread.sleep(300); // a bounded look for a late write
      assertThat(RedisMeasurements.delta(before, RedisMeasurements.commandstats(server))).isEmpty();

      Map<String, Long> beforeChanges = RedisMeasurements.commandstats(server);
      int changes = 10;
      for (int i = 0; i < changes; i++) {
        alice.setIdle(i % 2 == 0);
        PresenceState expected = i % 2 == 0 ? PresenceState.IDLE : PresenceState.ONLINE;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (presence.get("alice").state() != expected && System.nanoTime() < deadline) {
          Thread.sleep(2);
        }
      }
      awaitStoredEvalshas(server, beforeChanges, changes);
      Thread.sleep(300);
      Map<String, Long> delta = RedisMeasurements.delta(beforeChanges, RedisMeasurements.commandstats(server));
      assertThat(delta).containsEntry("evalsha", (long) changes).doesNotContainKeys("eval", "multi", "publish");
    } finally {
      presence.close();
      store.close();
      bus.close();
    }
  }

  private static void awaitStoredEvalshas(RedisServer server, Map<String, Long> before, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (RedisMeasurements.delta(before, RedisMeasurements.commandstats(server)).getOrDefault("evalsha", 0L) < count
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }
}
