package dev.presence.examples.spring;

import dev.presence.DeviceConnection;
import dev.presence.PresenceSink;
import dev.presence.Subscriber;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.handler.SessionLimitExceededException;

/**
 * One WebSocket: its device connection, its subscriber, and the sink that writes to it. Frames go
 * through Spring's {@link ConcurrentWebSocketSessionDecorator}, which lets one thread send at a time
 * and buffers the rest; a socket whose buffer passes 1 MiB, or whose send takes over 10 s, is closed
 * with 1008 instead of growing the heap. Thread-safe: the engine calls the sink from its delivery
 * threads, the handler the rest from the container's.
 */
final class ChatSocket implements PresenceSink {
  private static final Logger log = LoggerFactory.getLogger(ChatSocket.class);
  static final int CLOSE_POLICY = 1008;
  private static final int SEND_TIME_LIMIT_MILLIS = 10_000;
  private static final int SEND_BUFFER_BYTES = 1 << 20;
  /** Chat messages: 10 at once, then one per second. */
  private static final int MESSAGE_BURST = 10;
  private static final long MESSAGE_REFILL_NANOS = TimeUnit.SECONDS.toNanos(1);

  final WebSocketSession session;
  final DeviceConnection connection;
  final Set<String> channels = ConcurrentHashMap.newKeySet();
  volatile Subscriber subscriber;
  private final ChatJson json;
  private final List<String> held = new ArrayList<>();
  private int holding;
  private double messageTokens = MESSAGE_BURST;
  private long tokensAt = System.nanoTime();

  ChatSocket(WebSocketSession session, DeviceConnection connection, ChatJson json) {
    this.session =
        new ConcurrentWebSocketSessionDecorator(
            session,
            SEND_TIME_LIMIT_MILLIS,
            SEND_BUFFER_BYTES,
            ConcurrentWebSocketSessionDecorator.OverflowStrategy.TERMINATE);
    this.connection = connection;
    this.json = json;
  }

  String userId() {
    return connection.userId();
  }

  @Override
  public void onPresence(List<UserPresence> changes) {
    send(json.presence(changes));
  }

  @Override
  public void onTyping(List<TypingEvent> events) {
    for (TypingEvent event : events) {
      send(json.typing(event));
    }
  }

  /** Sends now, or after the snapshot being built ({@link #hold}). */
  synchronized void send(String text) {
    if (holding > 0) {
      held.add(text);
    } else {
      sendNow(text);
    }
  }

  /** Presence that arrives while a snapshot is built waits until it was sent: newer goes after older. */
  synchronized void hold() {
    holding++;
  }

  /** Sends the snapshot (if any), then what waited for it. */
  synchronized void release(String snapshot) {
    if (snapshot != null) {
      sendNow(snapshot);
    }
    if (--holding == 0) {
      held.forEach(this::sendNow);
      held.clear();
    }
  }

  /** Whether one more chat message may go out now (a token bucket). */
  synchronized boolean tryTakeMessage() {
    long now = System.nanoTime();
    messageTokens = Math.min(MESSAGE_BURST, messageTokens + (double) (now - tokensAt) / MESSAGE_REFILL_NANOS);
    tokensAt = now;
    if (messageTokens < 1) {
      return false;
    }
    messageTokens--;
    return true;
  }

  private void sendNow(String text) {
    if (!session.isOpen()) {
      return;
    }
    try {
      session.sendMessage(new TextMessage(text));
    } catch (SessionLimitExceededException e) {
      log.warn("closing the socket of {} (device {}): {}", userId(), connection.deviceId(), e.getMessage());
      close(CLOSE_POLICY, "too slow: " + e.getMessage());
    } catch (IOException | RuntimeException e) { // the socket is closing: its close event cleans up
      log.debug("send to {} failed", userId(), e);
    }
  }

  void close(int code, String reason) {
    try {
      // A close frame's reason has at most 123 bytes; ours are ASCII.
      session.close(new CloseStatus(code, reason.length() > 120 ? reason.substring(0, 120) : reason));
    } catch (IOException | RuntimeException e) {
      log.debug("close of {} failed", userId(), e);
    }
  }
}
