package dev.presence.examples.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A reconnect storm against a running chat demo: {@code clients} WebSockets (the JDK's client) connect
 * and subscribe, then all drop at once and all reconnect at once, as after a network blip. It reports
 * how long the reconnect took and how many connection attempts the kernel dropped because the
 * server's accept queue was full ({@code TcpExt ListenOverflows} in {@code /proc/net/netstat}, which
 * counts for the whole network namespace, so run nothing else meanwhile). Traffic goes to 127.0.0.1
 * only, and the run ends by itself (every wait is bounded).
 *
 * <p>Usage: {@code java -cp presence-examples/javalin/target/test-classes dev.presence.examples.load.ReconnectStorm
 * PORT CLIENTS}. Not thread-safe; one storm at a time.
 */
public final class ReconnectStorm {
  /** What one wave of connections did. */
  public record Wave(int clients, int subscribed, int failed, long listenOverflows, Duration elapsed) {
    @Override
    public String toString() {
      return String.format(
          "%d clients: %d subscribed, %d failed, %s kernel-dropped connection attempts, in %d ms",
          clients, subscribed, failed, listenOverflows < 0 ? "unknown" : listenOverflows, elapsed.toMillis());
    }
  }

  private final int port;
  private final int clients;
  private final Duration timeout;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<WebSocket> open = new ArrayList<>();

  /** A storm of {@code clients} against the demo on 127.0.0.1:{@code port}; each wave waits at most {@code timeout}. */
  public ReconnectStorm(int port, int clients, Duration timeout) {
    this.port = port;
    this.clients = clients;
    this.timeout = timeout;
  }

  /** Clients per channel: people in a team, not everyone in one room (whose cost grows with its square). */
  public static final int CHANNEL_SIZE = 10;

  /**
   * Connects every client at once, each subscribing to channel {@code storm-K} with {@link
   * #CHANNEL_SIZE} clients in each; waits for every snapshot.
   */
  public Wave connectAll() {
    long overflowsBefore = listenOverflows();
    long start = System.nanoTime();
    List<CompletableFuture<WebSocket>> snapshots = new ArrayList<>(clients);
    for (int i = 0; i < clients; i++) {
      CompletableFuture<WebSocket> snapshot = new CompletableFuture<>();
      int channel = i / CHANNEL_SIZE;
      URI uri = URI.create("ws://127.0.0.1:" + port + "/ws?user=storm-" + i + "&device=tab-1");
      http.newWebSocketBuilder()
          .connectTimeout(timeout)
          .buildAsync(uri, new Listener(snapshot))
          .thenCompose(ws -> ws.sendText("{\"type\":\"subscribe\",\"channelId\":\"storm-" + channel + "\"}", true))
          .whenComplete((ws, failure) -> {
            if (failure != null) {
              snapshot.completeExceptionally(failure);
            }
          });
      snapshots.add(snapshot);
    }
    int subscribed = 0;
    int failed = 0;
    long deadline = System.nanoTime() + timeout.toNanos();
    for (CompletableFuture<WebSocket> snapshot : snapshots) {
      try {
        open.add(snapshot.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        subscribed++;
      } catch (Exception e) {
        failed++;
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    long overflowsAfter = listenOverflows();
    long dropped = overflowsBefore < 0 || overflowsAfter < 0 ? -1 : overflowsAfter - overflowsBefore;
    return new Wave(clients, subscribed, failed, dropped, elapsed);
  }

  /** Drops every connection at once without a close handshake, as a network failure would. */
  public void dropAll() {
    open.forEach(WebSocket::abort);
    open.clear();
  }

  /**
   * The kernel's count of connection attempts dropped because an accept queue was full, for this
   * network namespace, or -1 where {@code /proc/net/netstat} is not there.
   */
  public static long listenOverflows() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
      for (int i = 0; i + 1 < lines.size(); i++) {
        if (lines.get(i).startsWith("TcpExt:") && lines.get(i + 1).startsWith("TcpExt:")) {
          String[] names = lines.get(i).split("\\s+");
          String[] values = lines.get(i + 1).split("\\s+");
          for (int k = 1; k < names.length; k++) {
            if (names[k].equals("ListenOverflows")) {
              return Long.parseLong(values[k]);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no procfs
    }
    return -1;
  }

  private static final class Listener implements WebSocket.Listener {
    private final CompletableFuture<WebSocket> snapshot;
    private final StringBuilder text = new StringBuilder();

    Listener(CompletableFuture<WebSocket> snapshot) {
      this.snapshot = snapshot;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      if (!snapshot.isDone()) {
        text.append(data);
        if (last) {
          if (text.indexOf("\"type\":\"snapshot\"") >= 0) {
            snapshot.complete(webSocket);
          }
          text.setLength(0);
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      snapshot.completeExceptionally(new IllegalStateException("closed with " + statusCode + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      snapshot.completeExceptionally(error);
    }
  }

  /** Runs one storm: connect all, drop all, reconnect all; prints both waves. */
  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: ReconnectStorm PORT CLIENTS");
      System.exit(2);
    }
    ReconnectStorm storm = new ReconnectStorm(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Duration.ofSeconds(60));
    System.out.println("connect:   " + storm.connectAll());
    storm.dropAll();
    System.out.println("reconnect: " + storm.connectAll());
    storm.dropAll();
    System.exit(0);
  }
}
