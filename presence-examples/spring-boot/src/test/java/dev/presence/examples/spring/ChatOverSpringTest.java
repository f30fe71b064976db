package dev.presence.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The started application with real WebSocket clients (the JDK's): the Javalin demo's protocol works
 * unchanged, the page is served, and the engine's meters are under {@code /actuator/metrics}.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"presence.grace=2s", "presence.flush=100ms", "presence.idle=1m"})
class ChatOverSpringTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Client> clients = new java.util.ArrayList<>();

  @LocalServerPort int port;

  @AfterEach
  void closeClients() {
    clients.forEach(Client::close);
  }

  @Test
  void twoUsersSeeEachOtherOnlineTypingAndInDndAndTheMetersCountThem() throws Exception {
    Client alice = connect("alice", "tab-1");
    alice.send("{\"type\":\"subscribe\",\"channelId\":\"general\"}");
    String aliceSnapshot = alice.next(frame -> frame.contains("\"type\":\"snapshot\""));
    assertThat((Object) JsonPath.read(aliceSnapshot, "$.you.userId")).isEqualTo("alice");
    assertThat((Object) JsonPath.read(aliceSnapshot, "$.settings.graceMs")).isEqualTo(2000);
    assertThat((Object) JsonPath.read(aliceSnapshot, "$.settings.flushMs")).isEqualTo(100);

    Client bob = connect("bob", "tab-1");
    bob.send("{\"type\":\"subscribe\",\"channelId\":\"general\"}");
    String bobSnapshot = bob.next(frame -> frame.contains("\"type\":\"snapshot\""));
    List<String> onlineForBob = JsonPath.read(bobSnapshot, "$.users[?(@.state == 'online')].userId");
    assertThat(onlineForBob).contains("alice", "bob");
    alice.next(frame -> frame.contains("\"type\":\"presence\"") && frame.contains("\"userId\":\"bob\""));

    alice.send("{\"type\":\"typing-start\",\"channelId\":\"general\"}");
    String typing = bob.next(frame -> frame.contains("\"type\":\"typing\""));
    assertThat((Object) JsonPath.read(typing, "$.userId")).isEqualTo("alice");

    alice.send("{\"type\":\"message\",\"channelId\":\"general\",\"text\":\"hi bob\"}");
    // Both arrive, in either order: typing goes through the engine's delivery, the message straight
    // from the sender's socket thread.
    bob.seen(frame -> frame.contains("\"type\":\"typing-stopped\""));
    String message = bob.seen(frame -> frame.contains("\"type\":\"message\""));
    assertThat((Object) JsonPath.read(message, "$.text")).isEqualTo("hi bob");

    alice.send("{\"type\":\"status\",\"status\":\"dnd\",\"text\":\"focus\"}");
    alice.next(frame -> frame.contains("\"type\":\"self\"") && frame.contains("\"mode\":\"dnd\""));
    String dnd = bob.next(frame -> frame.contains("\"type\":\"presence\"") && frame.contains("\"state\":\"dnd\""));
    assertThat((Object) JsonPath.read(dnd, "$.users[0].text")).isEqualTo("focus");

    alice.send("{\"type\":\"nonsense\"}");
    assertThat(alice.next(frame -> frame.contains("\"type\":\"error\""))).contains("unknown message type 'nonsense'");

    assertThat(get("/actuator/metrics").body()).contains("presence.connects", "presence.users", "presence.deliveries");
    assertThat(measurement("presence.connects")).isEqualTo(2.0);
    assertThat(measurement("presence.subscribers")).isEqualTo(2.0);
    assertThat(measurement("presence.users", "tag=state:dnd")).isEqualTo(1.0);
    assertThat(measurement("presence.deliveries")).isGreaterThanOrEqualTo(4.0);
    assertThat(measurement("presence.store.calls")).isGreaterThanOrEqualTo(3.0);
  }

  @Test
  void aBadNameIsRefusedWith4400AndTheReason() throws Exception {
    Client bad = connect("b\u200bob", "tab-1");
    assertThat(bad.next(frame -> frame.contains("\"type\":\"error\""))).contains("U+200B");
    assertThat(bad.closed.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(4400);
  }

  @Test
  void theJavalinDemosPageIsServed() throws Exception {
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("app.js");
    assertThat(get("/app.js").body()).contains("/ws?user=");
  }

  private double measurement(String name, String... query) throws Exception {
    String path = "/actuator/metrics/" + name + (query.length > 0 ? "?" + String.join("&", query) : "");
    HttpResponse<String> response = get(path);
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    List<Number> values = JsonPath.read(response.body(), "$.measurements[?(@.statistic in ['VALUE', 'COUNT'])].value");
    return values.get(0).doubleValue();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Client connect(String user, String device) throws Exception {
    Client client = new Client();
    String query = "user=" + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8) + "&device=" + device;
    client.socket =
        http.newWebSocketBuilder()
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?" + query), client)
            .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    clients.add(client);
    return client;
  }

  /** A WebSocket client that queues every text frame and its close code. */
  private static final class Client implements WebSocket.Listener {
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    final List<String> all = new java.util.concurrent.CopyOnWriteArrayList<>();
    final BlockingQueue<Integer> closed = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket socket;

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        all.add(partial.toString());
        frames.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.add(statusCode);
      return null;
    }

    void send(String text) {
      socket.sendText(text, true).join();
    }

    /** The next frame that matches, skipping others; fails after {@link #WAIT}. */
    String next(Predicate<String> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      List<String> skipped = new java.util.ArrayList<>();
      while (true) {
        String frame = frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (frame == null) {
          throw new AssertionError("no such frame within " + WAIT + "; got " + skipped);
        }
        if (wanted.test(frame)) {
          return frame;
        }
        skipped.add(frame);
      }
    }

    /** A frame that matches among all received so far or within {@link #WAIT}, consumed or not. */
    String seen(Predicate<String> wanted) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        for (String frame : all) {
          if (wanted.test(frame)) {
            return frame;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("no such frame within " + WAIT + "; got " + all);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }

    void close() {
      if (socket != null && !socket.isOutputClosed()) {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
      }
    }
  }
}
