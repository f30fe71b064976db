package dev.presence.examples.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.presence.DeviceConnection;
import dev.presence.DeviceInfo;
import dev.presence.Platform;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceSnapshot;
import dev.presence.StatusMode;
import dev.presence.Subscriber;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.spi.UserRecord;
import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat demo's server: one Javalin (Jetty 12) instance on 127.0.0.1 that serves the page from
 * the classpath ({@code /public}) and wires the presence engine into one WebSocket endpoint,
 * {@code /ws?user=NAME&device=ID}. The JSON protocol is written down in the module's README.
 *
 * <p>The engine never sees a socket: each WebSocket gets one {@link DeviceConnection} (its device)
 * and one {@link Subscriber} whose {@link PresenceSink} writes JSON to that socket. Chat messages and
 * their history are the application's part and stay in this class (node-local).
 */
public final class ChatServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

  /** WebSocket close code for a request the server refuses (bad name or device id, too many devices). */
  public static final int CLOSE_BAD_REQUEST = 4400;
  /** WebSocket close code for a connection the engine no longer knows (expired, or taken over). */
  public static final int CLOSE_EXPIRED = 4001;

  static final int MAX_NAME_CHARS = 40;
  static final int MAX_MESSAGE_CHARS = 2000;
  static final int HISTORY = 100;

  private final DemoOptions options;
  private final PresenceBackend backend;
  private final Presence presence;
  private final Javalin app;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, ChatSocket> sockets = new ConcurrentHashMap<>();
  private final Map<String, Set<ChatSocket>> channelSockets = new ConcurrentHashMap<>();
  private final Map<String, Deque<ObjectNode>> history = new ConcurrentHashMap<>();
  private final AtomicLong messageIds = new AtomicLong();

  private ChatServer(DemoOptions options, PresenceBackend backend) {
    this.options = options;
    this.backend = backend;
    this.presence =
        Presence.builder()
            .store(backend.store())
            .bus(backend.bus())
            .grace(options.grace())
            .idleAfter(options.idle())
            .flushInterval(options.flush())
            .heartbeatTtl(options.heartbeatTtl())
            .build();
    this.app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              config.staticFiles.add("/public", Location.CLASSPATH);
              // Pages heartbeat far more often than this; it only reaps sockets that went silent.
              config.jetty.modifyWebSocketServletFactory(
                  factory -> factory.setIdleTimeout(Duration.ofMinutes(2)));
              config.routes.ws(
                  "/ws",
                  ws -> {
                    ws.onConnect(this::onConnect);
                    ws.onMessage(this::onMessage);
                    ws.onClose(this::onClose);
                    ws.onError(ctx -> closed(ctx.sessionId()));
                  });
            });
  }

  /**
   * Builds the engine on {@code backend} and starts serving on 127.0.0.1.
   *
   * @throws RuntimeException if the port cannot be bound; the engine is closed again then
   */
  public static ChatServer start(DemoOptions options, PresenceBackend backend) {
    ChatServer server = new ChatServer(options, backend);
    try {
      server.app.start("127.0.0.1", options.port());
    } catch (RuntimeException e) {
      server.presence.close();
      throw e;
    }
    return server;
  }

  /** The port the server listens on. */
  public int port() {
    return app.port();
  }

  /** The page's address. */
  public String url() {
    return "http://localhost:" + port() + "/";
  }

  /** The engine, for tests and for embedding the demo. */
  public Presence presence() {
    return presence;
  }

  /** The number of open WebSockets. */
  public int openSockets() {
    return sockets.size();
  }

  /**
   * Closes every WebSocket from the server side, as a network failure or a restart would; the pages
   * reconnect with backoff and fetch a fresh snapshot. For tests and demos.
   */
  public void dropAllConnections() {
    for (ChatSocket socket : List.copyOf(sockets.values())) {
      socket.close(1012, "server dropped the connection");
    }
  }

  /** Like {@link #dropAllConnections()}, for the sockets of one user only. */
  public void dropConnectionsOf(String userId) {
    for (ChatSocket socket : List.copyOf(sockets.values())) {
      if (socket.connection.userId().equals(userId)) {
        socket.close(1012, "server dropped the connection");
      }
    }
  }

  /** Stops the HTTP server and the engine; the backend stays open (its owner closes it). */
  @Override
  public void close() {
    try {
      app.stop();
    } finally {
      presence.close();
    }
  }

  // ------------------------------------------------------------------------------- socket events

  private void onConnect(WsConnectContext ctx) {
    String user = ctx.queryParam("user");
    String device = ctx.queryParam("device");
    String problem = null;
    if (user == null || user.isBlank()) {
      problem = "the query parameter 'user' is missing";
    } else if (device == null || device.isBlank()) {
      problem = "the query parameter 'device' is missing";
    } else if (!user.equals(user.strip()) || user.length() > MAX_NAME_CHARS) {
      problem = "a name has 1 to " + MAX_NAME_CHARS + " characters and no spaces around it";
    }
    DeviceConnection connection = null;
    if (problem == null) {
      try {
        connection = presence.connect(user, device, DeviceInfo.of(Platform.WEB));
      } catch (IllegalArgumentException e) { // invalid id, or the user is at its device limit
        problem = e.getMessage();
      }
    }
    if (problem != null) {
      ctx.send(error(problem));
      ctx.closeSession(CLOSE_BAD_REQUEST, "bad request");
      return;
    }
    ChatSocket socket = new ChatSocket(ctx, connection);
    socket.subscriber = presence.subscribe(connection, socket);
    sockets.put(ctx.sessionId(), socket);
    log.info("{} connected (device {})", user, device);
  }

  private void onClose(WsCloseContext ctx) {
    closed(ctx.sessionId());
  }

  private void closed(String sessionId) {
    ChatSocket socket = sockets.remove(sessionId);
    if (socket == null) {
      return;
    }
    for (String channel : socket.channels) {
      Set<ChatSocket> members = channelSockets.get(channel);
      if (members != null) {
        members.remove(socket);
      }
    }
    // The device stays counted for the grace period: a reload or a reconnect within it shows nothing.
    socket.connection.disconnect();
    socket.subscriber.close();
    log.info("{} disconnected (device {})", socket.connection.userId(), socket.connection.deviceId());
  }

  private void onMessage(WsMessageContext ctx) {
    ChatSocket socket = sockets.get(ctx.sessionId());
    if (socket == null) {
      return;
    }
    JsonNode message;
    try {
      message = json.readTree(ctx.message());
    } catch (JsonProcessingException e) {
      socket.send(error("a message must be a JSON object"));
      return;
    }
    String type = message.path("type").asText("");
    DeviceConnection connection = socket.connection;
    try {
      boolean open =
          switch (type) {
            case "heartbeat" -> connection.heartbeat();
            case "activity" -> connection.activity();
            case "visibility" -> connection.setVisible(message.path("visible").asBoolean(true));
            case "status" -> status(socket, message);
            case "typing-start" -> connection.typing(channelOf(message));
            case "typing-stop" -> connection.stopTyping(channelOf(message));
            case "message" -> chatMessage(socket, message);
            case "subscribe" -> subscribe(socket, message);
            default -> {
              socket.send(error("unknown message type '" + type + "'"));
              yield true;
            }
          };
      if (!open) {
        socket.close(CLOSE_EXPIRED, "connection expired or taken over; reconnect");
      }
    } catch (IllegalStateException e) { // the engine closed this connection (expiry or takeover)
      socket.close(CLOSE_EXPIRED, "connection expired or taken over; reconnect");
    } catch (IllegalArgumentException e) { // bad input or a limit (LimitExceededException)
      socket.send(error(e.getMessage()));
    }
  }

  // ------------------------------------------------------------------------------- client messages

  /**
   * {@code online}/{@code idle} are this device's own reports (its idle detector): they never touch
   * the user's chosen status. {@code auto}, {@code dnd} and {@code invisible} set the user's status,
   * with the optional {@code text}, on every device.
   */
  private boolean status(ChatSocket socket, JsonNode message) {
    String status = message.path("status").asText("");
    JsonNode textNode = message.get("text");
    String text = textNode == null || textNode.isNull() ? null : textNode.asText().strip();
    if (text != null && text.isEmpty()) {
      text = null;
    }
    DeviceConnection connection = socket.connection;
    switch (status) {
      case "online":
        return connection.setIdle(false);
      case "idle":
        return connection.setIdle(true);
      case "auto":
      case "dnd":
      case "invisible":
        StatusMode mode = StatusMode.valueOf(status.toUpperCase(Locale.ROOT));
        connection.setStatus(mode, text, null);
        String selfJson = write(self(connection.userId()));
        for (ChatSocket other : sockets.values()) {
          if (other.connection.userId().equals(connection.userId())) {
            other.send(selfJson);
          }
        }
        return true;
      default:
        throw new IllegalArgumentException(
            "status must be online, idle, auto, dnd or invisible but was '" + status + "'");
    }
  }

  private boolean subscribe(ChatSocket socket, JsonNode message) {
    String channelId = channelOf(message);
    String userId = socket.connection.userId();
    presence.joinChannel(channelId, userId);
    // Presence batches that arrive while the snapshot is being built wait until it has been sent:
    // the engine only delivers changes newer than the snapshot, so they go out after it, in order.
    socket.hold();
    String snapshotJson = null;
    try {
      PresenceSnapshot snapshot = socket.subscriber.watchChannel(channelId);
      socket.channels.add(channelId);
      channelSockets.computeIfAbsent(channelId, id -> ConcurrentHashMap.newKeySet()).add(socket);
      if (!sockets.containsKey(socket.ctx.sessionId())) { // closed meanwhile: do not leave it listed
        channelSockets.get(channelId).remove(socket);
      }
      ObjectNode out = json.createObjectNode();
      out.put("type", "snapshot");
      out.put("channelId", channelId);
      out.put("serverTime", System.currentTimeMillis());
      ObjectNode you = self(userId);
      you.remove("type");
      you.put("deviceId", socket.connection.deviceId());
      out.set("you", you);
      ArrayNode users = out.putArray("users");
      snapshot.users().forEach(p -> users.add(presenceJson(p)));
      ArrayNode typing = out.putArray("typing");
      for (TypingEvent event : snapshot.typing()) {
        typing.add(typingJson(event));
      }
      ArrayNode messages = out.putArray("messages");
      Deque<ObjectNode> log = history.get(channelId);
      if (log != null) {
        synchronized (log) {
          log.forEach(messages::add);
        }
      }
      ObjectNode settings = out.putObject("settings");
      long idleMs = options.idle().toMillis();
      settings.put("idleMs", idleMs);
      settings.put("heartbeatMs", Math.min(15_000, options.heartbeatTtl().toMillis() / 3));
      settings.put("activityMs", Math.max(250, Math.min(10_000, idleMs / 4)));
      settings.put("graceMs", options.grace().toMillis());
      settings.put("flushMs", options.flush().toMillis());
      snapshotJson = write(out);
    } finally {
      socket.release(snapshotJson);
    }
    return true;
  }

  private boolean chatMessage(ChatSocket socket, JsonNode message) {
    String channelId = channelOf(message);
    if (!socket.channels.contains(channelId)) {
      throw new IllegalArgumentException("subscribe to channel '" + channelId + "' before sending to it");
    }
    String text = message.path("text").asText("").strip();
    if (text.isEmpty() || text.length() > MAX_MESSAGE_CHARS) {
      throw new IllegalArgumentException("a message has 1 to " + MAX_MESSAGE_CHARS + " characters");
    }
    if (!socket.connection.messageSent(channelId)) { // ends the sender's typing indicator
      return false;
    }
    ObjectNode out = json.createObjectNode();
    out.put("type", "message");
    out.put("id", messageIds.incrementAndGet());
    out.put("channelId", channelId);
    out.put("userId", socket.connection.userId());
    out.put("text", text);
    out.put("at", System.currentTimeMillis());
    Deque<ObjectNode> log = history.computeIfAbsent(channelId, id -> new ArrayDeque<>());
    synchronized (log) {
      log.addLast(out);
      while (log.size() > HISTORY) {
        log.removeFirst();
      }
    }
    String text1 = write(out);
    for (ChatSocket member : channelSockets.getOrDefault(channelId, Set.of())) {
      member.send(text1);
    }
    return true;
  }

  private static String channelOf(JsonNode message) {
    JsonNode channel = message.get("channelId");
    if (channel == null || !channel.isTextual()) {
      throw new IllegalArgumentException("'channelId' is missing");
    }
    return channel.asText();
  }

  // ------------------------------------------------------------------------------- JSON

  private ObjectNode self(String userId) {
    UserRecord record = backend.store().get(userId);
    ObjectNode out = json.createObjectNode();
    out.put("type", "self");
    out.put("userId", userId);
    out.put("mode", record.mode().name().toLowerCase(Locale.ROOT));
    out.put("text", record.customText());
    return out;
  }

  private ObjectNode presenceJson(UserPresence p) {
    ObjectNode out = json.createObjectNode();
    out.put("userId", p.userId());
    out.put("state", p.state().name().toLowerCase(Locale.ROOT));
    out.put("text", p.customText());
    Instant lastSeen = p.lastSeen();
    if (lastSeen == null) {
      out.putNull("lastSeen");
    } else {
      out.put("lastSeen", lastSeen.toEpochMilli());
    }
    out.put("version", p.version());
    return out;
  }

  private ObjectNode typingJson(TypingEvent event) {
    ObjectNode out = json.createObjectNode();
    out.put("type", event.kind() == TypingEvent.Kind.STOPPED ? "typing-stopped" : "typing");
    out.put("channelId", event.channelId());
    out.put("userId", event.userId());
    if (event.expiresAt() != null) {
      out.put("expiresAt", event.expiresAt().toEpochMilli());
    }
    return out;
  }

  private String error(String message) {
    ObjectNode out = json.createObjectNode();
    out.put("type", "error");
    out.put("message", message);
    return write(out);
  }

  private String write(JsonNode node) {
    try {
      return json.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------------------- one socket

  /** One WebSocket: its device connection, its subscriber, and the sink that writes to it. */
  private final class ChatSocket implements PresenceSink {
    final WsContext ctx;
    final DeviceConnection connection;
    final Set<String> channels = ConcurrentHashMap.newKeySet();
    volatile Subscriber subscriber;
    private final List<String> held = new ArrayList<>();
    private int holding;

    ChatSocket(WsContext ctx, DeviceConnection connection) {
      this.ctx = ctx;
      this.connection = Objects.requireNonNull(connection);
    }

    @Override
    public void onPresence(List<UserPresence> changes) {
      ObjectNode out = json.createObjectNode();
      out.put("type", "presence");
      ArrayNode users = out.putArray("users");
      changes.forEach(p -> users.add(presenceJson(p)));
      send(write(out));
    }

    @Override
    public void onTyping(List<TypingEvent> events) {
      for (TypingEvent event : events) {
        send(write(typingJson(event)));
      }
    }

    /** Sends now, or after the snapshot being built. Jetty queues the frame; this never blocks. */
    synchronized void send(String text) {
      if (holding > 0) {
        held.add(text);
      } else {
        sendNow(text);
      }
    }

    synchronized void hold() {
      holding++;
    }

    synchronized void release(String first) {
      if (first != null) {
        sendNow(first);
      }
      if (--holding == 0) {
        held.forEach(this::sendNow);
        held.clear();
      }
    }

    private void sendNow(String text) {
      try {
        ctx.send(text);
      } catch (RuntimeException e) { // the socket is closing; its close event cleans up
        log.debug("send to {} failed", connection.userId(), e);
      }
    }

    void close(int code, String reason) {
      try {
        ctx.closeSession(code, reason);
      } catch (RuntimeException e) {
        log.debug("close of {} failed", connection.userId(), e);
      }
    }
  }
}
