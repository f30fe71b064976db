package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start, kept compiling and true. The README shows the lines between the
 * {@code README start} and {@code README end} markers, with {@code System.out::println} for {@code
 * out} and without the line marked "README: not shown" (a real engine uses the system clock, its own
 * timer thread and its own delivery threads).
 */
class ReadmeQuickStartTest {

  @Test
  void theReadmeQuickStartWorksAsShown() {
    ManualTime time = new ManualTime(Harness.START);
    List<String> printed = new ArrayList<>();
    java.util.function.Consumer<String> out = printed::add;

    // README start
    Presence presence = Presence.builder()
        .ticker(time).clock(time).scheduler(time).deliveryExecutor(Runnable::run) // README: not shown
        .listener(change -> out.accept(change.userId() + " is now " + change.current().state()))
        .build();

    // socket opened: connect the device, keep the handle with the socket, hear when it ends
    DeviceConnection conn = presence.connect("alice", "laptop-1", DeviceInfo.of(Platform.WEB),
        (connection, reason) -> out.accept("close alice's socket: " + reason)); // EXPIRED, TAKEN_OVER...

    // the client's contact list: a snapshot now, then at most one batch a second through the sink
    Subscriber subscriber = presence.subscribe(conn, new PresenceSink() {
      @Override
      public void onPresence(List<UserPresence> changes) {  // write these to the socket
        changes.forEach(p -> out.accept("to alice: " + p.userId() + " " + p.state()));
      }

      @Override
      public void onTyping(List<TypingEvent> events) {
        events.forEach(e -> out.accept("to alice: " + e.userId() + " typing " + e.kind()));
      }
    });
    PresenceSnapshot contacts = subscriber.watchUsers(List.of("bob", "carol"));
    presence.joinChannel("general", "alice"); // membership is the application's to say

    // client messages
    conn.heartbeat();          // every 15 s
    conn.activity();           // on input: key, mouse, touch, scroll
    conn.typing("general");    // on each keystroke in a channel
    conn.messageSent("general");

    conn.disconnect();         // socket closed: alice stays online for the 10 s grace
    // README end

    assertThat(contacts.users()).extracting(UserPresence::state)
        .containsExactly(PresenceState.OFFLINE, PresenceState.OFFLINE);
    assertThat(printed).containsExactly("alice is now ONLINE", "close alice's socket: DISCONNECTED");
    assertThat(subscriber.isOpen()).as("a subscriber ends with its connection").isFalse();

    time.advanceSeconds(10); // grace over, no reconnect
    assertThat(printed).containsExactly(
        "alice is now ONLINE", "close alice's socket: DISCONNECTED", "alice is now OFFLINE");
    assertThat(presence.get("alice").lastSeen()).isEqualTo(Harness.START);
    presence.close();
  }

  @Test
  void theQuickStartSinkReceivesItsContactsChanges() {
    ManualTime time = new ManualTime(Harness.START);
    List<String> printed = new ArrayList<>();
    try (Presence presence =
        Presence.builder().ticker(time).clock(time).scheduler(time).deliveryExecutor(Runnable::run).build()) {
      DeviceConnection conn = presence.connect("alice", "laptop-1", DeviceInfo.of(Platform.WEB));
      Subscriber subscriber = presence.subscribe(conn, new PresenceSink() {
        @Override
        public void onPresence(List<UserPresence> changes) {
          changes.forEach(p -> printed.add("to alice: " + p.userId() + " " + p.state()));
        }

        @Override
        public void onTyping(List<TypingEvent> events) {
          events.forEach(e -> printed.add("to alice: " + e.userId() + " typing " + e.kind()));
        }
      });
      subscriber.watchUsers(List.of("bob", "carol"));
      subscriber.watchChannel("general");
      presence.joinChannel("general", "bob");

      DeviceConnection bob = presence.connect("bob", "phone");
      bob.typing("general");
      time.advanceSeconds(1);

      assertThat(printed).containsExactly("to alice: bob typing STARTED", "to alice: bob ONLINE");
    }
  }
}
