package dev.presence.examples.jakarta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.Presence;
import dev.presence.examples.support.TestSocket;
import java.net.URI;
import java.time.Duration;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Jakarta WebSocket example with real JDK WebSocket clients on a free loopback port. */
class JakartaPresenceExampleTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration GRACE = Duration.ofMillis(300);

  private Presence presence;
  private Server server;

  @BeforeEach
  void start() throws Exception {
    presence = Presence.builder().grace(GRACE).flushInterval(Duration.ZERO).build();
    server = JakartaPresenceExample.start(presence, 0);
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
    presence.close();
  }

  private TestSocket connect(String user) {
    return TestSocket.connect(URI.create("ws://127.0.0.1:" + JakartaPresenceExample.port(server) + "/presence/" + user));
  }

  @Test
  void aClientSeesAnotherComeOnlineGoIdleTypeAndGoOfflineAfterGrace() {
    TestSocket bob = null;
    try (TestSocket alice = connect("alice")) {
      bob = connect("bob");
      // In either order: bob may join before or after alice's snapshot was taken.
      alice.awaitSeen("presence alice ONLINE"::equals, WAIT, "alice's own snapshot");
      alice.awaitSeen("presence bob ONLINE"::equals, WAIT, "bob online");
      bob.awaitSeen("presence alice ONLINE"::equals, WAIT, "alice in bob's snapshot");

      bob.send("idle");
      alice.await("presence bob IDLE"::equals, WAIT, "bob idle");
      bob.send("active");
      alice.await("presence bob ONLINE"::equals, WAIT, "bob back");

      bob.send("typing lobby");
      alice.await("typing lobby bob"::equals, WAIT, "bob typing");
      bob.send("stop lobby");
      alice.await("stopped lobby bob"::equals, WAIT, "bob stopped typing");
      assertThat(bob.seen()).noneMatch(line -> line.startsWith("typing"));

      long closedAt = System.nanoTime();
      bob.close();
      alice.await("presence bob OFFLINE"::equals, WAIT, "bob offline");
      assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isGreaterThanOrEqualTo(GRACE.minusMillis(50));
    } finally {
      if (bob != null) {
        bob.close(); // a no-op when already closed
      }
    }
  }

  @Test
  void anUnknownCommandIsAnsweredWithAnError() {
    try (TestSocket alice = connect("alice")) {
      alice.send("dance");
      alice.await("error unknown command dance"::equals, WAIT, "error");
    }
  }
}
