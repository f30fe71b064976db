package dev.presence.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.presence.examples.support.RawWebSocket;
import dev.presence.examples.support.TestSocket;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The in-memory demo reads WebSocket frames on Jetty's selector thread ({@link SelectorReadConnector})
 * and lets a selector that found input gather a moment before it reads: every frame of many sockets
 * still arrives and is answered. Real server, real WebSocket clients; waiting is a bounded poll.
 */
class SelectorReadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int CLIENTS = 40;

  private final List<TestSocket> sockets = new ArrayList<>();
  private final PresenceBackend backend = PresenceBackend.inMemory();
  private ChatServer server;

  @AfterEach
  void stop() {
    sockets.forEach(TestSocket::close);
    if (server != null) {
      server.close();
    }
    backend.close();
  }

  @Test
  void theInMemoryServerReadsFramesOnTheSelector() {
    server = ChatServer.start(new DemoOptions(0, Duration.ofMillis(400), Duration.ofMinutes(1), Duration.ofMillis(50),
        Duration.ofSeconds(30)), backend);

    assertThat(server.readsFramesOnSelector()).isTrue();
  }

  @Test
  void everyStatusChangeOfManySocketsReachesEveryMemberOfTheRoom() {
    server = ChatServer.start(new DemoOptions(0, Duration.ofMillis(400), Duration.ofMinutes(1), Duration.ofMillis(50),
        Duration.ofSeconds(30)), backend);
    for (int i = 0; i < CLIENTS; i++) {
      TestSocket socket =
          TestSocket.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws?user=u" + i + "&device=tab"));
      sockets.add(socket);
      socket.send("{\"type\":\"subscribe\",\"channelId\":\"room\"}");
      socket.await(text -> type(text).equals("snapshot"), WAIT, "snapshot of u" + i);
    }

    for (TestSocket socket : sockets) {
      socket.send("{\"type\":\"status\",\"status\":\"idle\"}");
    }

    TestSocket last = sockets.get(CLIENTS - 1);
    Set<String> idle = new HashSet<>();
    last.awaitSeen(
        text -> {
          if (type(text).equals("presence")) {
            for (JsonNode user : json(text).path("users")) {
              if (user.path("state").asText().equals("idle")) {
                idle.add(user.path("userId").asText());
              }
            }
          }
          return idle.size() == CLIENTS;
        },
        WAIT,
        "all " + CLIENTS + " members idle");
    assertThat(idle).hasSize(CLIENTS);
  }

  /**
   * The endpoint skips the read right after one that drained the socket: frames that come
   * together in one segment, and a frame cut across segments that arrive apart, are still read
   * whole and each answered (an unknown type gets an error frame that echoes it).
   */
  @Test
  void framesThatShareASegmentOrAreCutAcrossSegmentsAreAllRead() throws InterruptedException {
    server = ChatServer.start(new DemoOptions(0, Duration.ofMillis(400), Duration.ofMinutes(1), Duration.ofMillis(50),
        Duration.ofSeconds(30)), backend);
    RawWebSocket socket = RawWebSocket.open(server.port(), "/ws?user=reader&device=tab", Map.of(), 0);
    try {
      assertThat(socket.status()).isEqualTo(101);
      ByteArrayOutputStream three = new ByteArrayOutputStream();
      for (String name : List.of("one", "two", "three")) {
        three.writeBytes(RawWebSocket.textFrame("{\"type\":\"" + name + "\"}"));
      }
      socket.sendRaw(three.toByteArray());
      for (String name : List.of("one", "two", "three")) {
        assertThat(nextError(socket)).contains("'" + name + "'");
      }

      byte[] cut = RawWebSocket.textFrame("{\"type\":\"cut-in-two\"}");
      for (int at : new int[] {1, 2, 6, cut.length - 1}) {
        socket.sendRaw(Arrays.copyOfRange(cut, 0, at));
        // Lets the server read the first piece alone (the read that drains the socket) before the rest comes.
        Thread.sleep(20);
        socket.sendRaw(Arrays.copyOfRange(cut, at, cut.length));
        assertThat(nextError(socket)).as("cut at byte %d", at).contains("'cut-in-two'");
      }
    } finally {
      socket.close();
    }
  }

  private static String nextError(RawWebSocket socket) {
    while (true) {
      String text = socket.read(WAIT).text();
      if (type(text).equals("error")) {
        return json(text).path("message").asText();
      }
    }
  }

  @Test
  void aNegativeGatherTimeIsRefused() {
    assertThatThrownBy(() -> new SelectorReadConnector(new Server(), Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gather must not be negative");
  }

  private static String type(String text) {
    return json(text).path("type").asText();
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }
}
