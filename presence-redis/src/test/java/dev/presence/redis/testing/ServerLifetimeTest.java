package dev.presence.redis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** No redis-server outlives the JVM that started it, however that JVM ends. */
class ServerLifetimeTest {
  @Test
  void aJvmStoppedWithSigtermKillsItsServersOnTheWayOut() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder(
            java.toString(), "-cp", System.getProperty("java.class.path"), ServerInChildJvm.class.getName())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
      assertThat(line).as("the child JVM's report").isNotNull();
      Path dir = Path.of(line.split(" ", 3)[2]);
      long redisPid = Long.parseLong(Files.readString(dir.resolve(LiveServers.SERVER_FILE)).trim());
      assertThat(ProcessHandle.of(redisPid).map(ProcessHandle::isAlive)).contains(true);

      child.destroy(); // SIGTERM, as Ctrl-C or surefire's fork timeout would send
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

      // The hook waited for the server, so it is gone (and reaped) by the time the JVM has exited.
      assertThat(ProcessHandle.of(redisPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      assertThat(dir).doesNotExist();
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void theServerOfAJvmThatDiedWithoutItsHookIsKilledByTheNextJvm() throws Exception {
    // A real SIGKILLed JVM would leave an orphan that only init can reap, and init here does not:
    // so this JVM plays the dead one by giving its own server's folder the pid of an exited process.
    RedisServer server = RedisServer.start();
    try {
      Process exited = new ProcessBuilder("true").start();
      exited.waitFor();
      Files.writeString(server.directory().resolve(LiveServers.OWNER_FILE), Long.toString(exited.pid()));

      LiveServers.reapOrphans();

      assertThat(server.directory()).doesNotExist();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (server.isRunning() && System.nanoTime() < deadline) {
        RedisServer.sleep(10);
      }
      assertThat(server.isRunning()).isFalse();
    } finally {
      server.close();
    }
  }

  @Test
  void theReaperLeavesServersOfLiveJvmsAlone() {
    try (RedisServer server = RedisServer.start()) {
      LiveServers.reapOrphans();
      assertThat(server.isRunning()).isTrue();
      assertThat(server.call("PING")).isEqualTo("PONG");
    }
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (IOException e) {
      return null;
    }
  }
}
