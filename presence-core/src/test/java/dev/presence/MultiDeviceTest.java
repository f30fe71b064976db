package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Several devices of one user combine into one presence. */
class MultiDeviceTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void phoneAndLaptopConnectedThenTheLaptopDisconnectsTheUserStaysOnlineWithNoEvent() {
    h.presence.connect("alice", "phone");
    DeviceConnection laptop = h.presence.connect("alice", "laptop");
    assertThat(h.changes).hasSize(1);

    laptop.disconnect();
    h.advanceSeconds(11);

    assertThat(h.changes).hasSize(1);
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("alice").version()).isEqualTo(1);
    assertThat(h.stats().devicesConnected()).isEqualTo(1);
    assertThat(h.stats().devicesInGrace()).isZero();
  }

  @Test
  void lastSeenIsWhenTheLastDeviceWasConnectedEvenWhenASilentDeviceExpiresAfterACleanDisconnect() {
    h.presence.connect("alice", "laptop"); // goes silent at 0 s: its TTL removes it at 45 s
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceWithHeartbeats(java.time.Duration.ofSeconds(30), phone);
    phone.disconnect(); // clean, at 30 s: gone at 40 s

    h.advanceSeconds(15);

    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(30));
  }

  @Test
  void aUserWithOneIdleAndOneActiveDeviceIsOnline() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.presence.connect("alice", "laptop");

    phone.setIdle(true);

    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).hasSize(1);
  }

  @Test
  void whenAllConnectedDevicesAreIdleTheUserIsIdle() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    DeviceConnection laptop = h.presence.connect("alice", "laptop");

    phone.setIdle(true);
    laptop.setVisible(false);

    assertThat(h.state("alice")).isEqualTo(PresenceState.IDLE);
    assertThat(h.changes).hasSize(2);
    assertThat(h.changes.get(1).previous().state()).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes.get(1).current().state()).isEqualTo(PresenceState.IDLE);
  }

  @Test
  void whenTheOnlyActiveDeviceIsGoneAfterGraceTheIdleOneLeavesTheUserIdle() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    DeviceConnection laptop = h.presence.connect("alice", "laptop");
    laptop.setIdle(true);
    h.advanceSeconds(3);
    phone.disconnect();

    h.advanceMillis(9_900);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(100);

    UserPresence alice = h.get("alice");
    assertThat(alice.state()).isEqualTo(PresenceState.IDLE);
    assertThat(alice.version()).isEqualTo(2);
    // the removal carries the disconnect time, as every removal after grace does
    assertThat(alice.lastSeen()).isEqualTo(Harness.atSeconds(3));
  }

  @Test
  void theUserGoesOfflineOnlyWhenTheLastDeviceIsGone() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    DeviceConnection laptop = h.presence.connect("alice", "laptop");
    h.advanceSeconds(1);
    phone.disconnect();
    h.advanceSeconds(2);
    laptop.disconnect();

    h.advanceSeconds(9); // 12 s: the phone is gone, the laptop is in grace
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.stats().devicesInGrace()).isEqualTo(1);
    h.advanceSeconds(1);

    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(3));
    assertThat(h.changes).hasSize(2);
  }

  @Test
  void theSameDeviceIdOfTwoUsersNamesTwoDevices() {
    DeviceConnection alicePhone = h.presence.connect("alice", "phone");
    h.presence.connect("bob", "phone");

    alicePhone.disconnect();
    h.advanceSeconds(10);

    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.state("bob")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.stats().devicesConnected()).isEqualTo(1);
  }

  @Test
  void aSecondDeviceAddsNoEventButIsRecorded() {
    h.presence.connect("alice", "phone", DeviceInfo.of(Platform.MOBILE));
    h.presence.connect("alice", "laptop", DeviceInfo.of(Platform.DESKTOP));

    assertThat(h.changes).hasSize(1);
    assertThat(h.engine().store.get("alice").devices())
        .extracting(d -> d.deviceId() + "/" + d.platform())
        .containsExactlyInAnyOrder("phone/MOBILE", "laptop/DESKTOP");
  }
}
