package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The status a user chooses (AUTO, DND, INVISIBLE, text, expiry) as others see it. */
class StatusTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void dndShowsOnlyWhileADeviceIsConnected() {
    UserPresence returned = h.presence.setStatus("alice", StatusMode.DND);
    assertThat(returned.state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);

    DeviceConnection phone = h.presence.connect("alice", "phone");
    assertThat(h.state("alice")).isEqualTo(PresenceState.DND);

    phone.disconnect();
    assertThat(h.state("alice")).isEqualTo(PresenceState.DND); // still in grace
    h.advanceSeconds(10);
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);

    h.presence.connect("alice", "laptop");
    assertThat(h.state("alice")).isEqualTo(PresenceState.DND);
  }

  @Test
  void dndHidesWhetherTheDevicesAreIdle() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.DND);
    int before = h.changes.size();

    phone.setIdle(true);
    phone.setIdle(false);

    assertThat(h.state("alice")).isEqualTo(PresenceState.DND);
    assertThat(h.changes).hasSize(before);
    assertThat(h.stats().usersDnd()).isEqualTo(1);
  }

  @Test
  void settingDndReturnsWhatOthersNowSee() {
    h.presence.connect("alice", "phone");

    UserPresence returned = h.presence.setStatus("alice", StatusMode.DND, "in a meeting", null);

    assertThat(returned).isEqualTo(h.get("alice"));
    assertThat(returned.state()).isEqualTo(PresenceState.DND);
    assertThat(returned.customText()).isEqualTo("in a meeting");
    assertThat(returned.version()).isEqualTo(2);
  }

  @Test
  void anInvisibleUserLooksOfflineWithNoCustomText() {
    h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.AUTO, "around", null);

    UserPresence returned = h.presence.setStatus("alice", StatusMode.INVISIBLE, "secret", null);

    assertThat(returned.state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(returned.customText()).isNull();
    assertThat(returned.isConnected()).isFalse();
    assertThat(h.get("alice")).isEqualTo(returned);
    PresenceChange last = h.changes.get(h.changes.size() - 1);
    assertThat(last.previous().state()).isEqualTo(PresenceState.ONLINE);
    assertThat(last.current().state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(last.current().customText()).isNull();
  }

  @Test
  void lastSeenIsFrozenWhileInvisible() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(10);
    h.presence.setStatus("alice", StatusMode.INVISIBLE);
    UserPresence invisible = h.get("alice");
    assertThat(invisible.lastSeen()).isEqualTo(Harness.atSeconds(10));
    int changes = h.changes.size();

    h.advanceSeconds(10);
    phone.setIdle(true);
    phone.setIdle(false);
    phone.disconnect();
    h.advanceSeconds(5);
    DeviceConnection laptop = h.presence.connect("alice", "laptop");
    h.advanceWithHeartbeats(Duration.ofMinutes(20), laptop); // laptop goes idle meanwhile
    h.presence.setStatus("alice", StatusMode.INVISIBLE, "still hiding", null);

    assertThat(h.get("alice")).isEqualTo(invisible);
    assertThat(h.changes).hasSize(changes);

    h.presence.setStatus("alice", StatusMode.AUTO);
    UserPresence back = h.get("alice");
    assertThat(back.state()).isEqualTo(PresenceState.IDLE);
    assertThat(back.version()).isEqualTo(invisible.version() + 1);
    assertThat(back.lastSeen()).isEqualTo(h.time.instant());
  }

  @Test
  void anInvisibleUserGoingAwayEmitsNothing() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.INVISIBLE);
    int changes = h.changes.size();

    phone.disconnect();
    h.advanceSeconds(30);

    assertThat(h.changes).hasSize(changes);
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
  }

  @Test
  void customTextIsShownAndChangingItBumpsTheVersionButNotLastSeen() {
    h.presence.connect("alice", "phone");
    h.advanceSeconds(3);

    h.presence.setStatus("alice", StatusMode.AUTO, "  lunch  ", null);
    UserPresence lunch = h.get("alice");
    h.advanceSeconds(3);
    h.presence.setStatus("alice", StatusMode.AUTO, "back at 2", null);
    UserPresence later = h.get("alice");

    assertThat(lunch.customText()).isEqualTo("lunch");
    assertThat(lunch.state()).isEqualTo(PresenceState.ONLINE);
    assertThat(lunch.version()).isEqualTo(2);
    assertThat(later.customText()).isEqualTo("back at 2");
    assertThat(later.version()).isEqualTo(3);
    assertThat(later.lastSeen()).isEqualTo(Harness.START);
  }

  @Test
  void blankCustomTextMeansNone() {
    h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.AUTO, "lunch", null);

    h.presence.setStatus("alice", StatusMode.AUTO, "   ", null);

    assertThat(h.get("alice").customText()).isNull();
    assertThat(h.get("alice").version()).isEqualTo(3);
  }

  @Test
  void anOfflineUserCanSetAStatusTextOthersSee() {
    UserPresence returned = h.presence.setStatus("alice", StatusMode.AUTO, "on holiday", null);

    assertThat(returned.state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(returned.customText()).isEqualTo("on holiday");
    assertThat(returned.version()).isEqualTo(1);
    assertThat(h.changes).hasSize(1);
  }

  @Test
  void settingTheSameStatusAgainChangesNothing() {
    h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.DND, "focus", null);
    UserPresence before = h.get("alice");

    UserPresence returned = h.presence.setStatus("alice", StatusMode.DND, "focus", null);

    assertThat(returned).isEqualTo(before);
    assertThat(h.changes).hasSize(2);
  }

  @Test
  void aCustomStatusExpiryReturnsToAutoAndClearsTheText() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.DND, "focus time", Duration.ofMinutes(30));
    assertThat(h.state("alice")).isEqualTo(PresenceState.DND);

    for (int i = 0; i < 119; i++) { // 29:45, with input every 15 s
      h.advanceSeconds(15);
      phone.activity();
    }
    h.advanceMillis(14_900);
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.DND);
    assertThat(h.get("alice").customText()).isEqualTo("focus time");
    h.advanceMillis(100);

    UserPresence after = h.get("alice");
    assertThat(after.state()).isEqualTo(PresenceState.ONLINE);
    assertThat(after.customText()).isNull();
    assertThat(after.version()).isEqualTo(3);
    assertThat(after.lastSeen()).isEqualTo(Harness.at(Duration.ofMinutes(30)));
    assertThat(h.changes).hasSize(3);
  }

  @Test
  void anExpiringTextOnlyStatusClearsItsText() {
    h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.AUTO, "brb", Duration.ofSeconds(20));

    h.advanceSeconds(20);

    assertThat(h.get("alice").customText()).isNull();
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.START);
  }

  @Test
  void anExpiringInvisibleStatusMakesTheUserVisibleAgain() {
    h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.INVISIBLE, null, Duration.ofSeconds(20));
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);

    h.advanceSeconds(20);

    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(20));
  }

  @Test
  void anExpiryOfAnOfflineUsersStatusStillFires() {
    h.presence.setStatus("alice", StatusMode.AUTO, "on holiday", Duration.ofSeconds(20));

    h.advanceSeconds(20);

    assertThat(h.get("alice").customText()).isNull();
    assertThat(h.get("alice").version()).isEqualTo(2);
  }

  @Test
  void anOlderExpiryNeverClearsANewerStatus() {
    h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.DND, "a", Duration.ofSeconds(20));
    h.advanceSeconds(5);
    h.presence.setStatus("alice", StatusMode.DND, "b", null);

    h.advanceSeconds(30);

    assertThat(h.get("alice").state()).isEqualTo(PresenceState.DND);
    assertThat(h.get("alice").customText()).isEqualTo("b");
  }

  @Test
  void aNewerExpiryReplacesAnOlderOne() {
    h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.DND, "a", Duration.ofSeconds(20));
    h.advanceSeconds(5);
    h.presence.setStatus("alice", StatusMode.DND, "b", Duration.ofSeconds(30));

    h.advanceMillis(29_900); // 34.9 s: past the first expiry, one tick before the second
    assertThat(h.get("alice").customText()).isEqualTo("b");
    h.advanceMillis(100);
    assertThat(h.get("alice").customText()).isNull();
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.ONLINE);
  }
}
