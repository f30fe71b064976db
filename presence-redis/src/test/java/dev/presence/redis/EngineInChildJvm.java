package dev.presence.redis;

import dev.presence.Presence;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An engine on Redis in a JVM of its own, so a test can kill it for real ({@code SIGKILL}): no finally
 * block, no shutdown hook, no goodbye on any connection.
 *
 * <p>{@link #start} launches {@link #main} with this JVM's class path and waits for its ready line,
 * printed once every device is connected. {@link #kill()} is {@code Process.destroyForcibly()}; {@link
 * #close()} kills it too, so a {@code try}-with-resources leaves no {@code java} process behind. The
 * child also ends by itself when its standard input closes, which happens when the parent JVM dies
 * before it could kill the child.
 */
final class EngineInChildJvm implements AutoCloseable {
  /** What the child prints once its devices are connected. */
  static final String READY = "READY";

  private final Process process;
  private final List<String> output;

  private EngineInChildJvm(Process process, List<String> output) {
    this.process = process;
    this.output = output;
  }

  /**
   * Starts a child JVM running one engine and waits until it has connected its devices.
   *
   * @param redis {@code redis://host:port} of a standalone server, or several comma-separated for a
   *     cluster
   * @param application the key prefix shared with the test's engines
   * @param nodeId the child engine's node id
   * @param lease the child's lease
   * @param renewInterval the child's lease renewal interval
   * @param grace the child's grace
   * @param devices user id → device id, connected in this order
   * @return the running child
   * @throws IOException if the JVM cannot be started
   */
  static EngineInChildJvm start(String redis, String application, String nodeId, Duration lease,
      Duration renewInterval, Duration grace, Map<String, List<String>> devices) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:TieredStopAtLevel=1", // a short-lived helper: start fast, stay small
        "-cp", System.getProperty("java.class.path"),
        EngineInChildJvm.class.getName(),
        redis, application, nodeId,
        Long.toString(lease.toMillis()), Long.toString(renewInterval.toMillis()), Long.toString(grace.toMillis())));
    devices.forEach((user, userDevices) -> userDevices.forEach(device -> command.add(user + "/" + device)));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    EngineInChildJvm child = new EngineInChildJvm(process, output);
    try {
      CompletableFuture<Boolean> ready = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            output.add(line);
            if (line.startsWith(READY)) {
              ready.complete(true);
            }
          }
        } catch (IOException e) {
          // the child was killed: its output ends here
        }
        ready.complete(false);
      }, "child-engine-output");
      reader.setDaemon(true);
      reader.start();
      if (!ready.get(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the child engine ended before it was ready: " + output);
      }
      return child;
    } catch (Exception e) {
      child.close();
      if (e instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new IllegalStateException("the child engine was not ready: " + output, e);
    }
  }

  /**
   * The child's process id.
   *
   * @return its pid
   */
  long pid() {
    return process.pid();
  }

  /**
   * Kills the child with {@code SIGKILL} and waits until it is gone.
   *
   * @return {@link System#nanoTime()} just before the signal was sent
   */
  long kill() {
    long before = System.nanoTime();
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("child JVM " + process.pid() + " survived SIGKILL for 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing child JVM " + process.pid(), e);
    }
    return before;
  }

  /**
   * Whether the child still runs.
   *
   * @return false once killed or ended
   */
  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * What the child printed so far, standard error included.
   *
   * @return its lines
   */
  List<String> output() {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  /** Kills the child if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  /**
   * The child's side: runs one engine, connects the devices, prints {@link #READY} and waits to be
   * killed.
   *
   * @param args Redis URI(s), application, node id, lease ms, renew ms, grace ms, then {@code
   *     user/device} pairs
   * @throws Exception if the engine cannot start; the JVM then exits with an error
   */
  public static void main(String[] args) throws Exception {
    // If the parent dies without killing us, its end of our stdin closes: follow it.
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever sent; only the end matters
        }
      } catch (IOException e) {
        // treated as the end
      }
      Runtime.getRuntime().halt(3);
    }, "parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();

    String redis = args[0];
    String application = args[1];
    List<String> uris = List.of(redis.split(","));
    RedisPresenceStore.Builder store = RedisPresenceStore.builder().application(application);
    RedisPresenceBus.Builder bus = RedisPresenceBus.builder().application(application);
    if (uris.size() == 1) {
      store.uri(uris.get(0));
      bus.uri(uris.get(0));
    } else {
      List<io.lettuce.core.RedisURI> cluster = uris.stream().map(io.lettuce.core.RedisURI::create).toList();
      store.clusterUris(cluster);
      bus.clusterUris(cluster);
    }
    Presence presence = Presence.builder().store(store.build()).bus(bus.build()).nodeId(args[2])
        .lease(Duration.ofMillis(Long.parseLong(args[3])))
        .leaseRenewInterval(Duration.ofMillis(Long.parseLong(args[4])))
        .grace(Duration.ofMillis(Long.parseLong(args[5])))
        .build();
    for (int i = 6; i < args.length; i++) {
      String[] userDevice = args[i].split("/", 2);
      presence.connect(userDevice[0], userDevice[1]);
    }
    System.out.println(READY + " " + ProcessHandle.current().pid());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  @Override
  public String toString() {
    return "EngineInChildJvm[pid " + process.pid() + "]";
  }
}
