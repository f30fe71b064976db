package dev.presence.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.Presence;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is optional: an engine runs in a JVM without micrometer-core and loads none of its
 * classes, nor the binder that needs them ({@code dev.presence.micrometer}).
 */
class NoMicrometerTest {

  @Test
  void anEngineRunsWithoutMicrometerAndLoadsNoneOfItsClasses() throws Exception {
    String classPath =
        String.join(
            java.io.File.pathSeparator,
            location(Presence.class), // presence-core's classes
            location(EngineWithoutMicrometer.class), // its test classes (the main, ManualTime)
            location(org.slf4j.Logger.class)); // slf4j-api, its one required dependency
    assertThat(classPath).doesNotContain("micrometer");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-verbose:class",
                "-cp",
                classPath,
                EngineWithoutMicrometer.class.getName())
            .redirectErrorStream(true)
            .start();
    child.getOutputStream().close();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(child.exitValue()).as(output).isZero();
    List<String> lines = output.lines().toList();
    int done = lines.indexOf(EngineWithoutMicrometer.ENGINE_DONE);
    assertThat(done).as(output).isPositive();
    List<String> whileRunning = lines.subList(0, done);
    assertThat(whileRunning).anyMatch(line -> line.contains("dev.presence.PresenceEngine"));
    assertThat(whileRunning).anyMatch(line -> line.contains("dev.presence.SubscriptionHub"));
    assertThat(whileRunning).anyMatch(line -> line.startsWith("received ") && !line.startsWith("received 0,"));
    assertThat(whileRunning.stream().filter(line -> line.contains("io.micrometer.") || line.contains(".micrometer.")))
        .isEmpty();
    assertThat(lines).contains("MICROMETER-ABSENT");
  }

  private static String location(Class<?> type) throws URISyntaxException, IOException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
