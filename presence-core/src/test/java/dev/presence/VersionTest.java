package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Versions grow by exactly one on every change others see, and only then. */
class VersionTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aUserNeverSeenHasVersionZero() {
    assertThat(h.get("nobody")).isEqualTo(UserPresence.unknown("nobody"));
  }

  @Test
  void everyVisibleChangeBumpsTheVersionByExactlyOne() {
    DeviceConnection phone = h.presence.connect("alice", "phone"); // 1 online
    phone.setIdle(true); // 2 idle
    phone.activity(); // 3 online
    h.presence.setStatus("alice", StatusMode.DND); // 4 dnd
    h.presence.setStatus("alice", StatusMode.DND, "busy", null); // 5 text
    h.presence.setStatus("alice", StatusMode.INVISIBLE); // 6 offline
    h.presence.setStatus("alice", StatusMode.AUTO); // 7 online
    phone.disconnect();
    h.advanceSeconds(10); // 8 offline

    assertThat(h.changes).hasSize(8);
    for (int i = 0; i < h.changes.size(); i++) {
      PresenceChange change = h.changes.get(i);
      assertThat(change.previous().version()).isEqualTo(i);
      assertThat(change.current().version()).isEqualTo(i + 1);
      assertThat(change.version()).isEqualTo(i + 1);
    }
    assertThat(h.get("alice").version()).isEqualTo(8);
  }

  @Test
  void aDeviceAddedWhileAnotherIsActiveChangesNoVersion() {
    h.presence.connect("alice", "phone");
    assertUnchanged(p -> p.connect("alice", "laptop"));
  }

  @Test
  void heartbeatsAndInputOnAnActiveDeviceChangeNoVersion() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    assertUnchanged(
        p -> {
          for (int i = 0; i < 100; i++) {
            phone.heartbeat();
            phone.activity();
          }
        });
  }

  @Test
  void oneOfTwoDevicesGoingIdleChangesNoVersion() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.presence.connect("alice", "laptop");
    assertUnchanged(p -> phone.setIdle(true));
  }

  @Test
  void aDisconnectThatStartsGraceChangesNoVersion() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    assertUnchanged(p -> phone.disconnect());
  }

  @Test
  void dndWhileOfflineChangesNoVersion() {
    h.presence.connect("alice", "phone").disconnect();
    h.advanceSeconds(10);
    assertUnchanged(p -> p.setStatus("alice", StatusMode.DND));
    assertThat(h.engine().store.get("alice").mode()).isEqualTo(StatusMode.DND);
  }

  @Test
  void changesWhileInvisibleChangeNoVersion() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.INVISIBLE);
    assertUnchanged(
        p -> {
          phone.setIdle(true);
          p.setStatus("alice", StatusMode.INVISIBLE, "hidden text", null);
          p.connect("alice", "laptop");
        });
  }

  @Test
  void versionsOfDifferentUsersAreIndependent() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    phone.setIdle(true);
    phone.setIdle(false);
    h.presence.connect("bob", "phone");

    assertThat(h.get("alice").version()).isEqualTo(3);
    assertThat(h.get("bob").version()).isEqualTo(1);
  }

  @Test
  void theVersionKeepsGrowingAcrossOfflinePeriods() {
    for (int session = 0; session < 5; session++) {
      h.presence.connect("alice", "phone").disconnect();
      h.advance(Duration.ofSeconds(10));
    }
    assertThat(h.get("alice").version()).isEqualTo(10);
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
  }

  private void assertUnchanged(Consumer<Presence> action) {
    UserPresence before = h.get("alice");
    int changes = h.changes.size();
    action.accept(h.presence);
    h.advanceSeconds(1);
    assertThat(h.get("alice")).isEqualTo(before);
    assertThat(h.changes).hasSize(changes);
  }
}
