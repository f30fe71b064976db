package dev.presence.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.examples.load.ReconnectStorm;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A small reconnect storm in the build (issue 12, item 9): 1,000 real WebSocket clients connect,
 * drop and reconnect at once, and the kernel drops none of their connection attempts; the server's
 * thread count stays bounded meanwhile. The storm of
 * 5,000 is run by hand with {@code scripts/storm.sh} (its result is in the README).
 */
class ChatServerStormTest {
  private static final int CLIENTS = 1_000;

  @Test
  void theAcceptQueueIsConfiguredOnTheListeningSocket() {
    PresenceBackend backend = PresenceBackend.inMemory();
    try (ChatServer server = ChatServer.start(DemoOptions.defaults().withAcceptQueue(2048).withPort(0), backend)) {
      assertThat(server.acceptQueue()).isEqualTo(2048);
    } finally {
      backend.close();
    }
  }

  @Test
  void aThousandClientsReconnectingAtOnceAreAllAcceptedAndSubscribed() {
    PresenceBackend backend = PresenceBackend.inMemory();
    try (ChatServer server = ChatServer.start(DemoOptions.defaults().withPort(0), backend)) {
      assertThat(server.acceptQueue()).isEqualTo(DemoOptions.DEFAULT_ACCEPT_QUEUE);
      ReconnectStorm storm = new ReconnectStorm(server.port(), CLIENTS, Duration.ofSeconds(60));
      ReconnectStorm.Wave connect = storm.connectAll();
      storm.dropAll();
      ReconnectStorm.Wave reconnect = storm.connectAll();
      storm.dropAll();

      // A thousand sockets need no thousand threads: Jetty's pool is sized to the cores, delivery too.
      long httpThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("chat-http")).count();
      long engineThreads =
          Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("presence-delivery-" + server.presence().nodeId() + "-"))
              .count();
      assertThat(httpThreads).isBetween(1L, (long) Math.max(16, 4 * Runtime.getRuntime().availableProcessors()));
      assertThat(engineThreads).as("the engine's own delivery pool is not used").isZero();

      for (ReconnectStorm.Wave wave : new ReconnectStorm.Wave[] {connect, reconnect}) {
        assertThat(wave.subscribed()).as(wave.toString()).isEqualTo(CLIENTS);
        if (wave.listenOverflows() >= 0) { // Linux: the kernel counts what it dropped
          assertThat(wave.listenOverflows()).as(wave.toString()).isZero();
        }
      }
    } finally {
      backend.close();
    }
  }
}
