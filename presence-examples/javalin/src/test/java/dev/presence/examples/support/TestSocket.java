package dev.presence.examples.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client for tests (the JDK's {@link java.net.http.WebSocket}): it records every text
 * message and the close code, and waits for a wanted message with a bounded poll.
 */
public final class TestSocket implements AutoCloseable {
  private volatile String closeReason;
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final WebSocket socket;

  private TestSocket(URI uri) {
    this.socket =
        CLIENT
            .newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(uri, new Listener())
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
  }

  /** Connects to {@code uri} and returns once the handshake is done. */
  public static TestSocket connect(URI uri) {
    return new TestSocket(uri);
  }

  /** Sends one text message. */
  public void send(String text) {
    socket.sendText(text, true).orTimeout(5, TimeUnit.SECONDS).join();
  }

  /**
   * Waits for the next message that matches, skipping (but keeping in {@link #seen()}) others.
   *
   * @throws AssertionError if none arrives within {@code timeout}
   */
  public String await(Predicate<String> wanted, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        String next = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
        if (next == null) {
          throw new AssertionError("no " + what + " within " + timeout + "; received " + seen());
        }
        if (wanted.test(next)) {
          return next;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  /**
   * Waits until some message received so far (in any order, including ones an earlier {@link #await}
   * skipped) matches.
   *
   * @throws AssertionError if none has arrived within {@code timeout}
   */
  public String awaitSeen(Predicate<String> wanted, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        for (String message : seen()) {
          if (wanted.test(message)) {
            return message;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no " + what + " within " + timeout + "; received " + seen());
        }
        inbox.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS); // kept in seen
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  /** Every message received so far, in order. */
  public synchronized List<String> seen() {
    return List.copyOf(seen);
  }

  /**
   * The close code the server sent, waiting up to {@code timeout}.
   *
   * @throws AssertionError if the socket is still open then
   */
  public int awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the server did not close the socket within " + timeout, e);
    }
  }

  /** The reason the server gave when it closed the socket, or null. */
  public String closeReason() {
    return closeReason;
  }

  /** Whether the server closed the socket. */
  public boolean isClosed() {
    return closed.isDone();
  }

  /** Closes the socket normally (code 1000), as a closed tab would. */
  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
    }
  }

  /** Drops the connection without a close handshake, as a network failure would. */
  public void abort() {
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String message = partial.toString();
        partial.setLength(0);
        synchronized (TestSocket.this) {
          seen.add(message);
        }
        inbox.add(message);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closeReason = reason;
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(-1);
    }
  }
}
