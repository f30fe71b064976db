package dev.presence.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.presence.PresenceState;
import dev.presence.examples.support.TestSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The demo server's JSON protocol, spoken by a real WebSocket client (no browser needed), against a
 * real server on a free loopback port. Waiting is a bounded poll for the expected message.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatServerProtocolTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration GRACE = Duration.ofMillis(400);

  private PresenceBackend backend;
  private ChatServer server;
  private final List<TestSocket> sockets = new ArrayList<>();
  private int names;

  @BeforeAll
  void startServer() {
    backend = PresenceBackend.inMemory();
    server =
        ChatServer.start(
            new DemoOptions(0, GRACE, Duration.ofMinutes(1), Duration.ofMillis(50), Duration.ofSeconds(10)),
            backend);
  }

  @AfterEach
  void closeSockets() {
    sockets.forEach(TestSocket::close);
    sockets.clear();
  }

  @AfterAll
  void stopServer() {
    server.close();
    backend.close();
  }

  private String name(String base) {
    return base + "-" + ++names;
  }

  private TestSocket open(String user, String device) {
    String query =
        "user=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&device=" + URLEncoder.encode(device, StandardCharsets.UTF_8);
    TestSocket socket = TestSocket.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws?" + query));
    sockets.add(socket);
    return socket;
  }

  /** Connects a device and subscribes to the channel; returns the socket after its snapshot. */
  private TestSocket join(String user, String channel) {
    TestSocket socket = open(user, user + "-tab");
    socket.send("{\"type\":\"subscribe\",\"channelId\":\"" + channel + "\"}");
    socket.await(type("snapshot"), WAIT, "snapshot");
    return socket;
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private static Predicate<String> type(String type) {
    return text -> json(text).path("type").asText().equals(type);
  }

  /** A presence batch that shows {@code user} in {@code state}. */
  private static Predicate<String> presence(String user, String state) {
    return text -> {
      JsonNode node = json(text);
      if (!node.path("type").asText().equals("presence")) {
        return false;
      }
      for (JsonNode p : node.path("users")) {
        if (p.path("userId").asText().equals(user) && p.path("state").asText().equals(state)) {
          return true;
        }
      }
      return false;
    };
  }

  private static boolean mentions(String text, String user, String state) {
    return presence(user, state).test(text);
  }

  @Test
  void aSnapshotListsTheChannelsMembersTheUserItselfAndTheClientTimings() {
    String alice = name("alice");
    TestSocket socket = open(alice, "tab-1");
    socket.send("{\"type\":\"subscribe\",\"channelId\":\"room-a\"}");
    JsonNode snapshot = json(socket.await(type("snapshot"), WAIT, "snapshot"));

    assertThat(snapshot.path("channelId").asText()).isEqualTo("room-a");
    assertThat(snapshot.path("users")).hasSize(1);
    assertThat(snapshot.path("users").get(0).path("userId").asText()).isEqualTo(alice);
    assertThat(snapshot.path("users").get(0).path("state").asText()).isEqualTo("online");
    assertThat(snapshot.path("you").path("mode").asText()).isEqualTo("auto");
    assertThat(snapshot.path("you").path("deviceId").asText()).isEqualTo("tab-1");
    assertThat(snapshot.path("settings").path("idleMs").asLong()).isEqualTo(60_000);
    assertThat(snapshot.path("settings").path("heartbeatMs").asLong()).isEqualTo(10_000 / 3);
    assertThat(snapshot.path("messages")).isEmpty();
    assertThat(snapshot.path("serverTime").asLong()).isPositive();
  }

  @Test
  void aMemberSeesAnotherComeOnlineAndGoOfflineOnlyAfterGrace() {
    String alice = name("alice");
    String bob = name("bob");
    TestSocket a = join(alice, "room-b");
    TestSocket b = open(bob, "bob-tab");
    b.send("{\"type\":\"subscribe\",\"channelId\":\"room-b\"}");
    JsonNode snapshot = json(b.await(type("snapshot"), WAIT, "bob's snapshot"));
    assertThat(snapshot.toString()).contains("\"userId\":\"" + alice + "\",\"state\":\"online\"");
    a.await(presence(bob, "online"), WAIT, "bob online");

    long closedAt = System.nanoTime();
    b.close();
    JsonNode offline = json(a.await(presence(bob, "offline"), WAIT, "bob offline"));
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isGreaterThanOrEqualTo(GRACE.minusMillis(50));
    assertThat(offline.path("users").get(0).path("lastSeen").asLong()).isPositive();
  }

  @Test
  void aReconnectWithinGraceShowsNothingToOthers() {
    String alice = name("alice");
    String bob = name("bob");
    TestSocket a = join(alice, "room-c");
    TestSocket b = join(bob, "room-c");
    a.await(presence(bob, "online"), WAIT, "bob online");

    b.abort(); // the network drops; the same tab reconnects at once with the same device id
    TestSocket again = open(bob, bob + "-tab");
    again.send("{\"type\":\"subscribe\",\"channelId\":\"room-c\"}");
    again.await(type("snapshot"), WAIT, "bob's fresh snapshot");
    again.send("{\"type\":\"status\",\"status\":\"dnd\"}"); // a marker after the reconnect
    a.await(presence(bob, "dnd"), GRACE.multipliedBy(4).plus(WAIT), "bob dnd");

    assertThat(a.seen()).noneMatch(text -> mentions(text, bob, "offline"));
  }

  @Test
  void typingReachesOtherMembersAndEndsWhenTheMessageIsSent() {
    String alice = name("alice");
    String bob = name("bob");
    TestSocket a = join(alice, "room-d");
    TestSocket b = join(bob, "room-d");

    b.send("{\"type\":\"typing-start\",\"channelId\":\"room-d\"}");
    JsonNode typing = json(a.await(type("typing"), WAIT, "typing"));
    assertThat(typing.path("userId").asText()).isEqualTo(bob);
    assertThat(typing.path("channelId").asText()).isEqualTo("room-d");
    assertThat(typing.path("expiresAt").asLong()).isGreaterThan(System.currentTimeMillis());

    b.send("{\"type\":\"message\",\"channelId\":\"room-d\",\"text\":\"  hello  \"}");
    // Both arrive, in either order: typing goes through the engine's delivery executor, the message
    // straight from the socket's thread. (The page drops a sender's indicator on either.)
    a.awaitSeen(type("typing-stopped"), WAIT, "typing-stopped");
    JsonNode message = json(a.awaitSeen(type("message"), WAIT, "message"));
    assertThat(message.path("userId").asText()).isEqualTo(bob);
    assertThat(message.path("text").asText()).isEqualTo("hello");
    b.await(type("message"), WAIT, "the sender's own copy");
    assertThat(b.seen()).noneMatch(type("typing")); // never sent to the typist

    TestSocket late = join(name("carol"), "room-d");
    assertThat(late.seen().get(0)).contains("\"text\":\"hello\""); // history in the snapshot
  }

  @Test
  void statusSetsDndInvisibleAndTextAndBackToAutomatic() {
    String alice = name("alice");
    String bob = name("bob");
    TestSocket a = join(alice, "room-e");
    TestSocket b = join(bob, "room-e");

    a.send("{\"type\":\"status\",\"status\":\"dnd\",\"text\":\"in a meeting\"}");
    JsonNode dnd = json(b.await(presence(alice, "dnd"), WAIT, "alice dnd"));
    assertThat(dnd.toString()).contains("in a meeting");
    JsonNode self = json(a.await(type("self"), WAIT, "self"));
    assertThat(self.path("mode").asText()).isEqualTo("dnd");
    assertThat(self.path("text").asText()).isEqualTo("in a meeting");

    a.send("{\"type\":\"status\",\"status\":\"invisible\"}");
    b.await(presence(alice, "offline"), WAIT, "alice invisible, shown offline");
    assertThat(server.presence().get(alice).state()).isEqualTo(PresenceState.OFFLINE);

    a.send("{\"type\":\"status\",\"status\":\"auto\"}");
    b.await(presence(alice, "online"), WAIT, "alice back online");
  }

  @Test
  void idleReportsAndAHiddenTabMakeTheUserIdle() {
    String alice = name("alice");
    String bob = name("bob");
    TestSocket a = join(alice, "room-f");
    TestSocket b = join(bob, "room-f");

    a.send("{\"type\":\"status\",\"status\":\"idle\"}");
    b.await(presence(alice, "idle"), WAIT, "alice idle");
    a.send("{\"type\":\"status\",\"status\":\"online\"}");
    b.await(presence(alice, "online"), WAIT, "alice back");
    a.send("{\"type\":\"visibility\",\"visible\":false}");
    b.await(presence(alice, "idle"), WAIT, "alice's tab hidden");
    a.send("{\"type\":\"visibility\",\"visible\":true}");
    b.await(presence(alice, "online"), WAIT, "alice's tab visible");
    // Written otherwise than the page writes them (which skips the parse), they mean the same.
    a.send("{ \"status\": \"idle\", \"type\": \"status\" }");
    b.await(presence(alice, "idle"), WAIT, "alice idle, parsed");
    a.send("{\"type\":\"status\",\"status\":\"online\",\"text\":null}");
    b.await(presence(alice, "online"), WAIT, "alice back, parsed");
    a.send("{\"type\":\"heartbeat\"}");
    a.send("{\"type\":\"activity\"}");
    assertThat(a.isClosed()).isFalse();
  }

  @Test
  void badRequestsGetAnErrorAndAMissingNameClosesTheSocket() {
    TestSocket anonymous = open("", "tab");
    assertThat(anonymous.await(type("error"), WAIT, "error")).contains("'user' is missing");
    assertThat(anonymous.awaitClose(WAIT)).isEqualTo(ChatServer.CLOSE_BAD_REQUEST);

    TestSocket a = join(name("alice"), "room-g");
    a.send("not json");
    assertThat(a.await(type("error"), WAIT, "error")).contains("JSON");
    a.send("{\"type\":\"dance\"}");
    assertThat(a.await(type("error"), WAIT, "error")).contains("unknown message type 'dance'");
    a.send("{\"type\":\"message\",\"channelId\":\"elsewhere\",\"text\":\"hi\"}");
    assertThat(a.await(type("error"), WAIT, "error")).contains("subscribe to channel 'elsewhere'");
    a.send("{\"type\":\"status\",\"status\":\"away\"}");
    assertThat(a.await(type("error"), WAIT, "error")).contains("online, idle, auto, dnd or invisible");
    a.send("{\"type\":\"typing-start\"}");
    assertThat(a.await(type("error"), WAIT, "error")).contains("'channelId' is missing");
    assertThat(a.isClosed()).isFalse();
  }

  @Test
  void aConnectionTakenOverByTheSameDeviceIsClosedAtOnceWithoutSendingAnything() {
    String alice = name("alice");
    TestSocket first = open(alice, "same-tab");
    first.send("{\"type\":\"subscribe\",\"channelId\":\"room-h\"}");
    first.await(type("snapshot"), WAIT, "snapshot"); // connected on the server before the second one
    TestSocket second = open(alice, "same-tab");
    second.send("{\"type\":\"subscribe\",\"channelId\":\"room-h\"}");
    second.await(type("snapshot"), WAIT, "snapshot");

    assertThat(first.awaitClose(WAIT)).isEqualTo(ChatServer.CLOSE_EXPIRED);
    assertThat(first.closeReason()).contains("taken over");
    assertThat(second.isClosed()).isFalse();
  }
}
