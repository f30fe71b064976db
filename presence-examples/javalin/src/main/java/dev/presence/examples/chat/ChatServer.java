package dev.presence.examples.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.presence.CloseReason;
import dev.presence.DeviceConnection;
import dev.presence.DeviceOverflow;
import dev.presence.DeviceInfo;
import dev.presence.Platform;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceSnapshot;
import dev.presence.StatusMode;
import dev.presence.Subscriber;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.spi.UserRecord;
import io.javalin.Javalin;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.staticfiles.Location;
import io.javalin.websocket.WsBinaryMessageContext;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
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
 *
 * <p>What a hostile client meets: the upgrade is refused with 403 from a page of another origin and
 * with 400 for a malformed query; who the client is comes from an {@link Authenticator} and must
 * pass {@link UserNames}; every socket's outgoing queue is bounded ({@link Limits}), a reader that
 * falls behind is closed with 1008; chat messages are rate-limited per socket; a refused request
 * gets an {@code error} frame and changes nothing.
 *
 * <p>Thread-safe: Jetty calls the socket handlers from its threads, the engine calls the sinks from
 * its own (the flush timer's, or the one whose call started a typing batch).
 */
public final class ChatServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

  /** WebSocket close code for a request the server refuses (bad name or device id, too many devices). */
  public static final int CLOSE_BAD_REQUEST = 4400;
  /** WebSocket close code for a connection the engine no longer knows (expired, or taken over). */
  public static final int CLOSE_EXPIRED = 4001;
  /** WebSocket close code for a client that broke a limit (it read too slowly). */
  public static final int CLOSE_POLICY = 1008;

  static final int MAX_MESSAGE_CHARS = 2000;
  static final int MAX_DEVICE_CHARS = 64;
  static final int MAX_ECHO_CHARS = 64;
  static final int HISTORY = 100;
  private static final int HTTP_THREADS = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
  /** What pages send most, answered without parsing JSON (the page writes exactly these). */
  private static final String HEARTBEAT = "{\"type\":\"heartbeat\"}";
  private static final String ACTIVITY = "{\"type\":\"activity\"}";
  private static final String IDLE = "{\"type\":\"status\",\"status\":\"idle\"}";
  private static final String ONLINE = "{\"type\":\"status\",\"status\":\"online\"}";
  /**
   * How long a selector that found input waits for more (see {@link SelectorReadConnector}): fewer
   * wake-ups under load, at most this much more latency per frame read. 10 ms is invisible next to
   * the 1 s presence batches and cut the CPU per frame by a fifth against 2 ms (README, "Server cost
   * per frame"); 20 ms gained little more.
   */
  static final Duration GATHER_FRAMES = Duration.ofMillis(10);
  /** A slow reader whose close frame cannot get through is cut off this long after it. */
  private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(5);

  /**
   * The per-socket limits.
   *
   * @param sendQueueBytes bytes of frames that may wait to be written to one socket; past it the
   *     socket is closed with {@link #CLOSE_POLICY}
   * @param sendQueueMessages frames that may wait to be written to one socket; the same
   * @param messageBurst chat messages one socket may send at once (a token bucket's size)
   * @param messageRefill one more chat message is allowed per this interval
   * @param channelsPerSocket channels one socket may subscribe to (the engine's limit per subscriber)
   */
  public record Limits(
      int sendQueueBytes, int sendQueueMessages, int messageBurst, Duration messageRefill, int channelsPerSocket) {

    /**
     * Checks the limits.
     *
     * @throws IllegalArgumentException if a number is below 1 or the refill is not positive
     */
    public Limits {
      if (sendQueueBytes < 1 || sendQueueMessages < 1 || messageBurst < 1 || channelsPerSocket < 1) {
        throw new IllegalArgumentException("every limit must be at least 1: " + this);
      }
      if (messageRefill.isZero() || messageRefill.isNegative()) {
        throw new IllegalArgumentException("messageRefill must be positive but was " + messageRefill);
      }
    }

    /** 1 MiB or 1,000 frames queued per socket; 10 messages at once, then 1 per second; 100 channels. */
    public static Limits defaults() {
      return new Limits(1 << 20, 1_000, 10, Duration.ofSeconds(1), 100);
    }
  }

  private final DemoOptions options;
  private final PresenceBackend backend;
  private final Limits limits;
  private final Authenticator authenticator;
  private final Presence presence;
  private final Javalin app;
  // Non-ASCII is escaped, so a frame's length in characters is its length in bytes.
  private final ObjectMapper json = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
  private final Map<String, ChatSocket> sockets = new ConcurrentHashMap<>();
  private final Map<String, Set<ChatSocket>> channelSockets = new ConcurrentHashMap<>();
  private final Map<String, Deque<ObjectNode>> history = new ConcurrentHashMap<>();
  private final AtomicLong messageIds = new AtomicLong();
  private final AtomicLong slowReadersClosed = new AtomicLong();
  private final ScheduledExecutorService cutoffs =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "chat-slow-reader-cutoff");
            thread.setDaemon(true);
            return thread;
          });

  /** The JSON of each user's latest presence entry, built once for all the subscribers it goes to. */
  private final Map<String, PresenceJson> presenceJson = new ConcurrentHashMap<>();

  private ChatServer(DemoOptions options, PresenceBackend backend, Limits limits, Authenticator authenticator) {
    this.options = options;
    this.backend = backend;
    this.limits = Objects.requireNonNull(limits, "limits");
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.presence =
        Presence.builder()
            .store(backend.store())
            .bus(backend.bus())
            .grace(options.grace())
            .idleAfter(options.idle())
            .flushInterval(options.flush())
            .heartbeatTtl(options.heartbeatTtl())
            .maxSubscriptionsPerSubscriber(limits.channelsPerSocket())
            // Whoever opens many tabs under a name replaces the oldest instead of locking it out.
            .deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE)
            // A sink only formats a frame and queues it on Jetty's asynchronous send, never waits, so it
            // runs on the engine thread that hands it a batch (the flush timer, mostly): a pool here
            // cost a hand-off and a thread wake-up per frame sent.
            .deliveryExecutor(Runnable::run)
            .build();
    // Joined here whether or not anyone here watches the channel yet: a watch that starts while the
    // news is on its way would otherwise miss the member.
    backend.channels().onJoin(presence::joinChannel);
    this.app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              // Nothing here blocks (frames go out asynchronously), so a few threads per core do;
              // Javalin's default of 250 only added context switches under load.
              QueuedThreadPool pool = new QueuedThreadPool(HTTP_THREADS, 4);
              pool.setName("chat-http");
              config.jetty.threadPool = pool;
              config.staticFiles.add("/public", Location.CLASSPATH);
              // Our own connector, for its accept queue (Jetty's default backlog of 50 drops
              // connection attempts in a reconnect storm); Javalin then adds none of its own.
              config.jetty.addConnector(
                  (server, http) -> {
                    // In memory nothing a frame handler does blocks, so frames are read and handled
                    // on the selector thread (no hand-off per frame); on Redis they go to the pool.
                    ServerConnector connector =
                        readsOnSelector(backend)
                            ? new SelectorReadConnector(server, GATHER_FRAMES, new HttpConnectionFactory(http))
                            : new ServerConnector(server, new HttpConnectionFactory(http));
                    connector.setHost("127.0.0.1");
                    connector.setPort(options.port());
                    connector.setAcceptQueueSize(options.acceptQueue());
                    return connector;
                  });
              config.jetty.modifyWebSocketServletFactory(
                  factory -> {
                    // Pages heartbeat far more often than this; it only reaps sockets that went silent.
                    factory.setIdleTimeout(Duration.ofMinutes(2));
                    // A chat message is at most 2,000 characters, 6 bytes each when escaped.
                    factory.setMaxTextMessageSize(16 * 1024);
                    factory.setMaxBinaryMessageSize(1024);
                  });
              config.routes.wsBeforeUpgrade("/ws", this::checkUpgrade);
              config.routes.ws(
                  "/ws",
                  ws -> {
                    ws.onConnect(this::onConnect);
                    ws.onMessage(this::onMessage);
                    ws.onBinaryMessage(this::onBinaryMessage);
                    ws.onClose(this::onClose);
                    ws.onError(ctx -> closed(ctx.sessionId()));
                  });
            });
  }

  /**
   * Whether the frame handlers never wait on the network with this backend: the store and the bus
   * are in memory and channel membership is not shared over Redis.
   */
  static boolean readsOnSelector(PresenceBackend backend) {
    return backend.store() instanceof InMemoryPresenceStore
        && backend.bus() instanceof LocalPresenceBus
        && !(backend.channels() instanceof RedisSharedChannels);
  }

  /**
   * Builds the engine on {@code backend} and starts serving on 127.0.0.1, with the default {@link
   * Limits} and the authenticator the options ask for: {@link HmacTokenAuthenticator} with a secret,
   * {@link Authenticator#trustingUserParameter()} without.
   *
   * @throws RuntimeException if the port cannot be bound; the engine is closed again then
   */
  public static ChatServer start(DemoOptions options, PresenceBackend backend) {
    return start(options, backend, Limits.defaults());
  }

  /**
   * Like {@link #start(DemoOptions, PresenceBackend)} with other limits.
   *
   * @throws RuntimeException if the port cannot be bound; the engine is closed again then
   */
  public static ChatServer start(DemoOptions options, PresenceBackend backend, Limits limits) {
    Authenticator authenticator =
        options.secret() == null
            ? Authenticator.trustingUserParameter()
            : new HmacTokenAuthenticator(options.secret());
    return start(options, backend, limits, authenticator);
  }

  /**
   * Starts the server with an authenticator of your own: where real authentication plugs in.
   *
   * @throws RuntimeException if the port cannot be bound; the engine is closed again then
   */
  public static ChatServer start(
      DemoOptions options, PresenceBackend backend, Limits limits, Authenticator authenticator) {
    ChatServer server = new ChatServer(options, backend, limits, authenticator);
    try {
      server.app.start();
    } catch (RuntimeException e) {
      server.close();
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

  /** The listening socket's accept queue (backlog), as configured on its connector. */
  public int acceptQueue() {
    return ((ServerConnector) app.jettyServer().server().getConnectors()[0]).getAcceptQueueSize();
  }

  /**
   * Whether WebSocket frames are read and handled on Jetty's selector thread, without a hand-off to
   * the pool: with an in-memory backend, where no handler waits on the network.
   */
  boolean readsFramesOnSelector() {
    return app.jettyServer().server().getConnectors()[0] instanceof SelectorReadConnector;
  }

  /** The number of open WebSockets. */
  public int openSockets() {
    return sockets.size();
  }

  /** How many sockets were closed because they did not read what was sent to them fast enough. */
  public long slowReadersClosed() {
    return slowReadersClosed.get();
  }

  /**
   * The origins whose pages may open a WebSocket: the server's own page under each loopback name,
   * and {@link DemoOptions#allowedOrigins()}.
   */
  public Set<String> allowedOrigins() {
    int port = port();
    Set<String> origins = new java.util.LinkedHashSet<>();
    origins.add("http://localhost:" + port);
    origins.add("http://127.0.0.1:" + port);
    origins.add("http://[::1]:" + port);
    origins.addAll(options.allowedOrigins());
    return origins;
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
      cutoffs.shutdownNow();
      presence.close();
    }
  }

  // ------------------------------------------------------------------------------- the upgrade

  /**
   * Runs before the WebSocket upgrade. Browsers send the page's origin with every WebSocket, and any
   * page may try to open one to localhost as any user (cross-site WebSocket hijacking), so only the
   * demo's own page and the configured origins get through. Clients that are not browsers send no
   * origin and are let through; they cannot ride on a user's browser.
   */
  private void checkUpgrade(Context ctx) {
    if (!QueryStrings.isWellFormed(ctx.queryString())) {
      log.warn("refused a WebSocket upgrade from {}: malformed percent-encoding in the query", ctx.ip());
      throw new BadRequestResponse("malformed percent-encoding in the query string");
    }
    String origin = ctx.header("Origin");
    if (origin != null && !allowedOrigins().contains(origin.toLowerCase(Locale.ROOT))) {
      log.warn("refused a WebSocket upgrade from origin {}", printable(origin, 100));
      throw new ForbiddenResponse("WebSockets from origin " + printable(origin, 100) + " are not allowed");
    }
  }

  // ------------------------------------------------------------------------------- socket events

  private void onConnect(WsConnectContext ctx) {
    String problem;
    String user = null;
    try {
      user =
          authenticator.authenticate(
              new Authenticator.Request() {
                @Override
                public String queryParam(String name) {
                  return ctx.queryParam(name);
                }

                @Override
                public String header(String name) {
                  return ctx.header(name);
                }
              });
      problem = UserNames.problem(user);
    } catch (Authenticator.AuthenticationException e) {
      problem = e.getMessage();
    }
    String device = ctx.queryParam("device");
    if (problem == null) {
      problem = deviceProblem(device);
    }
    DeviceConnection connection = null;
    if (problem == null) {
      try {
        connection = openConnection(user, device, ctx);
      } catch (IllegalArgumentException e) { // invalid id, or the user is at its device limit
        problem = e.getMessage();
      }
    }
    if (problem != null) {
      ctx.send(error(problem));
      ctx.closeSession(CLOSE_BAD_REQUEST, printable(problem, 120));
      return;
    }
    ChatSocket socket = new ChatSocket(ctx, connection);
    socket.subscriber = presence.subscribe(connection, socket);
    sockets.put(ctx.sessionId(), socket);
    log.info("{} connected (device {})", user, device);
  }

  /**
   * The one place where a WebSocket becomes a device connection of the engine. When the engine ends
   * the connection itself (heartbeat TTL, a newer socket of the same device took over, the device
   * was replaced past the device limit), its listener closes the socket at once with {@link
   * #CLOSE_EXPIRED} and the reason, rather than when the client next speaks.
   */
  private DeviceConnection openConnection(String userId, String deviceId, WsContext ctx) {
    return presence.connect(
        userId,
        deviceId,
        DeviceInfo.of(Platform.WEB),
        (connection, reason) -> {
          if (reason == CloseReason.DISCONNECTED || reason == CloseReason.ENGINE_CLOSED) {
            return; // the socket closed, or the server is stopping and closes every socket itself
          }
          try {
            ctx.closeSession(CLOSE_EXPIRED, closeText(reason));
          } catch (RuntimeException e) {
            log.debug("closing the socket of {} failed", connection.userId(), e);
          }
        });
  }

  /** What a client is told when the engine ended its connection. */
  static String closeText(CloseReason reason) {
    return switch (reason) {
      case EXPIRED -> "expired: no heartbeat within the TTL; reconnect";
      case TAKEN_OVER -> "taken over by a newer connection of this device";
      case REPLACED -> "replaced: the user reached its device limit and this tab was the least active";
      default -> reason.name().toLowerCase(java.util.Locale.ROOT) + "; reconnect";
    };
  }

  private static String deviceProblem(String device) {
    if (device == null || device.isEmpty()) {
      return "the query parameter 'device' is missing";
    }
    if (device.length() > MAX_DEVICE_CHARS) {
      return "a device id has at most " + MAX_DEVICE_CHARS + " characters";
    }
    for (int i = 0; i < device.length(); i++) {
      char c = device.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
        return "a device id may contain only ASCII letters, digits, '.', '_' and '-'";
      }
    }
    return null;
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
      channelSockets.computeIfPresent(
          channel,
          (id, members) -> {
            members.remove(socket);
            return members.isEmpty() ? null : members;
          });
    }
    // The device stays counted for the grace period: a reload or a reconnect within it shows nothing.
    socket.connection.disconnect();
    socket.subscriber.close();
    log.info("{} disconnected (device {})", socket.connection.userId(), socket.connection.deviceId());
  }

  private void onBinaryMessage(WsBinaryMessageContext ctx) {
    ChatSocket socket = sockets.get(ctx.sessionId());
    if (socket != null) {
      socket.send(error("binary frames are not supported; send JSON text"));
    }
  }

  private void onMessage(WsMessageContext ctx) {
    ChatSocket socket = sockets.get(ctx.sessionId());
    if (socket == null) {
      return;
    }
    String text = ctx.message();
    if (quickFrame(socket, text)) {
      return;
    }
    JsonNode message;
    try {
      message = json.readTree(text);
    } catch (JsonProcessingException e) {
      message = null;
    }
    if (message == null || !message.isObject()) {
      socket.send(error("a message must be a JSON object"));
      return;
    }
    DeviceConnection connection = socket.connection;
    try {
      String type = string(message, "type");
      boolean open =
          switch (type) {
            case "heartbeat" -> connection.heartbeat();
            case "activity" -> connection.activity();
            case "visibility" -> connection.setVisible(bool(message, "visible"));
            case "status" -> status(socket, message);
            case "typing-start" -> connection.typing(string(message, "channelId"));
            case "typing-stop" -> connection.stopTyping(string(message, "channelId"));
            case "message" -> chatMessage(socket, message);
            case "subscribe" -> subscribe(socket, message);
            default -> throw new IllegalArgumentException(
                "unknown message type '" + printable(type, MAX_ECHO_CHARS) + "'");
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

  /**
   * Handles the frames pages send most (heartbeat, activity, going idle and back) without parsing
   * JSON: the page writes exactly these strings. Returns false for any other frame.
   */
  private static boolean quickFrame(ChatSocket socket, String text) {
    DeviceConnection connection = socket.connection;
    boolean open;
    try {
      if (text.equals(HEARTBEAT)) {
        open = connection.heartbeat();
      } else if (text.equals(ACTIVITY)) {
        open = connection.activity();
      } else if (text.equals(IDLE)) {
        open = connection.setIdle(true);
      } else if (text.equals(ONLINE)) {
        open = connection.setIdle(false);
      } else {
        return false;
      }
    } catch (IllegalStateException e) { // the engine closed this connection (expiry or takeover)
      open = false;
    }
    if (!open) {
      socket.close(CLOSE_EXPIRED, "connection expired or taken over; reconnect");
    }
    return true;
  }

  // ------------------------------------------------------------------------------- client messages

  /**
   * {@code online}/{@code idle} are this device's own reports (its idle detector): they never touch
   * the user's chosen status. {@code auto}, {@code dnd} and {@code invisible} set the user's status,
   * with the optional {@code text}, on every device.
   */
  private boolean status(ChatSocket socket, JsonNode message) {
    String status = string(message, "status");
    JsonNode textNode = message.get("text");
    if (textNode != null && !textNode.isNull() && !textNode.isTextual()) {
      throw new IllegalArgumentException("'text' must be a string or null");
    }
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
            "status must be online, idle, auto, dnd or invisible but was '" + printable(status, MAX_ECHO_CHARS) + "'");
    }
  }

  /**
   * Joins the channel and watches it. A refused watch (a limit, a bad id) leaves the user where it
   * was: a member only if it was one before.
   */
  private boolean subscribe(ChatSocket socket, JsonNode message) {
    String channelId = string(message, "channelId");
    String userId = socket.connection.userId();
    boolean wasMember = presence.channelMembers(channelId).contains(userId); // checks the id, too
    presence.joinChannel(channelId, userId);
    for (String member : backend.channels().join(channelId, userId)) { // members on other servers
      presence.joinChannel(channelId, member);
    }
    // Presence batches that arrive while the snapshot is being built wait until it has been sent:
    // the engine only delivers changes newer than the snapshot, so they go out after it, in order.
    socket.hold();
    String snapshotJson = null;
    try {
      PresenceSnapshot snapshot;
      try {
        snapshot = socket.subscriber.watchChannel(channelId);
      } catch (RuntimeException e) {
        if (!wasMember && !subscribedElsewhere(socket, channelId)) {
          presence.leaveChannel(channelId, userId);
        }
        throw e;
      }
      socket.channels.add(channelId);
      channelSockets.compute(
          channelId,
          (id, members) -> {
            Set<ChatSocket> set = members == null ? ConcurrentHashMap.newKeySet() : members;
            set.add(socket);
            return set;
          });
      if (!sockets.containsKey(socket.ctx.sessionId())) { // closed meanwhile: do not leave it listed
        channelSockets.computeIfPresent(
            channelId,
            (id, members) -> {
              members.remove(socket);
              return members.isEmpty() ? null : members;
            });
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

  /** Whether another socket of the same user is subscribed to the channel (and needs the membership). */
  private boolean subscribedElsewhere(ChatSocket socket, String channelId) {
    for (ChatSocket other : sockets.values()) {
      if (other != socket
          && other.connection.userId().equals(socket.connection.userId())
          && other.channels.contains(channelId)) {
        return true;
      }
    }
    return false;
  }

  private boolean chatMessage(ChatSocket socket, JsonNode message) {
    String channelId = string(message, "channelId");
    String text = string(message, "text").strip();
    if (!socket.channels.contains(channelId)) {
      throw new IllegalArgumentException(
          "subscribe to channel '" + printable(channelId, MAX_ECHO_CHARS) + "' before sending to it");
    }
    if (text.isEmpty() || text.length() > MAX_MESSAGE_CHARS) {
      throw new IllegalArgumentException("a message has 1 to " + MAX_MESSAGE_CHARS + " characters");
    }
    if (!socket.messages.tryTake(System.nanoTime())) {
      throw new IllegalArgumentException(
          "too many messages: at most "
              + limits.messageBurst()
              + " at once, then one per "
              + DemoOptions.format(limits.messageRefill())
              + "; this one was not sent");
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
    String frame = write(out);
    for (ChatSocket member : channelSockets.getOrDefault(channelId, Set.of())) {
      member.send(frame);
    }
    return true;
  }

  /** A required string field; says whether it is missing or of another type. */
  private static String string(JsonNode message, String field) {
    JsonNode value = message.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("'" + field + "' is missing");
    }
    if (!value.isTextual()) {
      throw new IllegalArgumentException("'" + field + "' must be a string");
    }
    return value.asText();
  }

  /** A required boolean field; says whether it is missing or of another type. */
  private static boolean bool(JsonNode message, String field) {
    JsonNode value = message.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("'" + field + "' is missing");
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException("'" + field + "' must be true or false");
    }
    return value.booleanValue();
  }

  /**
   * Client-supplied text made safe to echo in a message, log or close reason: at most {@code max}
   * characters (then "..."), printable ASCII only (anything else as "?").
   */
  static String printable(String text, int max) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 3);
    for (int i = 0; i < text.length() && i < max; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (text.length() > max) {
      out.append("...");
    }
    return out.toString();
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
    if (p.lastSeenMillis() == UserPresence.NEVER_SEEN) {
      out.putNull("lastSeen");
    } else {
      out.put("lastSeen", p.lastSeenMillis());
    }
    out.put("version", p.version());
    return out;
  }

  /** One user's presence as it was last written, kept per user so each entry is serialized once. */
  private record PresenceJson(UserPresence presence, String json) {}

  /**
   * The JSON of one presence entry. Every subscriber that gets the same entry (same user, version,
   * state, text and last seen) shares one string; a viewer who sees it differently gets its own.
   */
  private String presenceEntry(UserPresence p) {
    PresenceJson cached = presenceJson.get(p.userId());
    if (cached != null && cached.presence().equals(p)) {
      return cached.json();
    }
    String entry = write(presenceJson(p));
    presenceJson.put(p.userId(), new PresenceJson(p, entry));
    return entry;
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

  /**
   * One WebSocket: its device connection, its subscriber, the sink that writes to it, and its
   * limits. Frames go out through Jetty's asynchronous send; what is queued and not yet written is
   * counted, and a socket past {@link Limits} is closed instead of growing the heap.
   */
  private final class ChatSocket implements PresenceSink {
    final WsContext ctx;
    final DeviceConnection connection;
    final Set<String> channels = ConcurrentHashMap.newKeySet();
    final TokenBucket messages = new TokenBucket(limits.messageBurst(), limits.messageRefill(), System.nanoTime());
    volatile Subscriber subscriber;
    private final List<String> held = new ArrayList<>();
    private int holding;
    // Decremented by Jetty's write callbacks, so atomic rather than guarded by this.
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger queuedFrames = new AtomicInteger();
    private boolean overflowed;

    ChatSocket(WsContext ctx, DeviceConnection connection) {
      this.ctx = ctx;
      this.connection = Objects.requireNonNull(connection);
    }

    @Override
    public void onPresence(List<UserPresence> changes) {
      StringBuilder frame = new StringBuilder(32 + 120 * changes.size()).append("{\"type\":\"presence\",\"users\":[");
      for (int i = 0; i < changes.size(); i++) {
        if (i > 0) {
          frame.append(',');
        }
        frame.append(presenceEntry(changes.get(i)));
      }
      send(frame.append("]}").toString());
    }

    @Override
    public void onTyping(List<TypingEvent> events) {
      for (TypingEvent event : events) {
        send(write(typingJson(event)));
      }
    }

    /** Sends now, or after the snapshot being built. Never blocks. */
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

    /** Called with this socket's lock held, so frames are queued in order. */
    private void sendNow(String text) {
      if (overflowed) {
        return;
      }
      int bytes = text.length(); // ASCII only (non-ASCII is escaped)
      if (queuedFrames.get() + 1 > limits.sendQueueMessages()
          || queuedBytes.get() + bytes > limits.sendQueueBytes()) {
        overflowed = true;
        closeSlowReader();
        return;
      }
      queuedFrames.incrementAndGet();
      queuedBytes.addAndGet(bytes);
      Runnable written =
          () -> {
            queuedFrames.decrementAndGet();
            queuedBytes.addAndGet(-bytes);
          };
      try {
        ctx.session.sendText(text, Callback.from(written, failure -> written.run()));
      } catch (RuntimeException e) { // the socket is closing; its close event cleans up
        written.run();
        log.debug("send to {} failed", connection.userId(), e);
      }
    }

    private void closeSlowReader() {
      slowReadersClosed.incrementAndGet();
      String reason =
          "too slow: " + queuedFrames.get() + " frames, " + queuedBytes.get() + " bytes waiting to be sent";
      log.warn("closing the socket of {} (device {}): {}", connection.userId(), connection.deviceId(), reason);
      close(CLOSE_POLICY, reason);
      // The close frame waits behind the queue; a reader that never reads is cut off.
      cutoffs.schedule(
          () -> {
            if (ctx.session.isOpen()) {
              ctx.session.disconnect();
            }
          },
          CLOSE_DEADLINE.toMillis(),
          TimeUnit.MILLISECONDS);
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
