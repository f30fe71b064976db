package dev.presence.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.presence.examples.support.RawWebSocket;
import dev.presence.examples.support.TestSocket;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The demo server against hostile or broken clients (issue 12, items 1-4, 6 and 7), with real
 * WebSocket clients: the JDK's ({@link TestSocket}) and a plain-socket one ({@link RawWebSocket})
 * for what the JDK's cannot do (any header, a malformed URL, binary frames, not reading).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatServerHostileClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final String SECRET = "a-test-secret-of-enough-length";
  private static final String EXTRA_ORIGIN = "http://localhost:3000";
  /** Small limits, so each is reached with a few messages. */
  private static final ChatServer.Limits LIMITS =
      new ChatServer.Limits(1 << 20, 1_000, 3, Duration.ofMinutes(1), 3);

  private PresenceBackend backend;
  private ChatServer server;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private int names;

  @BeforeAll
  void startServer() {
    backend = PresenceBackend.inMemory();
    server = ChatServer.start(options().withAllowedOrigins(List.of(EXTRA_ORIGIN)), backend, LIMITS);
  }

  private static DemoOptions options() {
    return new DemoOptions(0, Duration.ofMillis(400), Duration.ofMinutes(1), Duration.ofMillis(50), Duration.ofSeconds(10));
  }

  @AfterEach
  void closeSockets() throws Exception {
    for (AutoCloseable socket : opened) {
      socket.close();
    }
    opened.clear();
  }

  @AfterAll
  void stopServer() {
    server.close();
    backend.close();
  }

  private String name(String base) {
    return base + "-" + ++names;
  }

  private TestSocket open(ChatServer on, String query) {
    TestSocket socket = TestSocket.connect(URI.create("ws://127.0.0.1:" + on.port() + "/ws?" + query));
    opened.add(socket);
    return socket;
  }

  private TestSocket open(String user) {
    return open(server, "user=" + encode(user) + "&device=tab-1");
  }

  private TestSocket join(ChatServer on, String user, String channel) {
    TestSocket socket = open(on, "user=" + encode(user) + "&device=tab-1");
    socket.send("{\"type\":\"subscribe\",\"channelId\":\"" + channel + "\"}");
    socket.await(type("snapshot"), WAIT, "snapshot");
    return socket;
  }

  private RawWebSocket raw(ChatServer on, String pathAndQuery, Map<String, String> headers, int receiveBuffer) {
    RawWebSocket socket = RawWebSocket.open(on.port(), pathAndQuery, headers, receiveBuffer);
    opened.add(socket);
    return socket;
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
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

  private String error(TestSocket socket) {
    return json(socket.await(type("error"), WAIT, "an error")).path("message").asText();
  }

  // ------------------------------------------------------------------------------- 1. origin

  @Test
  void aPageOfAnotherOriginIsRefusedAtTheUpgradeWith403() {
    RawWebSocket evil = raw(server, "/ws?user=alice&device=tab-1", Map.of("Origin", "http://evil.example"), 0);
    assertThat(evil.status()).isEqualTo(403);
    RawWebSocket nullOrigin = raw(server, "/ws?user=alice&device=tab-1", Map.of("Origin", "null"), 0);
    assertThat(nullOrigin.status()).isEqualTo(403);
    assertThat(server.presence().get("alice").isConnected()).isFalse();
  }

  @Test
  void theDemosOwnPageAndConfiguredOriginsAreAccepted() {
    for (String origin :
        List.of("http://127.0.0.1:" + server.port(), "http://localhost:" + server.port(), EXTRA_ORIGIN)) {
      RawWebSocket socket = raw(server, "/ws?user=" + name("alice") + "&device=tab-1", Map.of("Origin", origin), 0);
      assertThat(socket.status()).as(origin).isEqualTo(101);
    }
  }

  // ------------------------------------------------------------------------------- 2. identity

  @Test
  void withASecretOnlyASignedTokenIsBelieved() {
    PresenceBackend tokenBackend = PresenceBackend.inMemory();
    try (ChatServer tokens = ChatServer.start(options().withSecret(SECRET), tokenBackend)) {
      HmacTokenAuthenticator issuer = new HmacTokenAuthenticator(SECRET);
      Instant tomorrow = Instant.now().plus(Duration.ofDays(1));

      TestSocket good = open(tokens, "user=alice&device=tab-1&token=" + issuer.issue("alice", tomorrow));
      good.send("{\"type\":\"subscribe\",\"channelId\":\"lobby\"}");
      JsonNode snapshot = json(good.await(type("snapshot"), WAIT, "snapshot"));
      assertThat(snapshot.path("you").path("userId").asText()).isEqualTo("alice");

      assertRefused(open(tokens, "user=mallory&device=tab-1"), "'token' is missing");
      assertRefused(
          open(tokens, "user=bob&device=tab-1&token=" + issuer.issue("alice", tomorrow)), "not for user 'bob'");
      String forged = new HmacTokenAuthenticator("another-secret-of-enough-length").issue("alice", tomorrow);
      assertRefused(open(tokens, "user=alice&device=tab-2&token=" + forged), "signature is not valid");
      String expired = issuer.issue("alice", Instant.now().minusSeconds(5));
      assertRefused(open(tokens, "user=alice&device=tab-3&token=" + expired), "expired");
      assertRefused(open(tokens, "user=alice&device=tab-4&token=garbage"), "not valid");
      assertThat(tokens.openSockets()).isEqualTo(1);
    } finally {
      tokenBackend.close();
    }
  }

  private void assertRefused(TestSocket socket, String reason) {
    assertThat(error(socket)).contains(reason);
    assertThat(socket.awaitClose(WAIT)).isEqualTo(ChatServer.CLOSE_BAD_REQUEST);
  }

  // ------------------------------------------------------------------------------- 3. names

  @ParameterizedTest
  @ValueSource(strings = {"bob\u200b", "\u202Eecila", "\u0430lice", "al ice", "<b>", "0123456789012345678901234567890123456789x"})
  void namesOutsideThePagesRuleAreRefusedWith4400AndAReason(String name) {
    TestSocket socket = open(name);
    String reason = error(socket);
    assertThat(reason).containsAnyOf("only ASCII letters, digits", "at most 40 characters");
    assertThat(socket.awaitClose(WAIT)).isEqualTo(ChatServer.CLOSE_BAD_REQUEST);
    String asked = name.length() > 40 ? "x" : name;
    // Ids with invisible or reordering characters the engine itself refuses; the others are not connected.
    boolean engineRefuses = asked.codePoints().anyMatch(c -> Character.getType(c) == Character.FORMAT);
    if (!engineRefuses) {
      assertThat(server.presence().get(asked).isConnected()).isFalse();
    }
  }

  @Test
  void aFortyCharacterNameWithDotsDashesAndUnderscoresIsAccepted() {
    String name = "a.b-c_d" + "x".repeat(33);
    TestSocket socket = join(server, name, "room-names");
    assertThat(socket.isClosed()).isFalse();
    assertThat(server.presence().get(name).isConnected()).isTrue();
  }

  // ------------------------------------------------------------------------------- 4. limits

  @Test
  void chatMessagesPastTheTokenBucketGetAnErrorAndAreNotSent() {
    String alice = name("alice");
    TestSocket a = join(server, alice, "room-rate");
    for (int i = 1; i <= 3; i++) {
      a.send("{\"type\":\"message\",\"channelId\":\"room-rate\",\"text\":\"m" + i + "\"}");
      a.await(type("message"), WAIT, "message " + i);
    }
    a.send("{\"type\":\"message\",\"channelId\":\"room-rate\",\"text\":\"m4\"}");
    assertThat(error(a)).contains("too many messages");
    TestSocket late = join(server, name("bob"), "room-rate");
    assertThat(late.seen().get(0)).contains("m3").doesNotContain("m4");
    assertThat(a.isClosed()).isFalse();
  }

  @Test
  void aReaderThatFallsBehindIsClosedWith1008AndCountedWhileOthersGoOn() {
    PresenceBackend floodBackend = PresenceBackend.inMemory();
    ChatServer.Limits small = new ChatServer.Limits(64 * 1024, 200, 1_000_000, Duration.ofNanos(1), 10);
    try (ChatServer flood = ChatServer.start(options(), floodBackend, small)) {
      RawWebSocket slow = raw(flood, "/ws?user=slow&device=tab-1", Map.of(), 4096);
      assertThat(slow.status()).isEqualTo(101);
      slow.sendText("{\"type\":\"subscribe\",\"channelId\":\"flood\"}");
      assertThat(slow.read(WAIT).text()).contains("\"type\":\"snapshot\"");
      TestSocket fast = join(flood, "fast", "flood");
      TestSocket reader = join(flood, "reader", "flood");

      // The slow socket now stops reading while the channel floods.
      String text = "x".repeat(1900);
      int sent = 0;
      while (flood.slowReadersClosed() == 0 && sent < 20_000) {
        fast.send("{\"type\":\"message\",\"channelId\":\"flood\",\"text\":\"" + text + sent + "\"}");
        sent++;
      }
      assertThat(flood.slowReadersClosed()).as("closed after %d messages", sent).isEqualTo(1);
      fast.send("{\"type\":\"message\",\"channelId\":\"flood\",\"text\":\"after\"}");
      reader.awaitSeen(m -> m.contains("\"text\":\"after\""), WAIT, "a message after the slow reader was closed");
      assertThat(fast.isClosed()).isFalse();
      assertThat(reader.isClosed()).isFalse();

      RawWebSocket.Frame close = slow.readUntilClose(WAIT);
      assertThat(close.closeCode()).isEqualTo(ChatServer.CLOSE_POLICY);
      assertThat(close.closeReason()).startsWith("too slow");
    } finally {
      floodBackend.close();
    }
  }

  // ------------------------------------------------------------------------------- 6. bad requests

  @Test
  void malformedPercentEncodingIsA400WithOneLogLineAndNoStackTrace() {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = raw(server, "/ws?user=%zz&device=tab-1", Map.of(), 0).status();
      assertThat(raw(server, "/ws?user=%C3%28&device=tab-1", Map.of(), 0).status()).isEqualTo(400); // not UTF-8
    } finally {
      System.setErr(original);
    }
    assertThat(status).isEqualTo(400);
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log.lines().filter(l -> l.contains("malformed percent-encoding"))).hasSize(2);
    assertThat(log).doesNotContain("\tat ").doesNotContain("Exception");
  }

  @Test
  void aBinaryFrameGetsAnErrorFrameAndTheSocketStaysOpen() {
    RawWebSocket socket = raw(server, "/ws?user=" + name("alice") + "&device=tab-1", Map.of(), 0);
    socket.sendBinary(new byte[] {1, 2, 3});
    RawWebSocket.Frame frame = socket.read(WAIT);
    assertThat(frame.opcode()).isEqualTo(RawWebSocket.TEXT);
    assertThat(frame.text()).contains("\"type\":\"error\"").contains("binary frames are not supported");
    socket.sendText("{\"type\":\"subscribe\",\"channelId\":\"room-binary\"}");
    assertThat(socket.read(WAIT).text()).contains("\"type\":\"snapshot\"");
  }

  @Test
  void fieldsOfTheWrongTypeSaySoAndMissingOnesAreMissing() {
    TestSocket a = join(server, name("alice"), "room-types");
    a.send("{\"type\":\"typing-start\",\"channelId\":123}");
    assertThat(error(a)).isEqualTo("'channelId' must be a string");
    a.send("{\"type\":\"typing-start\"}");
    assertThat(error(a)).isEqualTo("'channelId' is missing");
    a.send("{\"type\":\"subscribe\",\"channelId\":[\"lobby\"]}");
    assertThat(error(a)).isEqualTo("'channelId' must be a string");
    a.send("{\"type\":\"message\",\"channelId\":\"room-types\",\"text\":42}");
    assertThat(error(a)).isEqualTo("'text' must be a string");
    a.send("{\"type\":\"status\",\"status\":\"dnd\",\"text\":{}}");
    assertThat(error(a)).isEqualTo("'text' must be a string or null");
    a.send("{\"type\":7}");
    assertThat(error(a)).isEqualTo("'type' must be a string");
    a.send("[1,2]");
    assertThat(error(a)).isEqualTo("a message must be a JSON object");
    assertThat(a.isClosed()).isFalse();
  }

  @Test
  void visibilityNeedsABooleanAndChangesNothingWithout() {
    String alice = name("alice");
    TestSocket a = join(server, alice, "room-visible");
    a.send("{\"type\":\"visibility\",\"visible\":false}");
    awaitState(alice, "IDLE");
    a.send("{\"type\":\"visibility\"}");
    assertThat(error(a)).isEqualTo("'visible' is missing");
    a.send("{\"type\":\"visibility\",\"visible\":\"yes\"}");
    assertThat(error(a)).isEqualTo("'visible' must be true or false");
    assertThat(server.presence().get(alice).state().name()).isEqualTo("IDLE"); // not made visible
  }

  private void awaitState(String user, String state) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!server.presence().get(user).state().name().equals(state)) {
      assertThat(System.nanoTime()).as(user + " becomes " + state).isLessThan(deadline);
      try {
        Thread.sleep(20); // a bounded poll of a real server
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void anUnknownTypeIsEchoedAtMost64Characters() {
    TestSocket a = join(server, name("alice"), "room-unknown");
    a.send("{\"type\":\"" + "d".repeat(10_000) + "\"}");
    String message = error(a);
    assertThat(message).isEqualTo("unknown message type '" + "d".repeat(64) + "...'");
  }

  // ------------------------------------------------------------------------------- 7. refusals

  @Test
  void aRefusedSubscribeLeavesTheUserOutOfTheChannel() {
    String alice = name("alice");
    TestSocket a = join(server, alice, "room-1");
    for (String room : List.of("room-2", "room-3")) {
      a.send("{\"type\":\"subscribe\",\"channelId\":\"" + room + "\"}");
      a.await(type("snapshot"), WAIT, "snapshot of " + room);
    }
    for (int i = 4; i <= 50; i++) {
      a.send("{\"type\":\"subscribe\",\"channelId\":\"room-" + i + "\"}");
      assertThat(error(a)).as("subscribe %d", i).isNotEmpty();
    }
    for (int i = 1; i <= 50; i++) {
      assertThat(server.presence().channelMembers("room-" + i).contains(alice)).as("member of room-%d", i).isEqualTo(i <= 3);
    }
    a.send("{\"type\":\"message\",\"channelId\":\"room-4\",\"text\":\"hi\"}");
    assertThat(error(a)).contains("subscribe to channel 'room-4'");
  }

  @Test
  void aRefusedSubscribeKeepsAMembershipThatAnotherTabNeeds() {
    String alice = name("alice");
    TestSocket first = open(server, "user=" + alice + "&device=tab-a");
    for (int i = 1; i <= 3; i++) {
      first.send("{\"type\":\"subscribe\",\"channelId\":\"shared-" + i + "\"}");
      first.await(type("snapshot"), WAIT, "snapshot " + i);
    }
    TestSocket second = open(server, "user=" + alice + "&device=tab-b");
    for (int i = 4; i <= 6; i++) {
      second.send("{\"type\":\"subscribe\",\"channelId\":\"shared-" + i + "\"}");
      second.await(type("snapshot"), WAIT, "snapshot " + i);
    }
    first.send("{\"type\":\"subscribe\",\"channelId\":\"shared-4\"}"); // over the first tab's limit
    assertThat(error(first)).isNotEmpty();
    assertThat(server.presence().channelMembers("shared-4")).contains(alice);
  }
}
