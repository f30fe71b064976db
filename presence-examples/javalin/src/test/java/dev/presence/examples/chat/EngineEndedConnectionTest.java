package dev.presence.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.examples.support.TestSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connections the engine ends itself (heartbeat TTL, takeover by a newer socket of the same device,
 * replacement past the device limit) are closed at once with 4001 and the reason, through the
 * engine's connection listener, not when the client next speaks. Real server, real WebSocket
 * clients; waiting is a bounded poll.
 */
class EngineEndedConnectionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<TestSocket> sockets = new ArrayList<>();
  private PresenceBackend backend;
  private ChatServer server;

  private void start(Duration ttl) {
    backend = PresenceBackend.inMemory();
    server =
        ChatServer.start(
            new DemoOptions(0, Duration.ofMillis(400), Duration.ofMinutes(1), Duration.ofMillis(50), ttl), backend);
  }

  @AfterEach
  void stop() {
    sockets.forEach(TestSocket::close);
    if (server != null) {
      server.close();
      backend.close();
    }
  }

  private TestSocket open(String user, String device) {
    TestSocket socket =
        TestSocket.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws?user=" + user + "&device=" + device));
    sockets.add(socket);
    return socket;
  }

  @Test
  void anOlderSocketOfTheSameDeviceIsClosedAtOnceWhenANewerOneTakesOver() {
    start(Duration.ofSeconds(30));
    TestSocket older = open("alice", "tab-1");

    open("alice", "tab-1");

    assertThat(older.awaitClose(WAIT)).isEqualTo(ChatServer.CLOSE_EXPIRED);
    assertThat(older.closeReason()).contains("taken over");
  }

  @Test
  void aSilentSocketIsClosedWhenItsHeartbeatTtlRunsOutWithoutSendingAnything() {
    start(Duration.ofSeconds(1));
    TestSocket silent = open("bob", "tab-1");

    assertThat(silent.awaitClose(WAIT)).isEqualTo(ChatServer.CLOSE_EXPIRED);
    assertThat(silent.closeReason()).contains("expired");
  }

  @Test
  void theLeastActiveTabIsReplacedWhenTheUserGoesPastTheDeviceLimit() {
    start(Duration.ofSeconds(30));
    TestSocket first = open("carol", "tab-0");
    for (int i = 1; i < 32; i++) {
      open("carol", "tab-" + i);
    }
    assertThat(first.isClosed()).isFalse();

    TestSocket newest = open("carol", "tab-32");

    assertThat(first.awaitClose(WAIT)).isEqualTo(ChatServer.CLOSE_EXPIRED);
    assertThat(first.closeReason()).contains("replaced");
    assertThat(newest.isClosed()).isFalse();
  }

  @Test
  void everyReasonHasAClearText() {
    for (dev.presence.CloseReason reason : dev.presence.CloseReason.values()) {
      assertThat(ChatServer.closeText(reason)).isNotBlank();
    }
  }
}
