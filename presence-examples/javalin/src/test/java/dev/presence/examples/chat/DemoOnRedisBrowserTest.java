package dev.presence.examples.chat;

import static dev.presence.examples.support.Browsers.js;
import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.examples.support.Browsers;
import dev.presence.examples.support.Browsers.Session;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Two demo servers on one real Redis, each with a headless Chromium page: alice on the server in
 * this JVM, bob on a demo server in a child JVM ({@code ChatDemo --redis}). Each page shows the other
 * online and typing; then bob's server is killed with {@code SIGKILL} and alice's page shows bob
 * offline once, within the engine's default lease (15 s, renewed every 5 s) plus the grace, plus a
 * margin for a loaded machine. Skipped without Chromium unless {@code -Dpresence.browser=required}.
 */
@RedisTest
class DemoOnRedisBrowserTest {
  private static final Duration GRACE = Duration.ofSeconds(2);
  private static final Duration FLUSH = Duration.ofMillis(150);
  private static final Duration WAIT = Duration.ofSeconds(15);
  /** The engine's default lease and renewal (the demo keeps them), then the grace, then a margin. */
  private static final Duration OFFLINE_LIMIT =
      Duration.ofSeconds(15).plus(Duration.ofSeconds(5)).plus(GRACE).plus(Duration.ofSeconds(15));
  private static final Pattern URL = Pattern.compile("open (http://localhost:(\\d+)/) ");

  @Test
  void pagesOnTwoServersSeeEachOtherAndAKilledServersUserGoesOfflineOnce(RedisServer redis) throws Exception {
    Browsers.assumeAvailable();
    String redisUri = "redis://127.0.0.1:" + redis.port();
    PresenceBackend backend = PresenceBackend.redis(redisUri);
    ChatServer alicesServer = null;
    Process bobsServer = null;
    Session a = null;
    Session b = null;
    try {
      alicesServer = ChatServer.start(
          new DemoOptions(0, GRACE, Duration.ofMinutes(1), FLUSH, Duration.ofSeconds(10)).withRedis(redisUri), backend);
      bobsServer = new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
              "-cp", System.getProperty("java.class.path"), ChatDemo.class.getName(),
              "--redis", redisUri, "--port", "0", "--grace", "2s", "--flush", "150ms", "--idle", "1m", "--ttl", "10s")
          .redirectErrorStream(true).start();
      int bobsPort = port(bobsServer);

      a = Browsers.start();
      b = Browsers.start();
      open(a, alicesServer.port(), "alice");
      open(b, bobsPort, "bob");
      awaitShown(a, "bob", "online");
      awaitShown(b, "alice", "online");

      Session alice = a;
      Session bob = b;
      bob.driver.findElement(By.id("composer")).sendKeys("hi alice");
      wait(alice, "alice's page shows bob typing").until(d -> text(alice, "typing").contains("bob"));
      alice.driver.findElement(By.id("composer")).sendKeys("hi bob");
      wait(bob, "bob's page shows alice typing").until(d -> text(bob, "typing").contains("alice"));

      long killedAt = System.nanoTime();
      bobsServer.destroyForcibly(); // kill -9: no goodbye from bob's server
      assertThat(bobsServer.waitFor(30, TimeUnit.SECONDS)).isTrue();
      new WebDriverWait(a.driver, OFFLINE_LIMIT, Duration.ofMillis(100))
          .withMessage("bob offline on alice's page within " + OFFLINE_LIMIT)
          .until(d -> loggedStates(alice, "bob").contains("offline"));
      System.out.printf("kill -9 of bob's demo server -> offline on alice's page after %d ms%n",
          Duration.ofNanos(System.nanoTime() - killedAt).toMillis());
      Thread.sleep(3000); // a bounded look for a second offline
      assertThat(loggedStates(a, "bob").stream().filter("offline"::equals)).hasSize(1);
      assertThat(loggedStates(a, "alice")).doesNotContain("offline");
    } finally {
      if (bobsServer != null) {
        bobsServer.destroyForcibly();
        bobsServer.waitFor(30, TimeUnit.SECONDS);
      }
      try {
        if (a != null) {
          a.close();
        }
      } finally {
        if (b != null) {
          b.close();
        }
        if (alicesServer != null) {
          alicesServer.close();
        }
        backend.close();
      }
    }
  }

  /** Reads the child's output until the demo prints its address. */
  private static int port(Process demo) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          seen.add(line);
          Matcher m = URL.matcher(line);
          if (m.find()) {
            return Integer.parseInt(m.group(2));
          }
        }
      } catch (Exception e) {
        // reported below
      }
      throw new IllegalStateException("the demo ended without its address: " + seen);
    });
    int result = port.get(60, TimeUnit.SECONDS);
    Thread drain = new Thread(() -> { // a full pipe would block the child's logging
      try {
        while (out.readLine() != null) {
          // discarded
        }
      } catch (Exception e) {
        // the child is gone
      }
    }, "demo-child-output");
    drain.setDaemon(true);
    drain.start();
    return result;
  }

  private static void open(Session session, int port, String name) {
    session.driver.get("http://127.0.0.1:" + port + "/?name=" + name + "&heartbeatMs=500");
    wait(session, name + "'s page connects")
        .until(d -> "connected".equals(js(d, "return document.body.dataset.conn")));
  }

  private static WebDriverWait wait(Session session, String what) {
    WebDriverWait wait = new WebDriverWait(session.driver, WAIT, Duration.ofMillis(50));
    wait.withMessage(what);
    return wait;
  }

  private static void awaitShown(Session session, String user, String state) {
    wait(session, user + " shown as " + state).until(d -> state.equals(js(d,
        "const li = [...document.querySelectorAll('#contacts li')].find(l => l.dataset.user === arguments[0]);"
            + " return li ? li.dataset.state : null;", user)));
  }

  private static String text(Session session, String id) {
    return (String) js(session.driver, "return document.getElementById(arguments[0]).textContent", id);
  }

  @SuppressWarnings("unchecked")
  private static List<String> loggedStates(Session session, String user) {
    List<String> states = new ArrayList<>();
    for (Map<String, Object> entry : (List<Map<String, Object>>) js(session.driver, "return window.__presenceLog")) {
      if (user.equals(entry.get("userId"))) {
        states.add((String) entry.get("state"));
      }
    }
    return states;
  }
}
