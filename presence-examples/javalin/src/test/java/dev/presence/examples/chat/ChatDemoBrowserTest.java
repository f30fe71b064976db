package dev.presence.examples.chat;

import static dev.presence.examples.support.Browsers.js;
import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.PresenceState;
import dev.presence.examples.support.Browsers;
import dev.presence.examples.support.Browsers.Session;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat demo end to end in two real headless Chromium sessions, A and B, against the demo server
 * started in this JVM on a free loopback port with short timings. Each page records every status
 * change it showed in {@code window.__presenceLog}; the flicker checks assert on that record.
 *
 * <p>Waiting is done with bounded polls ({@link WebDriverWait}): real browsers and a real server.
 * Skipped without Chromium unless {@code -Dpresence.browser=required}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatDemoBrowserTest {
  private static final Duration GRACE = Duration.ofSeconds(2);
  private static final Duration FLUSH = Duration.ofMillis(150);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private PresenceBackend backend;
  private ChatServer server;
  private Session a;
  private Session b;
  private String test;
  private int shots;

  @BeforeAll
  void needsChromium() {
    Browsers.assumeAvailable();
  }

  /** A fresh server per scenario, so users and their statuses start clean. */
  @BeforeEach
  void start(TestInfo info) {
    test = info.getTestMethod().orElseThrow().getName();
    shots = 0;
    backend = PresenceBackend.inMemory();
    server =
        ChatServer.start(
            new DemoOptions(0, GRACE, Duration.ofMinutes(1), FLUSH, Duration.ofSeconds(10)), backend);
    a = Browsers.start();
    b = Browsers.start();
  }

  @AfterEach
  void stopBrowsers() {
    try {
      if (a != null) {
        screenshot(a, "A-last");
      }
      if (b != null) {
        screenshot(b, "B-last");
      }
    } catch (RuntimeException e) {
      // a screenshot after a failure is a nicety
    } finally {
      try {
        if (a != null) {
          a.close();
        }
      } finally {
        if (b != null) {
          b.close();
        }
        a = null;
        b = null;
      }
    }
  }

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
      backend.close();
      server = null;
    }
  }

  // ------------------------------------------------------------------------------------ scenarios

  @Test
  void bSeesAComeOnlineAndAGoesIdleAfterInactivityAndBackOnInput() {
    open(b, "bob", "");
    open(a, "alice", "&idleMs=1500");

    awaitLogged(b, "alice", "online");
    awaitShown(b, "alice", "idle");
    assertThat(js(a.driver, "return document.getElementById('me-dot').dataset.state")).isEqualTo("idle");
    screenshot(b, "B-sees-alice-idle");
    screenshot(a, "A-idle");

    new Actions(a.driver).moveToElement(a.driver.findElement(By.id("contacts"))).moveByOffset(3, 3).perform();
    awaitShown(b, "alice", "online");
    assertThat(loggedStates(b, "alice")).containsSubsequence("online", "idle", "online").doesNotContain("offline");
  }

  @Test
  void bSeesATypingUntilASendsTheMessage() {
    open(b, "bob", "");
    open(a, "alice", "&typingStopMs=60000"); // only sending (or the server's 5 s expiry) can end it
    awaitShown(b, "alice", "online");

    WebElement composer = a.driver.findElement(By.id("composer"));
    composer.sendKeys("Hello Bob, how are you?");
    awaitText(b, "typing", "alice is typing…");
    assertThat(text(a, "typing")).isEmpty(); // never shown to the typist
    screenshot(b, "B-sees-alice-typing");
    screenshot(a, "A-typing");

    long sentAt = System.nanoTime();
    composer.sendKeys(Keys.ENTER);
    wait(b, "B shows the message and no indicator")
        .until(d -> text(b, "messages").contains("Hello Bob, how are you?") && text(b, "typing").isEmpty());
    assertThat(Duration.ofNanos(System.nanoTime() - sentAt)).isLessThan(Duration.ofSeconds(3));
    screenshot(b, "B-message-arrived");
  }

  @Test
  void aClosedTabShowsOfflineOnlyAfterGraceWithALastSeen() {
    open(b, "bob", "");
    open(a, "alice", "");
    awaitShown(b, "alice", "online");

    long closedAt = System.currentTimeMillis();
    closeCurrentTab(a);
    awaitShown(b, "alice", "offline");
    long offlineAt = loggedAt(b, "alice", "offline");
    assertThat(offlineAt - closedAt).as("ms from closing the tab to B showing offline").isGreaterThanOrEqualTo(GRACE.toMillis() - 100);
    String detail =
        (String)
            js(
                b.driver,
                "return [...document.querySelectorAll('#contacts li')].find(l => l.dataset.user === arguments[0])"
                    + ".querySelector('.last-seen').textContent",
                "alice");
    assertThat(detail).isEqualTo("last seen just now");
    screenshot(b, "B-sees-alice-offline");
  }

  @Test
  void aTabReopenedWithinGraceCausesNoFlicker() {
    open(b, "bob", "");
    open(a, "alice", "");
    awaitShown(b, "alice", "online");

    long closedAt = System.nanoTime();
    closeCurrentTab(a);
    a.driver.get(url("alice", "")); // a new tab: a new device id, within grace
    awaitConnected(a);
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).as("reopened within grace").isLessThan(GRACE);

    observe(GRACE.multipliedBy(2).plusMillis(500), () -> assertThat(shown(b, "alice")).isNotEqualTo("offline"));
    assertThat(loggedStates(b, "alice")).doesNotContain("offline");
    assertThat(server.presence().get("alice").isConnected()).isTrue();
    screenshot(b, "B-after-alice-reopened");
  }

  @Test
  void aSecondTabOfAKeepsAOnlineWhenTheFirstCloses() {
    open(b, "bob", "");
    open(a, "alice", "");
    awaitShown(b, "alice", "online");
    WebDriver driver = a.driver;
    String first = driver.getWindowHandle();

    driver.switchTo().newWindow(WindowType.TAB); // a second device of alice
    String second = driver.getWindowHandle();
    driver.get(url("alice", ""));
    awaitConnected(a);
    screenshot(a, "A-second-tab");
    driver.switchTo().window(first);
    driver.close();
    driver.switchTo().window(second);

    observe(GRACE.multipliedBy(2).plusMillis(500), () -> assertThat(shown(b, "alice")).isNotEqualTo("offline"));
    awaitShown(b, "alice", "online");
    assertThat(loggedStates(b, "alice")).doesNotContain("offline");
    assertThat(server.presence().get("alice").state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void doNotDisturbInvisibleAndStatusTextReachTheOtherSession() {
    open(b, "bob", "");
    open(a, "alice", "");
    awaitShown(b, "alice", "online");

    a.driver.findElement(By.id("status-text")).sendKeys("In a meeting until 3");
    new Select(a.driver.findElement(By.id("mode"))).selectByValue("dnd");
    awaitShown(b, "alice", "dnd");
    wait(b, "B shows alice's status text").until(d -> contactText(b, "alice").contains("In a meeting until 3"));
    assertThat(contactText(b, "alice")).contains("do not disturb");
    screenshot(b, "B-sees-alice-dnd");
    screenshot(a, "A-dnd");

    new Select(a.driver.findElement(By.id("mode"))).selectByValue("invisible");
    awaitShown(b, "alice", "offline");
    assertThat(contactText(b, "alice")).doesNotContain("In a meeting");
    wait(a, "A shows itself invisible").until(d -> text(a, "me-detail").contains("invisible"));
    screenshot(a, "A-invisible");
    screenshot(b, "B-sees-invisible-alice-offline");

    new Select(a.driver.findElement(By.id("mode"))).selectByValue("auto");
    awaitShown(b, "alice", "online");
  }

  @Test
  void aDroppedConnectionReconnectsWithBackoffAndAFreshSnapshot() {
    open(a, "alice", "");
    open(b, "bob", "&reconnectBaseMs=3000");
    awaitShown(b, "alice", "online");

    server.dropConnectionsOf("bob");
    wait(b, "B notices and backs off").until(d -> "reconnecting".equals(js(d, "return document.body.dataset.conn")));
    // While B is away, A writes and goes DND; B can only learn this from its fresh snapshot.
    WebElement composer = a.driver.findElement(By.id("composer"));
    composer.sendKeys("while you were away");
    composer.sendKeys(Keys.ENTER);
    new Select(a.driver.findElement(By.id("mode"))).selectByValue("dnd");

    wait(b, "B reconnected with a second snapshot")
        .withTimeout(Duration.ofSeconds(15))
        .until(d -> ((Number) js(d, "return window.__presence.snapshots")).intValue() >= 2
            && "connected".equals(js(d, "return document.body.dataset.conn")));
    assertThat(((Number) js(b.driver, "return window.__presence.reconnects")).intValue()).isGreaterThanOrEqualTo(1);
    awaitShown(b, "alice", "dnd");
    assertThat(text(b, "messages")).contains("while you were away");
    screenshot(b, "B-after-reconnect");
  }

  // ------------------------------------------------------------------------------------ helpers

  private String url(String name, String extra) {
    return "http://127.0.0.1:"
        + server.port()
        + "/?name="
        + URLEncoder.encode(name, StandardCharsets.UTF_8)
        + "&heartbeatMs=500"
        + extra;
  }

  private void open(Session session, String name, String extra) {
    session.driver.get(url(name, extra));
    awaitConnected(session);
  }

  private void awaitConnected(Session session) {
    wait(session, "the page connects")
        .until(d -> "connected".equals(js(d, "return document.body.dataset.conn")));
  }

  private WebDriverWait wait(Session session, String what) {
    WebDriverWait wait = new WebDriverWait(session.driver, WAIT, Duration.ofMillis(50));
    wait.withMessage(what);
    return wait;
  }

  /** The state the page's contact list shows for a user, or null if it is not listed. */
  private String shown(Session session, String user) {
    return (String)
        js(
            session.driver,
            "const li = [...document.querySelectorAll('#contacts li')].find(l => l.dataset.user === arguments[0]);"
                + " return li ? li.dataset.state : null;",
            user);
  }

  private String contactText(Session session, String user) {
    return (String)
        js(
            session.driver,
            "const li = [...document.querySelectorAll('#contacts li')].find(l => l.dataset.user === arguments[0]);"
                + " return li ? li.textContent : '';",
            user);
  }

  private String text(Session session, String id) {
    return (String) js(session.driver, "return document.getElementById(arguments[0]).textContent", id);
  }

  private void awaitShown(Session session, String user, String... states) {
    List<String> wanted = Arrays.asList(states);
    wait(session, user + " shown as " + wanted + "; log " + "(see below)")
        .until(d -> wanted.contains(shown(session, user)));
  }

  private void awaitText(Session session, String id, String expected) {
    wait(session, "#" + id + " shows '" + expected + "'").until(d -> expected.equals(text(session, id)));
  }

  private void awaitLogged(Session session, String user, String state) {
    wait(session, "the page logged " + user + " " + state).until(d -> loggedStates(session, user).contains(state));
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> log(Session session) {
    return (List<Map<String, Object>>) js(session.driver, "return window.__presenceLog");
  }

  private List<String> loggedStates(Session session, String user) {
    List<String> states = new ArrayList<>();
    for (Map<String, Object> entry : log(session)) {
      if (user.equals(entry.get("userId"))) {
        states.add((String) entry.get("state"));
      }
    }
    return states;
  }

  private long loggedAt(Session session, String user, String state) {
    for (Map<String, Object> entry : log(session)) {
      if (user.equals(entry.get("userId")) && state.equals(entry.get("state"))) {
        return ((Number) entry.get("t")).longValue();
      }
    }
    throw new AssertionError(user + " " + state + " not in the log " + log(session));
  }

  /** Checks {@code check} over and over for {@code duration}: a bounded poll for something that must not happen. */
  private static void observe(Duration duration, Runnable check) {
    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < end) {
      check.run();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Closes the current tab the way a user does; a blank tab keeps the browser session alive. */
  private static void closeCurrentTab(Session session) {
    WebDriver driver = session.driver;
    String demo = driver.getWindowHandle();
    driver.switchTo().newWindow(WindowType.TAB);
    String spare = driver.getWindowHandle();
    driver.switchTo().window(demo);
    driver.close();
    driver.switchTo().window(spare);
  }

  private void screenshot(Session session, String what) {
    session.screenshot(test + "-" + (++shots) + "-" + what);
  }
}
