package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The connection handle: it acts only on the connection it stands for. */
class DeviceConnectionTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aHandleDescribesItsConnection() {
    DeviceInfo info = new DeviceInfo(Platform.MOBILE, Map.of("app", "2.3.1"));
    DeviceConnection phone = h.presence.connect("alice", "phone", info);

    assertThat(phone.userId()).isEqualTo("alice");
    assertThat(phone.deviceId()).isEqualTo("phone");
    assertThat(phone.info()).isEqualTo(info);
    assertThat(phone.isOpen()).isTrue();
  }

  @Test
  void infoWithOnlyAPlatformIsSharedAndEqualToAFreshOne() {
    for (Platform platform : Platform.values()) {
      assertThat(DeviceInfo.of(platform)).isSameAs(DeviceInfo.of(platform));
      assertThat(DeviceInfo.of(platform)).isEqualTo(new DeviceInfo(platform, Map.of()));
      assertThat(DeviceInfo.of(platform).platform()).isEqualTo(platform);
    }
    assertThat(DeviceInfo.UNKNOWN).isSameAs(DeviceInfo.of(Platform.OTHER));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> DeviceInfo.of(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("platform");
  }

  @Test
  void anOldHandleAfterAReconnectIsANoOp() {
    DeviceConnection old = h.presence.connect("alice", "phone");
    DeviceConnection current = h.presence.connect("alice", "phone"); // new socket, old never closed

    assertThat(old.isOpen()).isFalse();
    assertThat(old.heartbeat()).isFalse();
    assertThat(old.activity()).isFalse();
    assertThat(old.setIdle(true)).isFalse();
    assertThat(old.setVisible(false)).isFalse();
    assertThat(old.disconnect()).isFalse();

    assertThat(current.isOpen()).isTrue();
    h.advanceSeconds(30);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).hasSize(1);
    assertThat(h.stats().devicesConnected()).isEqualTo(1);
    assertThat(h.stats().devicesInGrace()).isZero();
    assertThat(h.stats().connects()).isEqualTo(2);
    assertThat(h.stats().disconnects()).isZero();
  }

  @Test
  void aLateDisconnectOfTheOldHandleDoesNotDisconnectTheNewConnection() {
    DeviceConnection old = h.presence.connect("alice", "phone");
    old.disconnect();
    h.advanceSeconds(3);
    DeviceConnection current = h.presence.connect("alice", "phone");

    assertThat(old.disconnect()).isFalse(); // the old socket's close arrives late

    assertThat(current.isOpen()).isTrue();
    h.advanceSeconds(30);
    assertThat(current.isOpen()).isTrue();
    assertThat(current.heartbeat()).isTrue();
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).hasSize(1);
    assertThat(h.stats().disconnects()).isEqualTo(1);
  }

  @Test
  void heartbeatAndDisconnectOfUnknownDevicesAreHarmlessNoOps() {
    h.presence.connect("alice", "phone");
    PresenceStats before = h.stats();

    assertThat(h.presence.heartbeat("nobody", "phone")).isFalse();
    assertThat(h.presence.heartbeat("alice", "tablet")).isFalse();
    assertThat(h.presence.activity("nobody", "phone")).isFalse();
    assertThat(h.presence.setIdle("nobody", "phone", true)).isFalse();
    assertThat(h.presence.setVisible("nobody", "phone", false)).isFalse();
    assertThat(h.presence.disconnect("nobody", "phone")).isFalse();
    assertThat(h.presence.disconnect("alice", "tablet")).isFalse();

    assertThat(h.stats()).isEqualTo(before);
    assertThat(h.get("nobody")).isEqualTo(UserPresence.unknown("nobody"));
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.engine().users.ids()).containsExactly("alice");
  }

  @Test
  void aSecondDisconnectIsAHarmlessNoOp() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(2);
    assertThat(phone.disconnect()).isTrue();
    h.advanceSeconds(5);

    assertThat(phone.disconnect()).isFalse();
    assertThat(h.presence.disconnect("alice", "phone")).isFalse();

    assertThat(h.stats().disconnects()).isEqualTo(1);
    h.advanceSeconds(5); // grace counts from the first disconnect, at 2 s
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(2));
  }

  @Test
  void aDisconnectAfterTheDeviceIsGoneIsAHarmlessNoOp() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    phone.disconnect();
    h.advanceSeconds(10);

    assertThat(phone.disconnect()).isFalse();
    assertThat(h.presence.disconnect("alice", "phone")).isFalse();
    assertThat(h.stats().disconnects()).isEqualTo(1);
    assertThat(h.changes).hasSize(2);
  }

  @Test
  void disconnectByIdDisconnectsTheCurrentConnection() {
    h.presence.connect("alice", "phone");
    DeviceConnection current = h.presence.connect("alice", "phone");

    assertThat(h.presence.disconnect("alice", "phone")).isTrue();

    assertThat(current.isOpen()).isFalse();
    h.advanceSeconds(10);
    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
  }
}
