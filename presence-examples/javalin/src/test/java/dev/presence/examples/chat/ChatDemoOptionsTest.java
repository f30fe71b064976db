package dev.presence.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChatDemoOptionsTest {

  @Test
  void noArgumentsGiveTheDefaults() throws Exception {
    DemoOptions options = DemoOptions.parse();
    assertThat(options).isEqualTo(DemoOptions.defaults());
    assertThat(options.port()).isEqualTo(8080);
    assertThat(options.grace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(options.idle()).isEqualTo(Duration.ofMinutes(2));
    assertThat(options.flush()).isEqualTo(Duration.ofSeconds(1));
    assertThat(options.heartbeatTtl()).isEqualTo(Duration.ofSeconds(45));
    assertThat(options.allowedOrigins()).isEmpty();
    assertThat(options.secret()).isNull();
    assertThat(options.acceptQueue()).isEqualTo(4096);
  }

  @Test
  void originsSecretAndAcceptQueueAreRead() throws Exception {
    DemoOptions options =
        DemoOptions.parse(
            "--allowed-origin", "http://LOCALHOST:3000", "--allowed-origin=https://chat.example",
            "--secret", "0123456789abcdef", "--accept-queue=4096");
    assertThat(options.allowedOrigins()).containsExactly("http://localhost:3000", "https://chat.example");
    assertThat(options.secret()).isEqualTo("0123456789abcdef");
    assertThat(options.acceptQueue()).isEqualTo(4096);
    assertThat(options.toString()).doesNotContain("0123456789abcdef");
  }

  @Test
  void everyOptionIsReadWithASpaceOrAnEqualsSign() throws Exception {
    DemoOptions options =
        DemoOptions.parse("--port", "9090", "--grace=2s", "--idle", "1500ms", "--flush=0", "--ttl", "1m");
    assertThat(options)
        .isEqualTo(
            new DemoOptions(
                9090, Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ZERO, Duration.ofMinutes(1)));
  }

  @ParameterizedTest
  @CsvSource({"500ms,PT0.5S", "10s,PT10S", "2m,PT2M", "1h,PT1H", "0,PT0S", "10S,PT10S"})
  void durationsTakeAUnit(String text, Duration expected) throws Exception {
    assertThat(DemoOptions.duration("--grace", text, true)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--bogus | unknown option '--bogus'",
        "--port | --port needs a value",
        "--port,x | --port must be a number from 0 to 65535 but was 'x'",
        "--port,70000 | --port must be a number from 0 to 65535 but was '70000'",
        "--grace,10 | --grace must be a duration like 500ms, 10s, 2m or 1h but was '10'",
        "--grace,-1s | --grace must be a duration like 500ms, 10s, 2m or 1h but was '-1s'",
        "--idle,0 | --idle must be more than 0 but was '0'",
        "--ttl,0s | --ttl must be more than 0 but was '0s'",
        "--flush,2m | --flush must be at most 1m but was 2m",
        "--flush=1.5s | --flush must be a duration like 500ms, 10s, 2m or 1h but was '1.5s'",
        "8080 | unknown option '8080'",
        "--allowed-origin,http://x.example/page | --allowed-origin must look like http://host:port (no path) but was 'http://x.example/page'",
        "--allowed-origin,*.example | --allowed-origin must look like http://host:port (no path) but was '*.example'",
        "--secret,short | --secret must have at least 16 characters",
        "--accept-queue,0 | --accept-queue must be a number from 1 to 65535 but was '0'",
        "--accept-queue,many | --accept-queue must be a number from 1 to 65535 but was 'many'",
        "--redis,localhost:6379 | --redis must look like redis://host:port but was 'localhost:6379'",
      })
  void aBadOptionIsNamedInOneLine(String args, String message) {
    assertThatThrownBy(() -> DemoOptions.parse(args.split(",")))
        .isInstanceOf(DemoOptions.UsageException.class)
        .hasMessage(message);
  }

  @Test
  void redisTakesAUriAndIsOffByDefault() throws Exception {
    assertThat(DemoOptions.parse().redis()).isNull();
    assertThat(DemoOptions.parse("--redis", "redis://127.0.0.1:6379").redis()).isEqualTo("redis://127.0.0.1:6379");
    assertThat(DemoOptions.parse("--redis=rediss://cache.example:6380/2").redis())
        .isEqualTo("rediss://cache.example:6380/2");
  }

  @Test
  void aBadOptionPrintsOneLineAndTheUsageAndExitsWithTwo() {
    Output out = new Output();
    Output err = new Output();
    int code = ChatDemo.run(new String[] {"--grace", "soon"}, out.stream, err.stream, new CountDownLatch(1));

    assertThat(code).isEqualTo(2);
    assertThat(out.text()).isEmpty();
    String[] lines = err.text().split("\\R");
    assertThat(lines[0]).isEqualTo("chat-demo: --grace must be a duration like 500ms, 10s, 2m or 1h but was 'soon'");
    assertThat(lines[1]).startsWith("usage: chat-demo [--port N]");
    assertThat(err.text()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void helpPrintsTheUsageAndExitsWithZero() {
    Output out = new Output();
    Output err = new Output();
    int code = ChatDemo.run(new String[] {"--help"}, out.stream, err.stream, new CountDownLatch(1));

    assertThat(code).isZero();
    assertThat(out.text()).startsWith("usage: chat-demo").contains("--grace D").contains("500ms, 10s, 2m, 1h");
    assertThat(err.text()).isEmpty();
  }

  @Test
  void aPortInUseIsReportedInOneLineWithExitCodeOne() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Output out = new Output();
      Output err = new Output();
      int code =
          ChatDemo.run(
              new String[] {"--port", String.valueOf(busy.getLocalPort())}, out.stream, err.stream, new CountDownLatch(1));

      assertThat(code).isEqualTo(1);
      assertThat(err.text().strip())
          .isEqualTo("chat-demo: cannot start: port " + busy.getLocalPort() + " on 127.0.0.1 is in use; pick another with --port");
    }
  }

  @Test
  void durationsAreFormattedTheWayTheyAreWritten() {
    assertThat(DemoOptions.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(DemoOptions.format(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThat(DemoOptions.format(Duration.ofMinutes(2))).isEqualTo("2m");
    assertThat(DemoOptions.format(Duration.ZERO)).isEqualTo("0");
  }

  private static final class Output {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }
}
