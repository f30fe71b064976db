package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.spi.DeviceRecord;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Past the device limit, the replacing policy makes room instead of locking the user out. */
class DeviceOverflowTest {
  private final Harness h =
      Harness.start(b -> b.maxDevicesPerUser(3).deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE));

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void theLeastRecentlyActiveDeviceIsReplacedAndNobodySeesAFlicker() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(1);
    DeviceConnection laptop = h.presence.connect("alice", "laptop");
    h.advanceSeconds(1);
    DeviceConnection tablet = h.presence.connect("alice", "tablet");
    h.advanceSeconds(1);
    phone.activity(); // the laptop is now the least recently active
    h.advanceSeconds(1);

    DeviceConnection watch = h.presence.connect("alice", "watch");

    assertThat(laptop.isOpen()).isFalse();
    assertThat(laptop.closeReason()).isEqualTo(CloseReason.REPLACED);
    assertThat(List.of(phone, tablet, watch)).allMatch(DeviceConnection::isOpen);
    assertThat(h.engine().store.get("alice").devices())
        .extracting(DeviceRecord::deviceId)
        .containsExactlyInAnyOrder("phone", "tablet", "watch");
    assertThat(h.changes).hasSize(1); // only the first connect
    assertThat(h.stats().devicesConnected()).isEqualTo(3);
  }

  @Test
  void aDeviceInGraceIsReplacedBeforeAConnectedOne() {
    h.presence.connect("alice", "phone");
    h.presence.connect("alice", "laptop").disconnect();
    h.advanceSeconds(1);
    DeviceConnection tablet = h.presence.connect("alice", "tablet");

    h.presence.connect("alice", "watch");

    assertThat(h.engine().store.get("alice").devices())
        .extracting(DeviceRecord::deviceId)
        .containsExactlyInAnyOrder("phone", "tablet", "watch");
    assertThat(tablet.isOpen()).isTrue();
    assertThat(h.stats().devicesInGrace()).isZero();
    h.advanceSeconds(30); // the replaced device's grace timer is gone with it
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void thirtyTwoHostileConnectionsDoNotLockTheUserOut() {
    try (Harness demo = Harness.start(b -> b.deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE))) {
      for (int i = 0; i < 32; i++) {
        demo.presence.connect("alice", "mallory-" + i);
      }
      demo.advanceSeconds(1);

      DeviceConnection real = demo.presence.connect("alice", "real-tab");

      assertThat(real.isOpen()).isTrue();
      assertThat(demo.stats().devicesConnected()).isEqualTo(32);
    }
  }

  @Test
  void whenTheOtherNodesHoldEveryDeviceTheNewOneIsRefusedAndNothingChanges() {
    InMemoryPresenceStore store = new InMemoryPresenceStore();
    LocalPresenceBus bus = new LocalPresenceBus();
    try (Harness a = Harness.on(h.time, b -> b.store(store).bus(bus).nodeId("a").maxDevicesPerUser(2)
            .deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE));
        Harness b = Harness.on(h.time, c -> c.store(store).bus(bus).nodeId("b").maxDevicesPerUser(2)
            .deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE))) {
      b.presence.connect("bob", "phone");
      b.presence.connect("bob", "laptop");

      assertThatThrownBy(() -> a.presence.connect("bob", "tablet"))
          .isInstanceOf(LimitExceededException.class)
          .hasMessageContaining("the limit (maxDevicesPerUser) is 2");
      assertThat(store.get("bob").devices()).hasSize(2);
      assertThat(a.stats().devicesConnected()).isZero();

      // with a device here, that one makes room, though the store is full with the other node's
      DeviceConnection mine = a.presence.connect("carol", "phone");
      b.presence.connect("carol", "laptop");
      a.presence.connect("carol", "tablet");
      assertThat(mine.closeReason()).isEqualTo(CloseReason.REPLACED);
      assertThat(store.get("carol").devices())
          .extracting(DeviceRecord::deviceId)
          .containsExactlyInAnyOrder("laptop", "tablet");
    }
  }

  @Test
  void theDefaultStillRefusesTheDevice() {
    try (Harness strict = Harness.start(b -> b.maxDevicesPerUser(1))) {
      strict.presence.connect("alice", "phone");
      assertThatThrownBy(() -> strict.presence.connect("alice", "laptop"))
          .isInstanceOf(LimitExceededException.class)
          .hasMessage("user 'alice' already has 1 devices, the limit (maxDevicesPerUser) is 1");
    }
  }
}
