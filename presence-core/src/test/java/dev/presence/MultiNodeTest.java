package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.spi.DeviceRecord;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two engines sharing one store and one bus act as two nodes of one cluster. */
class MultiNodeTest {
  private final ManualTime time = new ManualTime(Harness.START);
  private final InMemoryPresenceStore store = new InMemoryPresenceStore();
  private final LocalPresenceBus bus = new LocalPresenceBus();
  private final Harness a = Harness.on(time, b -> b.store(store).bus(bus).nodeId("node-a"));
  private final Harness b = Harness.on(time, b -> b.store(store).bus(bus).nodeId("node-b"));

  @AfterEach
  void close() {
    a.close();
    b.close();
    bus.close();
  }

  @Test
  void aDeviceMovingFromNodeAToNodeBWithinGraceProducesNoEvent() {
    DeviceConnection onA = a.presence.connect("alice", "phone");
    time.advanceSeconds(1);
    onA.disconnect();
    time.advanceSeconds(3);
    DeviceConnection onB = b.presence.connect("alice", "phone");

    time.advanceSeconds(7); // A's grace ends at 11 s
    time.advanceSeconds(20);

    assertThat(a.changes).hasSize(1);
    assertThat(b.changes).isEmpty();
    assertThat(a.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(b.get("alice").version()).isEqualTo(1);
    assertThat(store.get("alice").devices())
        .extracting(DeviceRecord::deviceId, DeviceRecord::nodeId)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("phone", "node-b"));
    assertThat(a.stats().devicesInGrace()).isZero();
    assertThat(a.stats().devicesConnected()).isZero();
    assertThat(b.stats().devicesConnected()).isEqualTo(1);
    assertThat(onB.isOpen()).isTrue();
  }

  @Test
  void aDeviceBouncingFromAToBAndBackToAWithinGraceStaysOnlineWithNoEvent() {
    a.presence.connect("alice", "phone").disconnect(); // A's grace ends at 10 s
    time.advanceSeconds(2);
    b.presence.connect("alice", "phone").disconnect(); // B's grace ends at 13 s
    time.advanceSeconds(3);
    DeviceConnection back = a.presence.connect("alice", "phone"); // A takes over its own grace session

    time.advanceSeconds(20);

    assertThat(back.isOpen()).isTrue();
    assertThat(a.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(store.get("alice").devices())
        .extracting(DeviceRecord::deviceId, DeviceRecord::nodeId)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("phone", "node-a"));
    assertThat(a.changes).hasSize(1);
    assertThat(b.changes).isEmpty();
  }

  @Test
  void aHalfOpenConnectionOnNodeADoesNotTakeBackADeviceThatMovedToNodeB() {
    DeviceConnection onA = a.presence.connect("alice", "phone");
    a.advanceWithHeartbeats(Duration.ofSeconds(290), onA); // input only at 0 s
    DeviceConnection onB = b.presence.connect("alice", "phone"); // A never sees the socket close
    onB.activity();

    b.advanceWithHeartbeats(Duration.ofSeconds(120), onB); // A: idle at 300 s, TTL at 335 s
    onB.activity();

    assertThat(store.get("alice").devices())
        .extracting(DeviceRecord::nodeId)
        .containsExactly("node-b");
    assertThat(b.get("alice").state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void graceOnNodeADoesNotRemoveTheDeviceNowOnNodeBEvenWhileBIsInGraceToo() {
    DeviceConnection onA = a.presence.connect("alice", "phone");
    onA.disconnect();
    time.advanceSeconds(2);
    DeviceConnection onB = b.presence.connect("alice", "phone");
    time.advanceSeconds(2);
    onB.disconnect(); // B's grace ends at 14 s, A's at 10 s

    time.advanceSeconds(6); // 10 s
    assertThat(a.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    time.advanceMillis(3_900); // 13.9 s
    assertThat(a.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    time.advanceMillis(100); // 14 s

    assertThat(a.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(a.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(4));
    assertThat(b.changes).hasSize(1); // B made the offline change
    assertThat(a.changes).hasSize(1); // A made the online one
  }

  @Test
  void lastSeenIsTheLatestDepartureAcrossNodesWhateverOrderTheyLeaveIn() {
    a.presence.connect("alice", "laptop"); // silent from 0 s: A's TTL removes it at 45 s
    DeviceConnection phone = b.presence.connect("alice", "phone");
    b.advanceWithHeartbeats(Duration.ofSeconds(30), phone);
    phone.disconnect(); // gone from B at 40 s

    time.advanceSeconds(15);

    assertThat(a.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(b.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(30));
  }

  @Test
  void devicesOnTwoNodesCombineIntoOnePresence() {
    DeviceConnection phone = a.presence.connect("alice", "phone");
    DeviceConnection laptop = b.presence.connect("alice", "laptop");

    phone.setIdle(true);
    assertThat(a.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    laptop.setIdle(true);
    assertThat(a.get("alice").state()).isEqualTo(PresenceState.IDLE);

    laptop.disconnect();
    time.advanceSeconds(10);
    assertThat(b.get("alice").state()).isEqualTo(PresenceState.IDLE);
    phone.activity();
    assertThat(b.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(b.get("alice").version()).isEqualTo(3);
  }

  @Test
  void theDeviceLimitCountsDevicesOnEveryNodeAndARejectionChangesNothing() {
    try (Harness c = Harness.on(time, cfg -> cfg.store(store).bus(bus).nodeId("node-c").maxDevicesPerUser(2));
        Harness d = Harness.on(time, cfg -> cfg.store(store).bus(bus).nodeId("node-d").maxDevicesPerUser(2))) {
      c.presence.connect("bob", "phone");
      d.presence.connect("bob", "laptop");
      UserPresence before = c.get("bob");
      PresenceStats statsBefore = c.stats();

      assertThatThrownBy(() -> c.presence.connect("bob", "tablet"))
          .isInstanceOf(LimitExceededException.class)
          .hasMessageContaining("already has 2 devices")
          .hasMessageContaining("the limit (maxDevicesPerUser) is 2");

      assertThat(c.get("bob")).isEqualTo(before);
      // nothing changed but the count of rejections, and of store calls: the store found the limit
      assertThat(c.stats())
          .usingRecursiveComparison()
          .ignoringFields("limitRejections", "storeCalls")
          .isEqualTo(statsBefore);
      assertThat(c.stats().limitRejections()).isEqualTo(statsBefore.limitRejections() + 1);
      assertThat(c.stats().storeCalls()).isEqualTo(statsBefore.storeCalls() + 1);
      assertThat(store.get("bob").devices()).hasSize(2);
      assertThat(c.engine().users.get("bob").devices()).hasSize(1);
    }
  }

  @Test
  void anOlderStatusExpiryOnNodeANeverClearsANewerStatusSetOnNodeB() {
    a.presence.connect("alice", "phone");
    a.presence.setStatus("alice", StatusMode.DND, "short", Duration.ofSeconds(10));
    time.advanceSeconds(5);
    b.presence.setStatus("alice", StatusMode.DND, "until changed", null);

    time.advanceSeconds(10);

    assertThat(a.get("alice").state()).isEqualTo(PresenceState.DND);
    assertThat(a.get("alice").customText()).isEqualTo("until changed");
  }

  @Test
  void bothNodesSeeTheSameVersions() {
    a.presence.connect("alice", "phone");
    b.presence.connect("alice", "laptop").setIdle(true);
    a.presence.setStatus("alice", StatusMode.AUTO, "hi", null);
    b.presence.setStatus("alice", StatusMode.DND);

    assertThat(a.get("alice")).isEqualTo(b.get("alice"));
    assertThat(a.get("alice").version()).isEqualTo(3);
    assertThat(a.changes).extracting(PresenceChange::version).containsExactly(1L, 2L);
    assertThat(b.changes).extracting(PresenceChange::version).containsExactly(3L);
  }

  @Test
  void aClosedNodeLeavesItsDevicesForTheGraceThenTheOtherNodesSweepThemWithLastSeenTheCloseTime() {
    InMemoryPresenceStore leased = new InMemoryPresenceStore(time);
    LocalPresenceBus leasedBus = new LocalPresenceBus();
    try (Harness c = Harness.on(time, cfg -> cfg.store(leased).bus(leasedBus).nodeId("node-c"));
        Harness d = Harness.on(time, cfg -> cfg.store(leased).bus(leasedBus).nodeId("node-d"))) {
      c.presence.connect("alice", "phone");
      time.advanceSeconds(2);
      c.close();

      time.advanceSeconds(9);
      assertThat(d.get("alice").state()).as("in grace after the close").isEqualTo(PresenceState.ONLINE);
      time.advanceSeconds(5); // d's next renewal after close + grace sweeps

      assertThat(d.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(d.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(2));
      assertThat(leased.get("alice").devices()).isEmpty();
      assertThat(d.changes).extracting(change -> change.current().state()).containsExactly(PresenceState.OFFLINE);
    }
  }

  @Test
  void twoNodesCannotShareANodeId() {
    assertThatThrownBy(() -> Harness.on(time, cfg -> cfg.store(store).bus(bus).nodeId("node-a")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("node-a");
  }
}
