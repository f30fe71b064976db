package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A listener that throws is counted and contained: other listeners and the engine go on. */
class ListenerGuardTest {

  @Test
  void aListenerThatThrowsIsCountedAndTheOthersStillHearEveryChange() {
    List<PresenceChange> after = new CopyOnWriteArrayList<>();
    try (Harness h =
        Harness.start(
            b ->
                b.listener(
                        change -> {
                          throw new IllegalStateException("listener bug");
                        })
                    .listener(after::add))) {
      DeviceConnection phone = h.presence.connect("alice", "phone");
      phone.setIdle(true);
      phone.disconnect();
      h.advanceSeconds(10);

      assertThat(h.stats().listenerFailures()).isEqualTo(3);
      assertThat(h.changes).hasSize(3); // registered before the failing one
      assertThat(after).containsExactlyElementsOf(h.changes);
      assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    }
  }

  @Test
  void aListenerThatThrowsAnErrorIsContainedToo() {
    try (Harness h =
        Harness.start(
            b ->
                b.listener(
                    change -> {
                      throw new AssertionError("listener assertion");
                    }))) {
      UserPresence returned = h.presence.setStatus("alice", StatusMode.DND, "busy", null);
      h.presence.connect("alice", "phone");

      assertThat(returned.customText()).isEqualTo("busy");
      assertThat(h.state("alice")).isEqualTo(PresenceState.DND);
      assertThat(h.stats().listenerFailures()).isEqualTo(2);
    }
  }

  @Test
  void aListenerThatFailsInsideATimerDoesNotStopTheOtherTimers() {
    try (Harness h =
        Harness.start(
            b ->
                b.listener(
                    change -> {
                      if (change.userId().equals("alice")) {
                        throw new RuntimeException("only alice breaks me");
                      }
                    }))) {
      h.presence.connect("alice", "phone").disconnect();
      h.presence.connect("bob", "phone").disconnect();
      h.presence.connect("carol", "phone");

      h.advanceSeconds(45);

      assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
      assertThat(h.state("bob")).isEqualTo(PresenceState.OFFLINE);
      assertThat(h.state("carol")).isEqualTo(PresenceState.OFFLINE); // TTL, after both graces
      assertThat(h.stats().listenerFailures()).isEqualTo(2);
      assertThat(h.changes).hasSize(6);

      h.presence.connect("alice", "phone");
      assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    }
  }

  @Test
  void aListenerMayReadTheEngineWhileItIsCalled() {
    List<UserPresence> seen = new CopyOnWriteArrayList<>();
    Presence[] self = new Presence[1];
    try (Harness h = Harness.start(b -> b.listener(change -> seen.add(self[0].get("bob"))))) {
      self[0] = h.presence;
      h.presence.connect("bob", "phone");
      h.presence.connect("alice", "phone");

      assertThat(seen).extracting(UserPresence::state)
          .containsExactly(PresenceState.ONLINE, PresenceState.ONLINE);
      assertThat(h.stats().listenerFailures()).isZero();
    }
  }
}
