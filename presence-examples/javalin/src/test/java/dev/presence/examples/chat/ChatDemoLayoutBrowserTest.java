package dev.presence.examples.chat;

import static dev.presence.examples.support.Browsers.js;
import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.examples.support.Browsers;
import dev.presence.examples.support.Browsers.Session;
import dev.presence.examples.support.TestSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page's layout and honesty in real headless Chromium (issue 12, items 10 to 13): 50 people and
 * a long history at 1280 and 400 CSS pixels wide, long names, the stale marking while disconnected,
 * and the favicon. The other 49 people are real WebSocket clients. Full-page screenshots go to
 * {@code target/screenshots/}. Skipped without Chromium unless {@code -Dpresence.browser=required}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatDemoLayoutBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff.jr_X"; // 40 characters, no space
  private static final int PEOPLE = 50; // the page's own user and 49 clients
  private static final int MESSAGES = 30;

  private PresenceBackend backend;
  private ChatServer server;
  private final List<TestSocket> others = new ArrayList<>();
  private Session session;

  @BeforeAll
  void start() {
    Browsers.assumeAvailable();
    assertThat(LONG_NAME).hasSize(UserNames.MAX_CHARS);
    backend = PresenceBackend.inMemory();
    server =
        ChatServer.start(
            new DemoOptions(0, Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofMillis(150), Duration.ofSeconds(10)),
            backend);
    for (int i = 1; i < PEOPLE; i++) {
      String name = i == 1 ? LONG_NAME : (i % 3 == 0 ? "user" : "person.number-") + i;
      TestSocket socket =
          TestSocket.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws?user=" + name + "&device=tab-1"));
      others.add(socket);
      socket.send("{\"type\":\"subscribe\",\"channelId\":\"lobby\"}");
      socket.await(text -> text.contains("\"type\":\"snapshot\""), WAIT, "snapshot of " + name);
    }
    for (int m = 0; m < MESSAGES; m++) {
      String text =
          m == 7
              ? "a-very-long-word-without-any-space-".repeat(8) // must wrap, not widen the page
              : "message " + m + " about the weather and the build";
      others.get(m % 10).send("{\"type\":\"message\",\"channelId\":\"lobby\",\"text\":\"" + text + "\"}");
    }
    others.get(0).awaitSeen(t -> t.contains("\"text\":\"message " + (MESSAGES - 1) + " "), WAIT, "the last message");
    session = Browsers.start();
  }

  @AfterAll
  void stop() {
    try {
      if (session != null) {
        session.close();
      }
    } finally {
      others.forEach(TestSocket::close);
      if (server != null) {
        server.close();
        backend.close();
      }
    }
  }

  private void openPage(int width, String extra) {
    session.viewport(width, 800);
    session.driver.get("http://127.0.0.1:" + server.port() + "/?name=me&heartbeatMs=500" + extra);
    wait("the page connects").until(d -> "connected".equals(js(d, "return document.body.dataset.conn")));
    wait("50 people listed")
        .until(d -> ((Number) js(d, "return document.querySelectorAll('#contacts li').length")).intValue() == PEOPLE);
    wait("the history shown")
        .until(d -> ((Number) js(d, "return document.querySelectorAll('#messages li.message').length")).intValue() >= MESSAGES);
  }

  private WebDriverWait wait(String what) {
    WebDriverWait wait = new WebDriverWait(session.driver, WAIT, Duration.ofMillis(50));
    wait.withMessage(what);
    return wait;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> layout() {
    return (Map<String, Object>)
        js(
            session.driver,
            "const vw = window.innerWidth, vh = window.innerHeight, root = document.documentElement;"
                + "const box = (e) => e.getBoundingClientRect();"
                + "const composer = box(document.getElementById('composer'));"
                + "const list = document.getElementById('messages');"
                + "const last = box(list.lastElementChild), shown = box(list);"
                + "const contacts = document.getElementById('contacts');"
                + "const wide = [...document.querySelectorAll('body *')].filter((e) => {"
                + "  const b = box(e); return b.width > 0 && (b.right > vw + 0.5 || b.left < -0.5); })"
                + "  .map((e) => e.tagName + '#' + e.id + '.' + e.className);"
                + "return { vw, vh, scrollWidth: root.scrollWidth, scrollHeight: root.scrollHeight,"
                + "  composerTop: composer.top, composerBottom: composer.bottom,"
                + "  composerLeft: composer.left, composerRight: composer.right,"
                + "  lastTop: last.top, lastBottom: last.bottom, listTop: shown.top, listBottom: shown.bottom,"
                + "  contactsScroll: contacts.scrollHeight > contacts.clientHeight, wide };");
  }

  private static double number(Map<String, Object> layout, String key) {
    return ((Number) layout.get(key)).doubleValue();
  }

  @ParameterizedTest(name = "{0} px wide")
  @ValueSource(ints = {1280, 400})
  void withFiftyPeopleTheMessageBoxAndTheNewestMessageStayInViewWithoutSidewaysScrolling(int width) {
    openPage(width, "");
    Map<String, Object> layout = layout();
    session.fullPageScreenshot("layout-" + width + "px-50-people");

    double vw = number(layout, "vw");
    double vh = number(layout, "vh");
    assertThat(vw).isEqualTo(width);
    assertThat(number(layout, "scrollWidth")).as("page width").isLessThanOrEqualTo(vw);
    assertThat(number(layout, "scrollHeight")).as("page height").isLessThanOrEqualTo(vh);
    assertThat((List<?>) layout.get("wide")).as("elements past the viewport's sides").isEmpty();
    assertThat(number(layout, "composerTop")).as("message box top").isGreaterThanOrEqualTo(0);
    assertThat(number(layout, "composerBottom")).as("message box bottom").isLessThanOrEqualTo(vh);
    assertThat(number(layout, "composerLeft")).isGreaterThanOrEqualTo(0);
    assertThat(number(layout, "composerRight")).isLessThanOrEqualTo(vw);
    assertThat(number(layout, "lastBottom")).as("newest message bottom").isLessThanOrEqualTo(number(layout, "listBottom") + 1);
    assertThat(number(layout, "lastTop")).as("newest message top").isGreaterThanOrEqualTo(number(layout, "listTop") - 1);
    assertThat((Boolean) layout.get("contactsScroll")).as("the people list scrolls inside the sidebar").isTrue();
  }

  @Test
  void aNewMessageScrollsTheChatToIt() {
    openPage(1280, "");
    others.get(20).send("{\"type\":\"message\",\"channelId\":\"lobby\",\"text\":\"the newest one\"}");
    wait("the new message shown")
        .until(d -> ((String) js(d, "return document.getElementById('messages').lastElementChild.textContent"))
            .contains("the newest one"));
    Map<String, Object> layout = layout();
    assertThat(number(layout, "lastBottom")).isLessThanOrEqualTo(number(layout, "listBottom") + 1);
    assertThat(number(layout, "lastTop")).isGreaterThanOrEqualTo(number(layout, "listTop") - 1);
  }

  @ParameterizedTest(name = "{0} px wide")
  @ValueSource(ints = {1280, 400})
  void aLongNameIsCutWithAnEllipsisAndShownWholeInItsTooltip(int width) {
    openPage(width, "");
    @SuppressWarnings("unchecked")
    Map<String, Object> name =
        (Map<String, Object>)
            js(
                session.driver,
                "const li = [...document.querySelectorAll('#contacts li')].find(l => l.dataset.user === arguments[0]);"
                    + "const text = li.querySelector('.name-text'), sidebar = document.querySelector('.sidebar');"
                    + "const style = getComputedStyle(text);"
                    + "return { title: li.querySelector('.name').title, cut: text.scrollWidth > text.clientWidth,"
                    + "  ellipsis: style.textOverflow, right: text.getBoundingClientRect().right,"
                    + "  sidebarRight: sidebar.getBoundingClientRect().right };",
                LONG_NAME);
    assertThat(name.get("title")).isEqualTo(LONG_NAME);
    assertThat(name.get("ellipsis")).isEqualTo("ellipsis");
    assertThat(number(name, "right")).isLessThanOrEqualTo(number(name, "sidebarRight"));
    if (width == 400) {
      assertThat((Boolean) name.get("cut")).as("cut at 400 px").isTrue();
    }
  }

  @Test
  void whileDisconnectedThePeopleListIsGreyedOutUntilTheFreshSnapshot() {
    openPage(1280, "&reconnectBaseMs=3000");
    assertThat(js(session.driver, "return document.getElementById('app').dataset.stale")).isEqualTo("false");
    assertThat(opacity("contacts")).isEqualTo(1.0);

    server.dropConnectionsOf("me");
    wait("the page marks what it shows as stale")
        .until(d -> "true".equals(js(d, "return document.getElementById('app').dataset.stale")));
    assertThat(opacity("contacts")).isLessThan(1.0);
    assertThat(opacity("me-dot")).isLessThan(1.0);
    assertThat(js(session.driver, "return getComputedStyle(document.querySelector('.stale-note')).display"))
        .isNotEqualTo("none");
    session.fullPageScreenshot("layout-stale-while-reconnecting");

    wait("a fresh snapshot")
        .withTimeout(Duration.ofSeconds(15))
        .until(d -> "false".equals(js(d, "return document.getElementById('app').dataset.stale")));
    assertThat(js(session.driver, "return document.body.dataset.conn")).isEqualTo("connected");
    assertThat(((Number) js(session.driver, "return window.__presence.snapshots")).intValue()).isGreaterThanOrEqualTo(2);
    assertThat(opacity("contacts")).isEqualTo(1.0);
  }

  private double opacity(String id) {
    return Double.parseDouble(
        (String) js(session.driver, "return getComputedStyle(document.getElementById(arguments[0])).opacity", id));
  }

  @Test
  void withASecretThePagePassesItsTokenOnAndARefusalShowsTheReason() {
    String secret = "a-browser-test-secret-of-length";
    PresenceBackend tokenBackend = PresenceBackend.inMemory();
    try (ChatServer tokens =
        ChatServer.start(
            new DemoOptions(0, Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofMillis(150), Duration.ofSeconds(10))
                .withSecret(secret),
            tokenBackend)) {
      String token = new HmacTokenAuthenticator(secret).issue("alice", java.time.Instant.now().plusSeconds(600));
      session.driver.get("http://127.0.0.1:" + tokens.port() + "/?name=alice&token=" + token);
      wait("the page connects with its token").until(d -> "connected".equals(js(d, "return document.body.dataset.conn")));

      session.driver.get("http://127.0.0.1:" + tokens.port() + "/?name=mallory");
      wait("the page returns to the name form with the reason")
          .until(d -> !(Boolean) js(d, "return document.getElementById('join').hidden"));
      assertThat((String) js(session.driver, "return document.getElementById('join-error').textContent"))
          .contains("'token' is missing");
    } finally {
      tokenBackend.close();
    }
  }

  @Test
  void theFaviconIsServedAndTheConsoleShowsNoError() {
    session.consoleMessages(); // earlier pages' messages
    openPage(1280, "");
    Object status =
        ((org.openqa.selenium.JavascriptExecutor) session.driver)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + "fetch(document.querySelector('link[rel=icon]').href).then(r => done(r.status), e => done(String(e)));");
    assertThat(status).isEqualTo(200L);
    assertThat(session.consoleMessages()).noneMatch(m -> m.startsWith("SEVERE"));
  }
}
