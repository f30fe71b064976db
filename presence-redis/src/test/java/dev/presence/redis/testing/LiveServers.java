package dev.presence.redis.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Makes sure no {@code redis-server} started by tests outlives them.
 *
 * <p>Three layers, from the usual to the worst case. The JUnit extension closes servers when their
 * class or the whole run ends, also after failures. A JVM shutdown hook kills whatever is still
 * registered here when the JVM exits normally or on SIGINT/SIGTERM (Ctrl-C, surefire's timeout).
 * Nothing runs on SIGKILL, so each server's folder records the owning JVM's pid and the server's pid,
 * and the first server a later JVM starts kills the leftovers of JVMs that no longer exist (checking
 * that the pid still belongs to a {@code redis-server} started in that folder) and deletes their
 * folders.
 */
final class LiveServers {
  static final String DIR_PREFIX = "presence-redis-test-";
  static final String OWNER_FILE = "owner.pid";
  static final String SERVER_FILE = "redis.pid";

  private static final Set<RedisServer> LIVE = ConcurrentHashMap.newKeySet();

  static {
    reapOrphans();
    Runtime.getRuntime().addShutdownHook(new Thread(LiveServers::killAll, "redis-test-servers-reaper"));
  }

  private LiveServers() {}

  static void add(RedisServer server) {
    LIVE.add(server);
  }

  static void remove(RedisServer server) {
    LIVE.remove(server);
  }

  /** Creates a server's folder and records this JVM as its owner. */
  static Path newDirectory() throws IOException {
    Path dir = Files.createTempDirectory(DIR_PREFIX);
    Files.writeString(dir.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
    return dir;
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // already gone or unreadable: a leftover folder in /tmp is harmless
    }
  }

  // ---- internals

  private static void killAll() {
    for (RedisServer server : LIVE) {
      server.close();
    }
  }

  /** Kills the servers of JVMs that died without running their shutdown hook (SIGKILL), and deletes their folders. */
  static void reapOrphans() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, DIR_PREFIX + "*")) {
      for (Path dir : dirs) {
        Optional<Long> owner = readPid(dir.resolve(OWNER_FILE));
        if (owner.isEmpty() || ProcessHandle.of(owner.get()).map(ProcessHandle::isAlive).orElse(false)) {
          continue; // another live JVM's server (other engineers share this machine), or not ours
        }
        readPid(dir.resolve(SERVER_FILE))
            .flatMap(ProcessHandle::of)
            .filter(p -> startedIn(p, dir))
            .ifPresent(ProcessHandle::destroyForcibly);
        deleteRecursively(dir);
      }
    } catch (IOException e) {
      // cannot list /tmp: nothing to reap
    }
  }

  /**
   * Guards against pid reuse: only a process working in this (unique, temporary) folder is ours.
   * Neither its name nor its arguments tell: Debian's {@code redis-server} is a link to {@code
   * redis-check-rdb}, and Redis rewrites its command line to {@code redis-server 127.0.0.1:port}. So
   * the folder is looked for as its working directory ({@code /proc/<pid>/cwd}, Linux) and, elsewhere,
   * in its arguments.
   */
  private static boolean startedIn(ProcessHandle process, Path dir) {
    ProcessHandle.Info info = process.info();
    Path cwd = Path.of("/proc", Long.toString(process.pid()), "cwd");
    try {
      return Files.isSameFile(Files.readSymbolicLink(cwd), dir);
    } catch (IOException | UnsupportedOperationException e) {
      return info.arguments().map(args -> Arrays.asList(args).contains(dir.toString())).orElse(false);
    }
  }

  private static Optional<Long> readPid(Path file) {
    try {
      return Optional.of(Long.parseLong(Files.readString(file).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
