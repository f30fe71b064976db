package dev.presence.redis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback binary from {@code org.signal:embedded-redis} starts and stops like an installed one,
 * so a machine with only a JDK and Maven runs every Redis test.
 */
class EmbeddedBinaryTest {
  @Test
  void theEmbeddedRedis7015StartsServesAndLeavesNothingBehind() throws Exception {
    Path binary = RedisBinary.embedded();
    assertThat(Files.isExecutable(binary)).isTrue();
    assertThat(RedisBinary.embedded()).isEqualTo(binary); // extracted once per JVM

    Path dir;
    long pid;
    try (RedisServer server = RedisServer.start(binary)) {
      assertThat((String) server.call("INFO", "server")).contains("redis_version:7.0.15");
      assertThat(server.call("SET", "embedded:key", "value")).isEqualTo("OK");
      assertThat(server.call("GET", "embedded:key")).isEqualTo("value");
      dir = server.directory();
      pid = Long.parseLong(Files.readString(dir.resolve(LiveServers.SERVER_FILE)));
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(dir).doesNotExist();
  }

  @Test
  void resolutionTakesTheEnvironmentVariableThenThePathThenTheEmbeddedBinary(@TempDir Path tmp)
      throws Exception {
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    Path onPath = Files.createFile(bin.resolve("redis-server"));
    assertThat(onPath.toFile().setExecutable(true)).isTrue();
    Path chosen = Files.createFile(tmp.resolve("my-redis"));
    assertThat(chosen.toFile().setExecutable(true)).isTrue();
    String path = empty + File.pathSeparator + bin;

    assertThat(RedisBinary.resolve(chosen.toString(), path)).isEqualTo(chosen);
    assertThat(RedisBinary.resolve(null, path)).isEqualTo(onPath);
    assertThat(RedisBinary.resolve("", path)).isEqualTo(onPath);
    assertThat(RedisBinary.resolve(null, empty.toString())).isEqualTo(RedisBinary.embedded());
    assertThat(RedisBinary.resolve(null, null)).isEqualTo(RedisBinary.embedded());
    assertThatThrownBy(() -> RedisBinary.resolve(tmp.resolve("missing").toString(), path))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(RedisBinary.ENV);
  }
}
