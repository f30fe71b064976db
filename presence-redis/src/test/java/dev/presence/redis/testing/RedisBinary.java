package dev.presence.redis.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * Where the {@code redis-server} executable for tests comes from.
 *
 * <p>In order: the {@code REDIS_SERVER} environment variable (a path to an executable), else {@code
 * redis-server} on the {@code PATH} (Debian's 7.0.15 on CI), else the Redis 7.0.15 binary that the
 * test dependency {@code org.signal:embedded-redis} ships for this platform, copied to an executable
 * file in the temporary folder. So {@code mvn verify} needs nothing but a JDK and Maven.
 */
public final class RedisBinary {
  /** The environment variable that names the binary to use. */
  public static final String ENV = "REDIS_SERVER";
  private static final String EMBEDDED_VERSION = "7.0.15";

  private static volatile Path embedded;

  private RedisBinary() {}

  /**
   * The binary tests use: {@code $REDIS_SERVER}, else {@code redis-server} on the PATH, else the
   * embedded one.
   *
   * @return an executable file
   * @throws IllegalStateException if {@code REDIS_SERVER} names no executable file, or nothing is found
   */
  public static Path resolve() {
    return resolve(System.getenv(ENV), System.getenv("PATH"));
  }

  /** {@link #resolve()} with the two environment variables given, for tests. */
  static Path resolve(String env, String path) {
    if (env != null && !env.isBlank()) {
      Path chosen = Path.of(env);
      if (!Files.isRegularFile(chosen) || !Files.isExecutable(chosen)) {
        // Fail rather than fall back: whoever set it wants that binary tested.
        throw new IllegalStateException(ENV + "=" + env + " is not an executable file");
      }
      return chosen;
    }
    Path onPath = onPath(path, "redis-server");
    return onPath != null ? onPath : embedded();
  }

  /**
   * The Redis 7.0.15 binary shipped in {@code org.signal:embedded-redis}, extracted once per JVM.
   *
   * @return an executable file in the temporary folder, shared by every test JVM
   * @throws IllegalStateException if the jar has no binary for this platform
   */
  public static Path embedded() {
    Path path = embedded;
    if (path == null) {
      synchronized (RedisBinary.class) {
        path = embedded;
        if (path == null) {
          path = extract();
          embedded = path;
        }
      }
    }
    return path;
  }

  // ---- internals

  private static Path onPath(String path, String name) {
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /**
   * Copies the binary to one file in the temporary folder that every test JVM shares: a run that finds
   * an identical copy uses it, and a run killed before its shutdown hooks leaves no new copy behind.
   * The copy is written beside it and renamed into place, so a JVM never runs a half-written file.
   * Its name must contain {@code redis-server}: Redis picks its mode from {@code argv[0]}.
   */
  private static Path extract() {
    String name = "redis-server-" + EMBEDDED_VERSION + "-" + platform();
    byte[] binary;
    try (InputStream in = RedisBinary.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalStateException(
            "org.signal:embedded-redis has no " + name + " on the test class path; install redis-server"
                + " or set " + ENV);
      }
      binary = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name + " from org.signal:embedded-redis", e);
    }
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Path shared = tmp.resolve("presence-" + name);
    try {
      if (Files.isExecutable(shared) && Arrays.equals(Files.readAllBytes(shared), binary)) {
        return shared;
      }
      Path part = Files.createTempFile(tmp, "presence-" + name + "-", ".part");
      try {
        Files.write(part, binary);
        if (!part.toFile().setExecutable(true, false)) {
          throw new IOException("cannot make " + part + " executable");
        }
        Files.move(part, shared, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(part);
      }
      return shared;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + name + " to " + shared, e);
    }
  }

  /** The suffix embedded-redis uses for this machine, e.g. {@code linux-amd64}. */
  private static String platform() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String osPart = os.contains("mac") || os.contains("darwin") ? "darwin" : os.contains("linux") ? "linux" : os;
    String archPart =
        switch (arch) {
          case "amd64", "x86_64" -> "amd64";
          case "aarch64", "arm64" -> "arm64";
          case "x86", "i386", "i686" -> "386";
          default -> arch;
        };
    return osPart + "-" + archPart;
  }
}
