package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Idle: by inactivity, by the client's report, by a hidden tab; and back on activity. */
class IdleTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aDeviceWithNoInputForFiveMinutesBecomesIdleExactlyThen() {
    assertThat(PresenceBuilder.DEFAULT_IDLE_AFTER).isEqualTo(Duration.ofMinutes(5));
    DeviceConnection phone = h.presence.connect("alice", "phone");

    h.advanceWithHeartbeats(Duration.ofMillis(299_900), phone);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(100);

    UserPresence alice = h.get("alice");
    assertThat(alice.state()).isEqualTo(PresenceState.IDLE);
    assertThat(alice.version()).isEqualTo(2);
    assertThat(alice.lastSeen()).isEqualTo(Harness.atSeconds(300));
    assertThat(h.stats().usersIdle()).isEqualTo(1);
    assertThat(h.stats().usersOnline()).isZero();
  }

  @Test
  void activityMakesAnIdleDeviceOnlineAgainAtOnce() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceWithHeartbeats(Duration.ofMinutes(6), phone);
    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);

    assertThat(phone.activity()).isTrue();

    assertThat(h.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("alice").version()).isEqualTo(3);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(360));
  }

  @Test
  void activityPostponesInactivityIdle() {
    try (Harness custom = Harness.start(b -> b.idleAfter(Duration.ofSeconds(30)))) {
      DeviceConnection phone = custom.presence.connect("alice", "phone");
      custom.advanceSeconds(20);
      phone.activity();

      custom.advanceMillis(29_900); // 49.9 s
      assertThat(custom.state("alice")).isEqualTo(PresenceState.ONLINE);
      custom.advanceMillis(100); // 50 s: 30 s after the last input
      assertThat(custom.state("alice")).isEqualTo(PresenceState.IDLE);
    }
  }

  @Test
  void activityByIdWorksLikeActivityOnTheHandle() {
    try (Harness custom = Harness.start(b -> b.idleAfter(Duration.ofSeconds(30)))) {
      custom.presence.connect("alice", "phone");
      custom.advanceSeconds(30);
      assertThat(custom.state("alice")).isEqualTo(PresenceState.IDLE);

      assertThat(custom.presence.activity("alice", "phone")).isTrue();

      assertThat(custom.state("alice")).isEqualTo(PresenceState.ONLINE);
    }
  }

  @Test
  void aClientReportOfIdleMakesTheDeviceIdleAndSetIdleFalseBringsItBack() {
    DeviceConnection phone = h.presence.connect("alice", "phone");

    assertThat(phone.setIdle(true)).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);

    assertThat(phone.setIdle(false)).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).extracting(c -> c.current().state())
        .containsExactly(PresenceState.ONLINE, PresenceState.IDLE, PresenceState.ONLINE);
  }

  @Test
  void activityClearsAClientReportedIdle() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    phone.setIdle(true);

    phone.activity();

    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void setIdleByIdWorksLikeSetIdleOnTheHandle() {
    h.presence.connect("alice", "phone");

    assertThat(h.presence.setIdle("alice", "phone", true)).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);
    assertThat(h.presence.setIdle("alice", "phone", false)).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void aHiddenTabIsIdleAndAVisibleTabIsOnlineAgain() {
    DeviceConnection tab = h.presence.connect("alice", "tab", DeviceInfo.of(Platform.WEB));

    assertThat(tab.setVisible(false)).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);

    assertThat(tab.setVisible(true)).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);

    assertThat(h.presence.setVisible("alice", "tab", false)).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);
    assertThat(h.get("alice").version()).isEqualTo(4);
  }

  @Test
  void aHiddenTabStaysIdleUntilItIsVisibleAgain() {
    DeviceConnection tab = h.presence.connect("alice", "tab");
    tab.setVisible(false);

    tab.activity();
    tab.setIdle(false);

    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);
    tab.setVisible(true);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void aUserWithOneIdleAndOneActiveDeviceIsOnline() {
    try (Harness custom = Harness.start(b -> b.idleAfter(Duration.ofSeconds(30)))) {
      DeviceConnection phone = custom.presence.connect("alice", "phone");
      DeviceConnection laptop = custom.presence.connect("alice", "laptop");
      custom.advanceSeconds(20);
      laptop.activity();
      phone.heartbeat(); // alive, but no input
      custom.advanceSeconds(10); // phone idle by inactivity, laptop active

      assertThat(custom.state("alice")).isEqualTo(PresenceState.ONLINE);
      assertThat(custom.changes).hasSize(1);

      custom.advanceSeconds(20); // laptop idle too
      assertThat(custom.state("alice")).isEqualTo(PresenceState.IDLE);
      assertThat(phone.isOpen()).isTrue();
    }
  }

  @Test
  void allConnectedDevicesIdleForDifferentReasonsMakeTheUserIdle() {
    try (Harness custom = Harness.start(b -> b.idleAfter(Duration.ofSeconds(30)))) {
      DeviceConnection phone = custom.presence.connect("alice", "phone");
      DeviceConnection laptop = custom.presence.connect("alice", "laptop");
      DeviceConnection tab = custom.presence.connect("alice", "tab");
      custom.advanceSeconds(20);
      laptop.setIdle(true);
      tab.setVisible(false);
      assertThat(custom.state("alice")).isEqualTo(PresenceState.ONLINE);

      custom.advanceSeconds(10); // the phone had no input for 30 s

      assertThat(custom.state("alice")).isEqualTo(PresenceState.IDLE);
      assertThat(phone.isOpen()).isTrue();
      assertThat(custom.changes).hasSize(2);
    }
  }

  @Test
  void repeatingAnIdleReportChangesNothing() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    phone.setIdle(true);
    long version = h.get("alice").version();

    phone.setIdle(true);
    phone.setVisible(false);
    phone.heartbeat();

    assertThat(h.get("alice").version()).isEqualTo(version);
    assertThat(h.changes).hasSize(2);
  }

  @Test
  void anIdleDeviceStaysIdleWhenItReconnectsWithinGrace() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    phone.setIdle(true);
    phone.disconnect();
    h.advanceSeconds(5);

    DeviceConnection again = h.presence.connect("alice", "phone");

    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);
    assertThat(h.changes).hasSize(2);
    again.setIdle(false);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void idleSignalsOnAClosedConnectionAreNoOps() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    phone.disconnect();

    assertThat(phone.setIdle(true)).isFalse();
    assertThat(phone.setVisible(false)).isFalse();
    assertThat(phone.activity()).isFalse();
    assertThat(h.presence.setIdle("alice", "phone", true)).isFalse();
    assertThat(h.presence.setVisible("alice", "phone", false)).isFalse();
    assertThat(h.presence.activity("alice", "phone")).isFalse();
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).hasSize(1);
  }
}
