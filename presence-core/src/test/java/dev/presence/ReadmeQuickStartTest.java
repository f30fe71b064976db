package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start, kept compiling and true. The README shows the lines between the
 * {@code README start} and {@code README end} markers, with {@code System.out::println} for {@code
 * out} and without the manual clock (a real engine uses the system clock and its own timer thread).
 */
class ReadmeQuickStartTest {

  @Test
  void theReadmeQuickStartWorksAsShown() {
    ManualTime time = new ManualTime(Harness.START);
    List<String> printed = new ArrayList<>();
    java.util.function.Consumer<String> out = printed::add;

    // README start
    Presence presence = Presence.builder()
        .ticker(time).clock(time).scheduler(time) // README: not shown
        .listener(change -> out.accept(change.userId() + " is now " + change.current().state()))
        .build();

    // socket opened: connect the device and keep the handle with the socket
    DeviceConnection conn = presence.connect("alice", "laptop-1", DeviceInfo.of(Platform.WEB));

    conn.heartbeat();  // on each client heartbeat (every 15 s)
    conn.activity();   // on input: key, mouse, touch, scroll

    // contact list opened: one bulk query
    List<UserPresence> contacts = presence.getAll(List.of("alice", "bob"));

    conn.disconnect(); // socket closed: alice stays online for the 10 s grace
    // README end

    assertThat(contacts).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.OFFLINE);
    assertThat(printed).containsExactly("alice is now ONLINE");

    time.advanceSeconds(10); // grace over, no reconnect
    assertThat(printed).containsExactly("alice is now ONLINE", "alice is now OFFLINE");
    assertThat(presence.get("alice").lastSeen()).isEqualTo(Harness.START);
    presence.close();
  }
}
