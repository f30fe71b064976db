package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceChange;
import dev.presence.StatusMode;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceStoreException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@code CLIENT KILL TYPE normal} in the middle of a stream of status changes: the store's client
 * reconnects, writes refused meanwhile are retried in order by the engine's write queue, and commands
 * Lettuce replays after the reconnect are answered rather than applied twice. The engine ends with the
 * last status, and no version is ever told twice.
 */
@RedisTest
class ClientKillMidTrafficTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void statusChangesSurviveTheServerDroppingEveryNormalClientMidStream(RedisServer server) throws Exception {
    String app = "kill-" + UUID.randomUUID().toString().substring(0, 8);
    List<PresenceChange> told = new CopyOnWriteArrayList<>();
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application(app).build();
        RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).application(app).build();
        Presence presence =
            Presence.builder().store(store).bus(bus).nodeId("web-1").storeTimeout(Duration.ofMillis(200))
                .statusChangeLimit(1_000, Duration.ofSeconds(1)).listener(told::add).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      int changes = 200;
      for (int i = 0; i < changes; i++) {
        alice.setStatus(StatusMode.AUTO, "text " + i, null);
        if (i == changes / 2) {
          assertThat(server.clientKill("normal")).isPositive();
        }
      }

      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!("text " + (changes - 1)).equals(lastText(presence))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the last status did not land within " + WAIT);
        }
        Thread.sleep(20);
      }
      Thread.sleep(300); // a bounded look for stragglers after the last one landed

      Set<Long> versions = new HashSet<>();
      for (PresenceChange change : told) {
        assertThat(versions.add(change.version())).as("version %d told once", change.version()).isTrue();
      }
      assertThat(told).last().satisfies(c -> assertThat(c.current().customText()).isEqualTo("text " + (changes - 1)));
      assertThat(presence.get("alice").isConnected()).isTrue();
    }
  }

  /** Alice's text, or null while the client is still reconnecting (reads fail fast then, as documented). */
  private static String lastText(Presence presence) {
    try {
      return presence.get("alice").customText();
    } catch (PresenceStoreException reconnecting) {
      return null;
    }
  }
}
