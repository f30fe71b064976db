package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** Store outages, rejecting executors and closed engines leave nothing stuck and lose nothing. */
class FailureRecoveryTest {
  private final ManualTime time = new ManualTime(Harness.START);

  /** A store whose writes fail while {@code down}. */
  static final class FlakyStore implements PresenceStore {
    final InMemoryPresenceStore delegate = new InMemoryPresenceStore();
    volatile boolean down;
    int failedWrites;

    @Override
    public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
      if (down) {
        failedWrites++;
        throw new PresenceStoreException("store unreachable", null);
      }
      return delegate.apply(userId, mutation, policy);
    }

    @Override
    public UserRecord get(String userId) {
      return delegate.get(userId);
    }

    @Override
    public List<UserRecord> getAll(List<String> userIds) {
      return delegate.getAll(userIds);
    }
  }

  @Test
  void anIdleChangeThatTheStoreRefusedIsWrittenOnceTheStoreIsBack() {
    FlakyStore store = new FlakyStore();
    try (Presence presence = Fixtures.manual(time).store(store).idleAfter(Duration.ofSeconds(60)).build()) {
      DeviceConnection phone = presence.connect("alice", "phone");
      store.down = true;
      for (int i = 0; i < 6; i++) { // keep it alive past idleAfter while the store is down
        time.advanceSeconds(10);
        phone.heartbeat();
      }
      assertThat(store.failedWrites).isPositive();
      assertThat(presence.stats().storeFailures()).as("counted in the stats").isEqualTo(store.failedWrites);
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);

      store.down = false;
      time.advanceSeconds(2);

      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.IDLE);
      assertThat(store.get("alice").devices()).extracting(DeviceRecord::activity).containsExactly(DeviceActivity.IDLE);
    }
  }

  @Test
  void aReconnectWithinGraceWhileTheStoreIsDownWorksLocallyAndItsClaimIsRetried() {
    FlakyStore store = new FlakyStore();
    try (Presence presence = Fixtures.manual(time).store(store).build()) {
      presence.connect("alice", "phone").disconnect();
      time.advanceSeconds(3);
      store.down = true;

      DeviceConnection again = presence.connect("alice", "phone"); // its claim is queued, not thrown

      assertThat(again.isOpen()).isTrue();
      assertThat(presence.stats().devicesInGrace()).isZero();
      assertThat(presence.stats().devicesConnected()).isEqualTo(1);
      assertThat(presence.stats().storeFailures()).isEqualTo(1);

      store.down = false;
      time.advanceSeconds(7); // past the old connection's grace: the retried claim landed at 4 s
      assertThat(again.heartbeat()).isTrue();

      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(store.get("alice").devices()).extracting(DeviceRecord::deviceId).containsExactly("phone");
      assertThat(presence.stats().devicesConnected()).isEqualTo(1);
      assertThat(presence.stats().devicesInGrace()).isZero();
    }
  }

  @Test
  void aGraceEndThatTheStoreRefusedIsRetriedUntilTheDeviceIsGone() {
    FlakyStore store = new FlakyStore();
    try (Presence presence = Fixtures.manual(time).store(store).build()) {
      presence.connect("alice", "phone").disconnect();
      store.down = true;
      time.advanceSeconds(15);
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);

      store.down = false;
      time.advanceSeconds(1);

      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(presence.get("alice").lastSeen()).as("still the disconnect time").isEqualTo(Harness.START);
    }
  }

  @Test
  void aDeliveryTheExecutorRejectedIsDeliveredLater() {
    List<Runnable> accepted = new ArrayList<>();
    boolean[] reject = {true};
    Executor executor = task -> {
      if (reject[0]) {
        throw new RejectedExecutionException("full");
      }
      task.run();
      accepted.add(task);
    };
    try (Presence presence = Presence.builder().ticker(time).clock(time).scheduler(time)
        .deliveryExecutor(executor).build()) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));
      presence.connect("alice", "phone");
      time.advanceSeconds(1);
      assertThat(sink.isUntouched()).isTrue();
      assertThat(presence.stats().sinkFailures()).isEqualTo(1);

      reject[0] = false;
      time.advanceSeconds(1);

      assertThat(sink.changes()).extracting(UserPresence::userId, UserPresence::state)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", PresenceState.ONLINE));
    }
  }

  @Test
  void aRejectedOfflineChangeIsDeliveredLaterThoughItEqualsTheUnknownBaseline() {
    boolean[] reject = {false};
    Executor executor = task -> {
      if (reject[0]) {
        throw new RejectedExecutionException("full");
      }
      task.run();
    };
    try (Presence presence = Presence.builder().ticker(time).clock(time).scheduler(time)
        .storeExecutor(Runnable::run).deliveryExecutor(executor).build()) {
      presence.connect("alice", "phone");
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));
      reject[0] = true;
      presence.setStatus("alice", StatusMode.INVISIBLE, null, null); // others see OFFLINE, no text
      time.advanceSeconds(1);
      assertThat(presence.stats().sinkFailures()).isEqualTo(1);

      reject[0] = false;
      time.advanceSeconds(2);

      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(sink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.OFFLINE);
    }
  }

  @Test
  void aStatusExpiryIsKeptByAnotherNodeWhenTheNodeThatSetItIsGone() {
    InMemoryPresenceStore store = new InMemoryPresenceStore();
    LocalPresenceBus bus = new LocalPresenceBus();
    Presence a = Fixtures.manual(time).store(store).bus(bus).nodeId("node-a").build();
    try (Presence b = Fixtures.manual(time).store(store).bus(bus).nodeId("node-b").build()) {
      a.setStatus("alice", StatusMode.DND, "focus", Duration.ofMinutes(1));
      a.close();
      DeviceConnection phone = b.connect("alice", "phone");
      assertThat(b.get("alice").state()).isEqualTo(PresenceState.DND);

      time.advanceSeconds(30);
      phone.heartbeat();
      time.advanceSeconds(30);

      assertThat(b.get("alice")).extracting(UserPresence::state, UserPresence::customText)
          .containsExactly(PresenceState.ONLINE, null);
    }
  }

  @Test
  void aReconnectKeepsTheDevicesStatusChangeBudget() {
    try (Presence presence = Fixtures.manual(time).statusChangeLimit(2, Duration.ofSeconds(10)).build()) {
      DeviceConnection phone = presence.connect("alice", "phone");
      phone.setStatus(StatusMode.DND, null, null);
      phone.setStatus(StatusMode.AUTO, null, null);
      phone.disconnect();

      DeviceConnection again = presence.connect("alice", "phone");

      assertThatThrownBy(() -> again.setStatus(StatusMode.DND, null, null))
          .isInstanceOf(LimitExceededException.class);
    }
  }

  @Test
  void handlesOfAClosedEngineAreClosedNoOps() {
    Presence presence = Fixtures.manual(time).build();
    DeviceConnection phone = presence.connect("alice", "phone");
    presence.close();

    assertThat(phone.isOpen()).isFalse();
    assertThat(phone.heartbeat()).isFalse();
    assertThat(phone.activity()).isFalse();
    assertThat(phone.setIdle(true)).isFalse();
    assertThat(phone.typing("general")).isFalse();
    assertThat(phone.disconnect()).isFalse();
    assertThatThrownBy(() -> phone.setStatus(StatusMode.DND, null, null)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> presence.get("alice")).isInstanceOf(IllegalStateException.class);
  }
}
