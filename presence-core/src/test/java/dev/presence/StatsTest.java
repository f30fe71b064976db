package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stats snapshot: gauges of this node's devices and users, and counters since start. */
class StatsTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aFreshEngineCountsNothing() {
    assertThat(h.stats()).isEqualTo(new PresenceStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void gaugesFollowDevicesAndUserStates() {
    DeviceConnection alicePhone = h.presence.connect("alice", "phone");
    DeviceConnection aliceLaptop = h.presence.connect("alice", "laptop");
    DeviceConnection bobPhone = h.presence.connect("bob", "phone");
    h.presence.connect("carol", "phone");
    assertGauges(4, 0, 3, 0, 0);

    bobPhone.setIdle(true);
    assertGauges(4, 0, 2, 1, 0);

    h.presence.setStatus("carol", StatusMode.DND);
    assertGauges(4, 0, 1, 1, 1);

    aliceLaptop.disconnect();
    assertGauges(3, 1, 1, 1, 1);

    h.advanceSeconds(10);
    assertGauges(3, 0, 1, 1, 1);

    alicePhone.disconnect();
    bobPhone.disconnect();
    assertGauges(1, 2, 1, 1, 1); // in grace they still count as they were

    h.advanceSeconds(10);
    assertGauges(1, 0, 0, 0, 1);
  }

  @Test
  void statusOfAUserWithNoDeviceHereCountsInNoGauge() {
    h.presence.setStatus("alice", StatusMode.DND, "away", Duration.ofMinutes(5));
    h.presence.setStatus("bob", StatusMode.AUTO, "hello", null);

    assertGauges(0, 0, 0, 0, 0);
  }

  @Test
  void countersCountConnectsDisconnectsAbsorbedReconnectsAndExpiries() {
    DeviceConnection phone = h.presence.connect("alice", "phone"); // connect 1
    phone.disconnect(); // disconnect 1
    h.advanceSeconds(2);
    DeviceConnection phone2 = h.presence.connect("alice", "phone"); // connect 2, absorbed 1
    h.presence.connect("alice", "phone"); // connect 3: takes over an open connection, not absorbed
    assertThat(phone2.disconnect()).isFalse();
    h.presence.disconnect("alice", "phone"); // disconnect 2
    h.advanceSeconds(2);
    h.presence.connect("alice", "laptop"); // connect 4, absorbed 2 (another device of the user)
    h.presence.connect("bob", "phone"); // connect 5; bob goes silent and expires
    h.advanceSeconds(60); // alice's phone grace ends; laptop and bob expire (TTL)

    PresenceStats stats = h.stats();
    assertThat(stats.connects()).isEqualTo(5);
    assertThat(stats.disconnects()).isEqualTo(2);
    assertThat(stats.reconnectsAbsorbed()).isEqualTo(2);
    assertThat(stats.expiries()).isEqualTo(2);
    assertThat(stats.devicesConnected()).isZero();
    assertThat(stats.devicesInGrace()).isZero();
    assertThat(stats.usersOnline()).isZero();
    assertThat(stats.listenerFailures()).isZero();
  }

  @Test
  void aReconnectAfterGraceIsNotAbsorbed() {
    h.presence.connect("alice", "phone").disconnect();
    h.advanceSeconds(10);
    h.presence.connect("alice", "phone");

    assertThat(h.stats().reconnectsAbsorbed()).isZero();
    assertThat(h.stats().connects()).isEqualTo(2);
  }

  @Test
  void aNewDeviceWhileAnotherIsStillConnectedIsNotAbsorbed() {
    h.presence.connect("alice", "phone");
    DeviceConnection laptop = h.presence.connect("alice", "laptop");
    laptop.disconnect();
    h.presence.connect("alice", "tablet");

    assertThat(h.stats().reconnectsAbsorbed()).isZero();
  }

  @Test
  void anInvisibleUserStillCountsByWhatTheirOwnDevicesShow() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.INVISIBLE);
    assertGauges(1, 0, 1, 0, 0);

    phone.setIdle(true);
    assertGauges(1, 0, 0, 1, 0);
  }

  private void assertGauges(long connected, long inGrace, long online, long idle, long dnd) {
    PresenceStats stats = h.stats();
    assertThat(stats.devicesConnected()).as("devicesConnected").isEqualTo(connected);
    assertThat(stats.devicesInGrace()).as("devicesInGrace").isEqualTo(inGrace);
    assertThat(stats.usersOnline()).as("usersOnline").isEqualTo(online);
    assertThat(stats.usersIdle()).as("usersIdle").isEqualTo(idle);
    assertThat(stats.usersDnd()).as("usersDnd").isEqualTo(dnd);
  }
}
