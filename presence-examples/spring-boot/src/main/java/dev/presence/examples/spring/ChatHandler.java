package dev.presence.examples.spring;

import dev.presence.CloseReason;
import dev.presence.DeviceConnection;
import dev.presence.DeviceInfo;
import dev.presence.Platform;
import dev.presence.Presence;
import dev.presence.PresenceSnapshot;
import dev.presence.StatusMode;
import dev.presence.examples.chat.Authenticator;
import dev.presence.examples.chat.UserNames;
import dev.presence.spi.PresenceStore;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.TextWebSocketHandler;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The chat's WebSocket handler, speaking the Javalin demo's JSON protocol so its page works
 * unchanged: each socket is one {@link DeviceConnection} of the engine (a device of a user) and one
 * subscriber whose sink writes to the socket ({@link ChatSocket}). Who the client is comes from the
 * demo's {@link Authenticator} (the {@code user} parameter) and must pass {@link UserNames}. Chat
 * messages and their history are the application's part and stay here (in memory).
 *
 * <p>Thread-safe: the container calls it from its threads, one message of a socket at a time.
 */
@Component
public class ChatHandler extends TextWebSocketHandler {
  private static final Logger log = LoggerFactory.getLogger(ChatHandler.class);
  /** The server refused the connection (bad name or device id). */
  static final int CLOSE_BAD_REQUEST = 4400;
  /** The engine ended the connection (expired, taken over, replaced). */
  static final int CLOSE_EXPIRED = 4001;
  private static final int MAX_MESSAGE_CHARS = 2000;
  private static final int MAX_DEVICE_CHARS = 64;
  private static final int MAX_ECHO_CHARS = 64;
  private static final int HISTORY = 100;

  private final Presence presence;
  private final PresenceStore store;
  private final PresenceProperties settings;
  private final Authenticator authenticator = Authenticator.trustingUserParameter();
  private final ChatJson json = new ChatJson();
  private final Map<String, ChatSocket> sockets = new ConcurrentHashMap<>();
  private final Map<String, Set<ChatSocket>> channelSockets = new ConcurrentHashMap<>();
  private final Map<String, Deque<ObjectNode>> history = new ConcurrentHashMap<>();
  private final AtomicLong messageIds = new AtomicLong();

  /**
   * The handler of every chat socket.
   *
   * @param presence the engine
   * @param store the engine's store, where a user's chosen status (auto, dnd, invisible) is read
   * @param settings the engine's settings, told to each page in its snapshot
   */
  public ChatHandler(Presence presence, PresenceStore store, PresenceProperties settings) {
    this.presence = presence;
    this.store = store;
    this.settings = settings;
  }

  /**
   * A socket opened: authenticates it and makes it a device connection and a subscriber, or closes
   * it with 4400 and the reason.
   *
   * @param session the new socket
   * @throws Exception if closing a refused socket fails
   */
  @Override
  public void afterConnectionEstablished(WebSocketSession session) throws Exception {
    Map<String, String> query = query(session.getUri());
    String problem;
    String user = null;
    try {
      user =
          authenticator.authenticate(
              new Authenticator.Request() {
                @Override
                public String queryParam(String name) {
                  return query.get(name);
                }

                @Override
                public String header(String name) {
                  return session.getHandshakeHeaders().getFirst(name);
                }
              });
      problem = UserNames.problem(user);
    } catch (Authenticator.AuthenticationException e) {
      problem = e.getMessage();
    }
    String device = query.get("device");
    if (problem == null) {
      problem = deviceProblem(device);
    }
    ChatSocket socket = null;
    if (problem == null) {
      try {
        socket = open(session, user, device);
      } catch (IllegalArgumentException e) { // an invalid id, or the user is at its device limit
        problem = e.getMessage();
      }
    }
    if (problem != null) {
      session.sendMessage(new TextMessage(json.error(problem)));
      session.close(new CloseStatus(CLOSE_BAD_REQUEST, printable(problem, 120)));
      return;
    }
    sockets.put(session.getId(), socket);
    log.info("{} connected (device {})", user, device);
  }

  /**
   * The one place where a socket becomes a device connection. When the engine ends the connection
   * itself (heartbeat TTL, a newer socket of the same device, the device limit), its listener closes
   * the socket at once with 4001 and the reason.
   */
  private ChatSocket open(WebSocketSession session, String userId, String deviceId) {
    ChatSocket[] opened = new ChatSocket[1];
    DeviceConnection connection =
        presence.connect(
            userId,
            deviceId,
            DeviceInfo.of(Platform.WEB),
            (ended, reason) -> {
              if (reason != CloseReason.DISCONNECTED && reason != CloseReason.ENGINE_CLOSED && opened[0] != null) {
                opened[0].close(CLOSE_EXPIRED, closeText(reason));
              }
            });
    ChatSocket socket = new ChatSocket(session, connection, json);
    opened[0] = socket;
    socket.subscriber = presence.subscribe(connection, socket);
    return socket;
  }

  /**
   * A socket closed: its device stays counted for the grace period, so a reload or a reconnect
   * within it shows nothing to the others.
   *
   * @param session the socket
   * @param status how it closed
   */
  @Override
  public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
    ChatSocket socket = sockets.remove(session.getId());
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
    socket.connection.disconnect();
    socket.subscriber.close();
    log.info("{} disconnected (device {})", socket.userId(), socket.connection.deviceId());
  }

  /**
   * A binary frame gets an {@code error} frame; the socket stays open.
   *
   * @param session the socket
   * @param message the frame
   */
  @Override
  protected void handleBinaryMessage(WebSocketSession session, BinaryMessage message) {
    ChatSocket socket = sockets.get(session.getId());
    if (socket != null) {
      socket.send(json.error("binary frames are not supported; send JSON text"));
    }
  }

  /**
   * One client frame: an engine call, a subscription or a chat message; a refused one gets an
   * {@code error} frame and changes nothing.
   *
   * @param session the socket
   * @param message the frame
   */
  @Override
  protected void handleTextMessage(WebSocketSession session, TextMessage message) {
    ChatSocket socket = sockets.get(session.getId());
    if (socket == null) {
      return;
    }
    JsonNode frame = json.parse(message.getPayload());
    if (frame == null || !frame.isObject()) {
      socket.send(json.error("a message must be a JSON object"));
      return;
    }
    DeviceConnection connection = socket.connection;
    try {
      String type = string(frame, "type");
      boolean open =
          switch (type) {
            case "heartbeat" -> connection.heartbeat();
            case "activity" -> connection.activity();
            case "visibility" -> connection.setVisible(bool(frame, "visible"));
            case "status" -> status(socket, frame);
            case "typing-start" -> connection.typing(string(frame, "channelId"));
            case "typing-stop" -> connection.stopTyping(string(frame, "channelId"));
            case "message" -> chatMessage(socket, frame);
            case "subscribe" -> subscribe(socket, frame);
            default -> throw new IllegalArgumentException(
                "unknown message type '" + printable(type, MAX_ECHO_CHARS) + "'");
          };
      if (!open) {
        socket.close(CLOSE_EXPIRED, "connection expired or taken over; reconnect");
      }
    } catch (IllegalStateException e) { // the engine closed this connection (expiry or takeover)
      socket.close(CLOSE_EXPIRED, "connection expired or taken over; reconnect");
    } catch (IllegalArgumentException e) { // bad input or a limit (LimitExceededException)
      socket.send(json.error(e.getMessage()));
    }
  }

  /** {@code online}/{@code idle}: this device's own report; {@code auto}, {@code dnd}, {@code invisible}: the user's status. */
  private boolean status(ChatSocket socket, JsonNode frame) {
    String status = string(frame, "status");
    JsonNode textNode = frame.get("text");
    if (textNode != null && !textNode.isNull() && !textNode.isString()) {
      throw new IllegalArgumentException("'text' must be a string or null");
    }
    String text = textNode == null || textNode.isNull() ? null : textNode.asString().strip();
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
        connection.setStatus(StatusMode.valueOf(status.toUpperCase(Locale.ROOT)), text, null);
        String self = json.self(connection.userId(), store.get(connection.userId()));
        for (ChatSocket other : sockets.values()) {
          if (other.userId().equals(connection.userId())) {
            other.send(self);
          }
        }
        return true;
      default:
        throw new IllegalArgumentException(
            "status must be online, idle, auto, dnd or invisible but was '" + printable(status, MAX_ECHO_CHARS) + "'");
    }
  }

  /** Joins the channel and watches it; a refused watch leaves the user a member only if it was one. */
  private boolean subscribe(ChatSocket socket, JsonNode frame) {
    String channelId = string(frame, "channelId");
    String userId = socket.userId();
    boolean wasMember = presence.channelMembers(channelId).contains(userId); // checks the id, too
    presence.joinChannel(channelId, userId);
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
      channelSockets.computeIfAbsent(channelId, id -> ConcurrentHashMap.newKeySet()).add(socket);
      if (!sockets.containsKey(socket.session.getId())) { // closed meanwhile: do not leave it listed
        channelSockets.computeIfPresent(
            channelId,
            (id, members) -> {
              members.remove(socket);
              return members.isEmpty() ? null : members;
            });
      }
      List<ObjectNode> messages = List.of();
      Deque<ObjectNode> log = history.get(channelId);
      if (log != null) {
        synchronized (log) {
          messages = List.copyOf(log);
        }
      }
      snapshotJson =
          json.snapshot(
              channelId,
              snapshot,
              messages,
              userId,
              socket.connection.deviceId(),
              store.get(userId),
              settings);
    } finally {
      socket.release(snapshotJson);
    }
    return true;
  }

  private boolean subscribedElsewhere(ChatSocket socket, String channelId) {
    for (ChatSocket other : sockets.values()) {
      if (other != socket && other.userId().equals(socket.userId()) && other.channels.contains(channelId)) {
        return true;
      }
    }
    return false;
  }

  private boolean chatMessage(ChatSocket socket, JsonNode frame) {
    String channelId = string(frame, "channelId");
    String text = string(frame, "text").strip();
    if (!socket.channels.contains(channelId)) {
      throw new IllegalArgumentException(
          "subscribe to channel '" + printable(channelId, MAX_ECHO_CHARS) + "' before sending to it");
    }
    if (text.isEmpty() || text.length() > MAX_MESSAGE_CHARS) {
      throw new IllegalArgumentException("a message has 1 to " + MAX_MESSAGE_CHARS + " characters");
    }
    if (!socket.tryTakeMessage()) {
      throw new IllegalArgumentException("too many messages: at most 10 at once, then one per 1s; this one was not sent");
    }
    if (!socket.connection.messageSent(channelId)) { // ends the sender's typing indicator
      return false;
    }
    ObjectNode out =
        json.message(messageIds.incrementAndGet(), channelId, socket.userId(), text, System.currentTimeMillis());
    Deque<ObjectNode> log = history.computeIfAbsent(channelId, id -> new ArrayDeque<>());
    synchronized (log) {
      log.addLast(out);
      while (log.size() > HISTORY) {
        log.removeFirst();
      }
    }
    String sent = json.write(out);
    for (ChatSocket member : channelSockets.getOrDefault(channelId, Set.of())) {
      member.send(sent);
    }
    return true;
  }

  /** The query parameters, percent-decoded; a malformed encoding is refused as a bad name. */
  private static Map<String, String> query(URI uri) {
    Map<String, String> params = new ConcurrentHashMap<>();
    String raw = uri == null ? null : uri.getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        params.putIfAbsent(
            URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException malformed) {
        params.putIfAbsent(name, "\u0000"); // fails UserNames and the device rule with a clear message
      }
    }
    return params;
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

  /** What a client is told when the engine ended its connection. */
  private static String closeText(CloseReason reason) {
    return switch (reason) {
      case EXPIRED -> "expired: no heartbeat within the TTL; reconnect";
      case TAKEN_OVER -> "taken over by a newer connection of this device";
      case REPLACED -> "replaced: the user reached its device limit and this tab was the least active";
      default -> reason.name().toLowerCase(Locale.ROOT) + "; reconnect";
    };
  }

  private static String string(JsonNode frame, String field) {
    JsonNode value = frame.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("'" + field + "' is missing");
    }
    if (!value.isString()) {
      throw new IllegalArgumentException("'" + field + "' must be a string");
    }
    return value.asString();
  }

  private static boolean bool(JsonNode frame, String field) {
    JsonNode value = frame.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("'" + field + "' is missing");
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException("'" + field + "' must be true or false");
    }
    return value.booleanValue();
  }

  /** Client text made safe to echo: at most {@code max} characters, printable ASCII only. */
  private static String printable(String text, int max) {
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
}
