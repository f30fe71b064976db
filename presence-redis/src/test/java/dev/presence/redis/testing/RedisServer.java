package dev.presence.redis.testing;

import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One real {@code redis-server} process on a free loopback port, for tests.
 *
 * <p>It listens on 127.0.0.1 only, in protected mode, with no automatic RDB snapshots ({@code save
 * ""}) and no AOF, in a temporary folder of its own that {@link #close()} deletes. A test that wants
 * data to survive a restart calls {@link #save()} and then {@link #restartFromRdb()}. {@code DEBUG} is
 * enabled for local connections, for tests that need {@code DEBUG SLEEP} or {@code DEBUG RELOAD}.
 *
 * <p>Administration ({@link #call}) uses a fresh plain connection per command, never Lettuce, so it
 * works while the server is loading or its cluster is forming and never retries behind a test's back.
 * Tests talk to the server through Lettuce with {@link #uri()}.
 *
 * <p>Not thread-safe: one test drives a server at a time. {@link #close()} may be called from any
 * thread (the shutdown hook) and more than once.
 */
public final class RedisServer implements AutoCloseable {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
  private static final int PORT_ATTEMPTS = 5;
  private static final String RDB_FILE = "dump.rdb";
  private static final String LOG_FILE = "redis.log";

  private final Path binary;
  private final Path dir;
  private final List<String> extraArgs;
  private final boolean cluster;
  private int port;
  private int clusterPort;
  private volatile Process process;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisServer(Path binary, Path dir, boolean cluster, List<String> extraArgs) {
    this.binary = binary;
    this.dir = dir;
    this.cluster = cluster;
    this.extraArgs = List.copyOf(extraArgs);
  }

  // ---- starting

  /**
   * Starts a standalone server with the binary of {@link RedisBinary#resolve()}.
   *
   * @return the running server
   */
  public static RedisServer start() {
    return start(RedisBinary.resolve());
  }

  /**
   * Starts a standalone server with a given binary.
   *
   * @param binary a {@code redis-server} executable
   * @return the running server, ready for commands
   */
  public static RedisServer start(Path binary) {
    return start(binary, false, List.of());
  }

  /** Starts a server; a cluster node gets its own cluster bus port and {@code nodes.conf} in its folder. */
  static RedisServer start(Path binary, boolean cluster, List<String> extraArgs) {
    Path dir;
    try {
      dir = LiveServers.newDirectory();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a folder for redis-server", e);
    }
    RedisServer server = new RedisServer(binary, dir, cluster, extraArgs);
    LiveServers.add(server);
    try {
      server.launchOnFreePorts();
      return server;
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
  }

  // ---- API

  /**
   * Where it listens.
   *
   * @return its port on 127.0.0.1, the same across restarts
   */
  public int port() {
    return port;
  }

  /** The cluster bus port of a cluster node; 0 for a standalone server. */
  int clusterPort() {
    return clusterPort;
  }

  /**
   * A new Lettuce URI of this server, {@code redis://127.0.0.1:<port>}, with a 10 s command timeout
   * (Lettuce's default of 60 s would let a stuck test hang for a minute).
   *
   * @return the URI
   */
  public RedisURI uri() {
    return RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(COMMAND_TIMEOUT).build();
  }

  /**
   * Whether its process is running.
   *
   * @return false after {@link #kill()} or {@link #close()}, until a restart
   */
  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /**
   * Its folder, deleted by {@link #close()}.
   *
   * @return the folder with the RDB file, {@code redis.log} and, for a cluster node, {@code nodes.conf}
   */
  public Path directory() {
    return dir;
  }

  /**
   * Runs one command on a fresh connection.
   *
   * @param args the command and its arguments; strings are sent as UTF-8
   * @return a {@code String}, {@code Long}, {@code List} of those, or null
   * @throws RedisErrorReply if the server answers with an error
   */
  public Object call(Object... args) {
    try (Resp resp = Resp.connect(port)) {
      return resp.call(args);
    }
  }

  /** {@code SAVE}: writes the RDB file that {@link #restartFromRdb()} loads. */
  public void save() {
    call("SAVE");
  }

  /** {@code FLUSHALL}: every key gone, as after a restart with no data; scripts stay loaded. */
  public void flushAll() {
    call("FLUSHALL");
  }

  /** {@code SCRIPT FLUSH}: every loaded script gone, so the next EVALSHA answers NOSCRIPT. */
  public void scriptFlush() {
    call("SCRIPT", "FLUSH");
  }

  /**
   * {@code CLIENT KILL TYPE <type>}: drops every client connection of that type.
   *
   * @param type {@code normal}, {@code pubsub}, {@code master} or {@code replica}
   * @return how many connections were dropped (the admin connection itself is skipped)
   */
  public long clientKill(String type) {
    return (Long) call("CLIENT", "KILL", "TYPE", type);
  }

  /**
   * Kills the process with SIGKILL, as a crash would: no save, no goodbye to clients or to the cluster.
   * Waits until it is gone. Does nothing if it is not running.
   */
  public void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly(); // SIGKILL on Linux and macOS
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("redis-server pid " + p.pid() + " survived SIGKILL for 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing redis-server pid " + p.pid(), e);
    }
    process = null;
  }

  /** Kills it if running and starts it again on the same port with no data (the RDB file is deleted). */
  public void restartEmpty() {
    kill();
    try {
      Files.deleteIfExists(dir.resolve(RDB_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    launch();
  }

  /**
   * Kills it if running and starts it again on the same port, loading the RDB file of the last
   * {@link #save()} (empty if there was none). A cluster node keeps its node id and slots either way.
   */
  public void restartFromRdb() {
    kill();
    launch();
  }

  /** Kills the process and deletes its folder. Safe to call more than once and from any thread. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      kill();
    } finally {
      LiveServers.deleteRecursively(dir);
      LiveServers.remove(this);
    }
  }

  @Override
  public String toString() {
    return "redis-server 127.0.0.1:" + port + (cluster ? " (cluster node)" : "") + " in " + dir;
  }

  // ---- internals

  /** First start: another process may grab a port between our probe and Redis's bind, so retry. */
  private void launchOnFreePorts() {
    for (int attempt = 1; ; attempt++) {
      int[] ports = freePorts(cluster ? 2 : 1);
      port = ports[0];
      clusterPort = cluster ? ports[1] : 0;
      try {
        launch();
        return;
      } catch (PortTakenException e) {
        if (attempt == PORT_ATTEMPTS) {
          throw new IllegalStateException("no free port after " + attempt + " attempts", e);
        }
      }
    }
  }

  private void launch() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
    List<String> command = new ArrayList<>(List.of(
        binary.toString(),
        "--port", Integer.toString(port),
        "--bind", "127.0.0.1",
        "--protected-mode", "yes",
        "--save", "",
        "--appendonly", "no",
        "--dir", dir.toString(),
        "--dbfilename", RDB_FILE,
        "--daemonize", "no",
        "--enable-debug-command", "local"));
    if (cluster) {
      command.addAll(List.of(
          "--cluster-enabled", "yes",
          "--cluster-config-file", dir.resolve("nodes.conf").toString(),
          "--cluster-port", Integer.toString(clusterPort)));
    }
    command.addAll(extraArgs);
    Path log = dir.resolve(LOG_FILE);
    try {
      long logStart = Files.exists(log) ? Files.size(log) : 0;
      Process p = new ProcessBuilder(command)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      process = p;
      if (closed.get()) {
        kill(); // the shutdown hook closed this server while it was starting: do not leave an orphan
        throw new IllegalStateException(this + " was closed while starting");
      }
      Files.writeString(dir.resolve(LiveServers.SERVER_FILE), Long.toString(p.pid()));
      awaitReady(p, log, logStart);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    }
  }

  /** Polls PING until PONG; a server that is loading its RDB answers LOADING meanwhile. */
  private void awaitReady(Process p, Path log, long logStart) throws IOException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      if (!p.isAlive()) {
        process = null;
        String output = logSince(log, logStart);
        if (output.contains("Address already in use")) {
          throw new PortTakenException(output);
        }
        throw new IllegalStateException(
            "redis-server exited with " + p.exitValue() + " on port " + port + ":\n" + output);
      }
      try (Resp resp = Resp.connect(port)) {
        if ("PONG".equals(resp.call("PING"))) {
          return;
        }
      } catch (UncheckedIOException | RedisErrorReply notYet) {
        // not listening yet, or LOADING: poll again
      }
      if (System.nanoTime() > deadline) {
        kill();
        throw new IllegalStateException(
            "redis-server on port " + port + " not ready after " + READY_TIMEOUT + ":\n" + logSince(log, logStart));
      }
      sleep(10);
    }
  }

  private static String logSince(Path log, long start) throws IOException {
    byte[] all = Files.readAllBytes(log);
    int from = (int) Math.min(start, all.length);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }

  /** Ports the OS just handed out, probed all at once so they differ; the caller retries if one is taken. */
  private static int[] freePorts(int count) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port", e);
    } finally {
      for (ServerSocket socket : sockets) {
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException ignored) {
            // the port is free again either way
          }
        }
      }
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static final class PortTakenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PortTakenException(String log) {
      super(log);
    }
  }
}
