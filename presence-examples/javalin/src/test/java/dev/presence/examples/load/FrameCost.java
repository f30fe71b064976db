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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the chat demo's server CPU per WebSocket frame under load: {@code clients} WebSockets (the
 * JDK's client, {@value #CHANNEL_SIZE} per channel, as a team would be) each send {@code rate} frames
 * per second; after a warm-up ({@code -DframeCost.warmupSeconds}, 30 s by default) the server's CPU
 * time (user + system, from {@code /proc/PID/stat}) over the measured window is divided by every
 * frame it read or wrote in that window (counted at the clients).
 *
 * <p>Modes: {@code heartbeat} (each frame is a heartbeat: read, parse, one timestamp in the engine;
 * the baseline) and {@code status} (each frame switches the client between idle and online, so every
 * change goes out to the channel's members in the next presence batch).
 *
 * <p>Usage: {@code java -cp presence-examples/javalin/target/test-classes dev.presence.examples.load.FrameCost
 * PORT SERVER_PID CLIENTS MODE [RATE] [SECONDS]}; see {@code scripts/frame-cost.sh}. Loopback only;
 * it ends by itself. Linux only (procfs).
 */
public final class FrameCost {
  /** Clients per channel. */
  public static final int CHANNEL_SIZE = 10;

  private FrameCost() {}

  /** Runs one measurement and prints one line. */
  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: FrameCost PORT SERVER_PID CLIENTS heartbeat|status [RATE_PER_CLIENT] [SECONDS]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    long pid = Long.parseLong(args[1]);
    int clients = Integer.parseInt(args[2]);
    String mode = args[3];
    double rate = args.length > 4 ? Double.parseDouble(args[4]) : 1.0;
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 30;
    if (!mode.equals("heartbeat") && !mode.equals("status") && !mode.equals("idle")) {
      throw new IllegalArgumentException("mode must be heartbeat, status or idle but was " + mode);
    }

    HttpClient http = HttpClient.newHttpClient();
    AtomicLong received = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    List<WebSocket> sockets = new ArrayList<>();
    List<CompletableFuture<WebSocket>> snapshots = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      CompletableFuture<WebSocket> snapshot = new CompletableFuture<>();
      String channel = "team-" + (i / CHANNEL_SIZE);
      http.newWebSocketBuilder()
          .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?user=load-" + i + "&device=tab-1"), new Counting(received, snapshot))
          .thenCompose(ws -> ws.sendText("{\"type\":\"subscribe\",\"channelId\":\"" + channel + "\"}", true));
      snapshots.add(snapshot);
    }
    for (CompletableFuture<WebSocket> snapshot : snapshots) {
      sockets.add(snapshot.get(120, TimeUnit.SECONDS));
    }

    String[] frames =
        mode.equals("heartbeat")
            ? new String[] {"{\"type\":\"heartbeat\"}", "{\"type\":\"heartbeat\"}"}
            : new String[] {"{\"type\":\"status\",\"status\":\"idle\"}", "{\"type\":\"status\",\"status\":\"online\"}"};
    ScheduledExecutorService senders = Executors.newScheduledThreadPool(2);
    long periodMicros = Math.round(1_000_000 / rate);
    for (WebSocket socket : mode.equals("idle") ? List.<WebSocket>of() : sockets) {
      int[] next = {0};
      senders.scheduleAtFixedRate(
          () -> {
            String frame = frames[next[0]++ % 2];
            socket.sendText(frame, true).thenRun(sent::incrementAndGet);
          },
          ThreadLocalRandom.current().nextLong(periodMicros),
          periodMicros,
          TimeUnit.MICROSECONDS);
    }

    // Warm-up: the JIT (still a tenth of the CPU 10 s in) and steady batching; a server runs for days.
    Thread.sleep(Long.getLong("frameCost.warmupSeconds", 30) * 1000);
    long[] ticksBefore = cpuTicks(pid);
    long cpuBefore = cpuNanos(pid);
    long inBefore = sent.get();
    long outBefore = received.get();
    long start = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    long cpu = cpuNanos(pid) - cpuBefore;
    long[] ticksAfter = cpuTicks(pid);
    long userTicks = ticksAfter[0] - ticksBefore[0];
    long systemTicks = ticksAfter[1] - ticksBefore[1];
    double wall = (System.nanoTime() - start) / 1e9;
    long in = sent.get() - inBefore;
    long out = received.get() - outBefore;
    senders.shutdownNow();

    System.out.printf(
        "%s: %d clients, %.1f frames/s each: server read %d and wrote %d frames in %.1f s, %.2f s CPU (%.0f%% of a core),"
            + " %.1f us per frame (user %.0f%%, system %.0f%%)%n",
        mode, clients, rate, in, out, wall, cpu / 1e9, 100 * cpu / 1e9 / wall, cpu / 1e3 / Math.max(1, in + out),
        100.0 * userTicks / Math.max(1, userTicks + systemTicks), 100.0 * systemTicks / Math.max(1, userTicks + systemTicks));
    sockets.forEach(WebSocket::abort);
    System.exit(0);
  }

  /** User plus system CPU time of a process, from /proc/PID/stat (in clock ticks of 10 ms). */
  static long cpuNanos(long pid) throws IOException {
    long[] cpu = cpuTicks(pid);
    return (cpu[0] + cpu[1]) * 10_000_000L;
  }

  /** User and system CPU time of a process in clock ticks (10 ms), from /proc/PID/stat. */
  static long[] cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])}; // utime, stime
  }

  private static final class Counting implements WebSocket.Listener {
    private final AtomicLong received;
    private final CompletableFuture<WebSocket> snapshot;

    Counting(AtomicLong received, CompletableFuture<WebSocket> snapshot) {
      this.received = received;
      this.snapshot = snapshot;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      if (last) {
        received.incrementAndGet();
        snapshot.complete(webSocket);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      snapshot.completeExceptionally(new IllegalStateException("closed: " + statusCode + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      snapshot.completeExceptionally(error);
    }
  }
}
