package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Grace: a disconnected device still counts for a while, so a quick reconnect is invisible. */
class GraceTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aReconnectOfTheSameDeviceWithinGraceEmitsNothing() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(2);
    phone.disconnect();
    h.advanceSeconds(5);
    DeviceConnection again = h.presence.connect("alice", "phone");
    h.advanceWithHeartbeats(Duration.ofSeconds(30), again);

    assertThat(h.changes).hasSize(1);
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("alice").version()).isEqualTo(1);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.START);
    assertThat(h.stats().reconnectsAbsorbed()).isEqualTo(1);
    assertThat(h.stats().devicesConnected()).isEqualTo(1);
    assertThat(h.stats().devicesInGrace()).isZero();
  }

  @Test
  void aReconnectOfAnotherDeviceOfTheSameUserWithinGraceEmitsNothing() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(2);
    phone.disconnect();
    h.advanceSeconds(5);
    DeviceConnection laptop = h.presence.connect("alice", "laptop");
    h.advanceWithHeartbeats(Duration.ofSeconds(30), laptop);

    assertThat(h.changes).hasSize(1);
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("alice").version()).isEqualTo(1);
    assertThat(h.stats().reconnectsAbsorbed()).isEqualTo(1);
    assertThat(h.stats().devicesConnected()).isEqualTo(1);
    assertThat(h.stats().devicesInGrace()).isZero();
    assertThat(h.engine().store.get("alice").devices())
        .extracting(d -> d.deviceId())
        .containsExactly("laptop");
  }

  @Test
  void aDisconnectedDeviceStillCountsDuringGrace() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    phone.disconnect();

    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.stats().devicesConnected()).isZero();
    assertThat(h.stats().devicesInGrace()).isEqualTo(1);
    assertThat(h.stats().usersOnline()).isEqualTo(1);
    assertThat(phone.isOpen()).isFalse();
  }

  @Test
  void theLastDeviceGoesOfflineExactlyWhenGraceEndsAndNotOneTickBefore() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(5);
    phone.disconnect();

    h.advanceMillis(9_900);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).hasSize(1);

    h.advanceMillis(100);
    UserPresence alice = h.get("alice");
    assertThat(alice.state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(alice.lastSeen()).isEqualTo(Harness.atSeconds(5));
    assertThat(alice.version()).isEqualTo(2);
    assertThat(h.changes).hasSize(2);
    PresenceChange offline = h.changes.get(1);
    assertThat(offline.previous().state()).isEqualTo(PresenceState.ONLINE);
    assertThat(offline.previous().version()).isEqualTo(1);
    assertThat(offline.current()).isEqualTo(alice);
    assertThat(h.stats().devicesInGrace()).isZero();
    assertThat(h.stats().usersOnline()).isZero();
  }

  @Test
  void lastSeenIsTheWallClockTimeOfTheDisconnectNotTheEndOfGrace() {
    h.advanceMillis(1_234);
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceMillis(2_000);
    phone.disconnect();
    h.advanceSeconds(30);

    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.START.plusMillis(3_234));
  }

  @Test
  void aReconnectWithinGraceRestartsGraceFromTheNextDisconnect() {
    DeviceConnection first = h.presence.connect("alice", "phone");
    h.advanceSeconds(1);
    first.disconnect();
    h.advanceSeconds(4);
    DeviceConnection second = h.presence.connect("alice", "phone");
    h.advanceSeconds(3);
    second.disconnect();

    h.advanceMillis(9_900); // 17.9 s: past the first grace, 0.1 s before the second ends
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(100);
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(8));
    assertThat(h.changes).hasSize(2);
  }

  @Test
  void aConfiguredGraceIsHonouredToTheTick() {
    try (Harness custom = Harness.start(b -> b.grace(Duration.ofSeconds(3)))) {
      custom.presence.connect("bob", "phone").disconnect();
      custom.advanceMillis(2_900);
      assertThat(custom.state("bob")).isEqualTo(PresenceState.ONLINE);
      custom.advanceMillis(100);
      assertThat(custom.state("bob")).isEqualTo(PresenceState.OFFLINE);
    }
  }

  @Test
  void withZeroGraceTheDeviceIsGoneWithinOneTick() {
    try (Harness custom = Harness.start(b -> b.grace(Duration.ZERO))) {
      DeviceConnection phone = custom.presence.connect("bob", "phone");
      custom.advanceSeconds(1);
      phone.disconnect();
      custom.advance(PresenceBuilder.DEFAULT_TIMER_RESOLUTION);
      assertThat(custom.state("bob")).isEqualTo(PresenceState.OFFLINE);
      assertThat(custom.get("bob").lastSeen()).isEqualTo(Harness.atSeconds(1));
    }
  }

  @Test
  void aReconnectAfterGraceIsANewSessionAndEmitsOnline() {
    h.presence.connect("alice", "phone").disconnect();
    h.advanceSeconds(10);
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);

    h.presence.connect("alice", "phone");

    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("alice").version()).isEqualTo(3);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(10));
    assertThat(h.stats().reconnectsAbsorbed()).isZero();
  }
}
