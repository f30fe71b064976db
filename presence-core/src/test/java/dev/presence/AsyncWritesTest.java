package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.spi.UserRecord;
import dev.presence.testkit.FaultyPresenceStore;
import dev.presence.testkit.ManualTime;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Store writes are queued per user and asynchronous: the engine works locally through a store
 * outage, callers wait at most {@code storeTimeout}, and queued writes land in order once the store
 * is back.
 */
@Timeout(60)
class AsyncWritesTest {
  private final ManualTime time = new ManualTime(Harness.START);
  private Duration advancedWhilePolling = Duration.ZERO;
  /** Real time of the last {@link #advanceABit} step. */
  private long lastAdvanceNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(10);

  @Test
  void aConnectWhileTheStoreIsDownReturnsAWorkingConnectionAndItsClaimLandsOnceTheStoreIsBack() {
    FaultyPresenceStore store = new FaultyPresenceStore(new InMemoryPresenceStore(time));
    try (Presence presence = Fixtures.manual(time).store(store).build()) {
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchUsers(List.of("alice"));
      store.down(true);

      long started = System.nanoTime();
      DeviceConnection phone = presence.connect("alice", "phone");
      long tookNanos = System.nanoTime() - started;

      assertThat(Duration.ofNanos(tookNanos)).isLessThan(PresenceBuilder.DEFAULT_STORE_TIMEOUT);
      assertThat(phone.isOpen()).isTrue();
      assertThat(presence.stats().storeFailures()).isPositive();
      assertThat(presence.stats().devicesConnected()).isEqualTo(1);
      time.advanceSeconds(30);
      assertThat(phone.heartbeat()).as("heartbeats work locally").isTrue();
      time.advanceSeconds(10);
      assertThat(phone.heartbeat()).isTrue();
      assertThat(bob.changesOf("alice")).as("nothing landed yet").isEmpty();

      store.down(false);
      time.advanceSeconds(11); // the back-off is at most 10 s; then one flush window

      assertThat(bob.changesOf("alice")).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(phone.isOpen()).isTrue();
    }
  }

  @Test
  void writesQueuedDuringAnOutageLandInOrderOnceTheStoreIsBack() {
    FaultyPresenceStore store = new FaultyPresenceStore(new InMemoryPresenceStore(time));
    List<PresenceChange> events = new CopyOnWriteArrayList<>();
    try (Presence presence = Fixtures.manual(time).store(store).listener(events::add).build()) {
      store.down(true);
      DeviceConnection phone = presence.connect("alice", "phone");
      phone.setIdle(true);
      phone.setIdle(false);
      long started = System.nanoTime();
      UserPresence predicted = presence.setStatus("alice", StatusMode.DND, "focus", null);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("queued behind a failed write: the store is out, no wait").isLessThan(Duration.ofSeconds(1));
      assertThat(predicted).extracting(UserPresence::state, UserPresence::customText)
          .as("predicted from the queued writes").containsExactly(PresenceState.DND, "focus");
      time.advanceSeconds(1);
      phone.disconnect();
      time.advance(PresenceBuilder.DEFAULT_GRACE.plusSeconds(1)); // grace ends: the removal is queued too
      assertThat(events).as("nothing landed during the outage").isEmpty();
      assertThat(presence.stats().devicesInGrace()).isZero();

      store.down(false);
      time.advanceSeconds(11);

      assertThat(events).extracting(change -> change.current().state())
          .containsExactly(
              PresenceState.ONLINE, PresenceState.IDLE, PresenceState.ONLINE, PresenceState.DND, PresenceState.OFFLINE);
      UserRecord record = store.get("alice");
      assertThat(record.devices()).isEmpty();
      assertThat(record.mode()).isEqualTo(StatusMode.DND);
      assertThat(record.customText()).isEqualTo("focus");
      assertThat(presence.get("alice").lastSeen()).as("the disconnect time").isEqualTo(Harness.atSeconds(1));
    }
  }

  @Test
  void aClaimRetriedAfterTheOutageThatTheStoreRefusesClosesTheConnectionAsRefused() {
    InMemoryPresenceStore shared = new InMemoryPresenceStore(time);
    FaultyPresenceStore storeOfA = new FaultyPresenceStore(shared);
    LocalPresenceBus bus = new LocalPresenceBus();
    List<CloseReason> closed = new CopyOnWriteArrayList<>();
    try (Presence a = Fixtures.manual(time).store(storeOfA).bus(bus).nodeId("node-a").maxDevicesPerUser(1).build();
        Presence b = Fixtures.manual(time).store(shared).bus(bus).nodeId("node-b").maxDevicesPerUser(1).build()) {
      storeOfA.down(true);
      DeviceConnection phone = a.connect("alice", "phone", DeviceInfo.UNKNOWN, (c, reason) -> closed.add(reason));
      assertThat(phone.isOpen()).isTrue();
      List<CloseReason> sinkClosed = new CopyOnWriteArrayList<>();
      a.subscribe(phone, new PresenceSink() {
        @Override
        public void onPresence(List<UserPresence> changes) {}

        @Override
        public void onTyping(List<TypingEvent> events) {}

        @Override
        public void onClosed(CloseReason reason) {
          sinkClosed.add(reason);
        }
      });
      DeviceConnection laptop = b.connect("alice", "laptop"); // fills her one device meanwhile

      storeOfA.down(false);
      time.advanceSeconds(2);

      assertThat(phone.isOpen()).isFalse();
      assertThat(closed).containsExactly(CloseReason.REFUSED);
      assertThat(sinkClosed).as("its subscriber ends with it").containsExactly(CloseReason.REFUSED);
      assertThat(phone.heartbeat()).isFalse();
      assertThat(a.stats().devicesConnected()).isZero();
      assertThat(laptop.isOpen()).isTrue();
      assertThat(shared.get("alice").devices()).extracting(DeviceRecord::deviceId).containsExactly("laptop");
    }
  }

  @Test
  void aLateClaimPastTheLimitReplacesADeviceOfThisNodeUnderTheReplacingPolicy() {
    InMemoryPresenceStore shared = new InMemoryPresenceStore(time);
    FaultyPresenceStore storeOfA = new FaultyPresenceStore(shared);
    LocalPresenceBus bus = new LocalPresenceBus();
    try (Presence a = Fixtures.manual(time).store(storeOfA).bus(bus).nodeId("node-a").maxDevicesPerUser(2)
            .deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE).build();
        Presence b = Fixtures.manual(time).store(shared).bus(bus).nodeId("node-b").maxDevicesPerUser(2).build()) {
      DeviceConnection phone = a.connect("alice", "phone");
      storeOfA.down(true);
      DeviceConnection tablet = a.connect("alice", "tablet");
      b.connect("alice", "laptop"); // her two devices in the store: phone (a) and laptop (b)

      storeOfA.down(false);
      time.advanceSeconds(2);

      assertThat(phone.closeReason()).isEqualTo(CloseReason.REPLACED);
      assertThat(tablet.isOpen()).isTrue();
      assertThat(shared.get("alice").devices()).extracting(DeviceRecord::deviceId)
          .containsExactlyInAnyOrder("laptop", "tablet");
      assertThat(a.stats().devicesConnected()).isEqualTo(1);
    }
  }

  @Test
  void aClaimTheStoreRefusesInTimeIsThrownAndLeavesNothing() {
    InMemoryPresenceStore shared = new InMemoryPresenceStore(time);
    LocalPresenceBus bus = new LocalPresenceBus();
    try (Presence a = Fixtures.manual(time).store(shared).bus(bus).nodeId("node-a").maxDevicesPerUser(1).build();
        Presence b = Fixtures.manual(time).store(shared).bus(bus).nodeId("node-b").maxDevicesPerUser(1).build()) {
      b.connect("alice", "laptop");

      org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.connect("alice", "phone"))
          .isInstanceOf(LimitExceededException.class);
      assertThat(a.stats().devicesConnected()).isZero();
      assertThat(a.stats().connects()).isZero();
      assertThat(a.heartbeat("alice", "phone")).isFalse();
    }
  }

  @Test
  void setStatusOnAHungStoreReturnsThePredictedPresenceWithinTheTimeoutAndAppliesLater() throws Exception {
    FaultyPresenceStore store = new FaultyPresenceStore(new InMemoryPresenceStore(time));
    ExecutorService storeThreads = Executors.newFixedThreadPool(2);
    Duration timeout = Duration.ofMillis(200);
    try (Presence presence = Presence.builder().ticker(time).clock(time).scheduler(time).deliveryExecutor(Runnable::run)
        .store(store).storeExecutor(storeThreads).storeTimeout(timeout).build()) {
      presence.connect("alice", "phone");
      store.block();

      long started = System.nanoTime();
      UserPresence predicted = presence.setStatus("alice", StatusMode.DND, "focus", null);
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(took).isGreaterThanOrEqualTo(timeout).isLessThan(Duration.ofSeconds(2));
      assertThat(predicted).extracting(UserPresence::state, UserPresence::customText)
          .containsExactly(PresenceState.DND, "focus");
      assertThat(presence.get("alice").state()).as("not landed yet").isEqualTo(PresenceState.ONLINE);

      store.unblock();
      assertThat(eventually(() -> {
        advanceABit();
        return presence.get("alice").state() == PresenceState.DND;
      })).isTrue();
    } finally {
      store.unblock();
      storeThreads.shutdown();
      storeThreads.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aHungWriteBlocksNoOtherUserAndNoThreadWaitsOnTheStoreHoldingALock() throws Exception {
    FaultyPresenceStore store = new FaultyPresenceStore(new InMemoryPresenceStore(time));
    ExecutorService storeThreads = Executors.newFixedThreadPool(2);
    Duration timeout = Duration.ofMillis(200);
    try (Presence presence = Presence.builder().ticker(time).clock(time).scheduler(time).deliveryExecutor(Runnable::run)
        .store(store).storeExecutor(storeThreads).storeTimeout(timeout).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      store.block();
      alice.setIdle(true); // her write hangs on a store thread

      long started = System.nanoTime();
      DeviceConnection bob = presence.connect("bob", "phone"); // his claim hangs too
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      assertThat(took).isLessThan(Duration.ofSeconds(2));
      assertThat(bob.isOpen()).isTrue();

      time.advanceSeconds(5);
      assertThat(alice.heartbeat()).isTrue();
      assertThat(bob.heartbeat()).isTrue();
      assertThat(alice.setIdle(false)).as("takes alice's lock: nobody holds it on the store").isTrue();
      assertThat(presence.connect("carol", "phone").isOpen()).isTrue();
      assertThat(eventually(() -> threadsWaitingOnTheStore().size() >= 2)).isTrue();
      for (ThreadInfo thread : threadsWaitingOnTheStore()) {
        assertThat(thread.getLockedMonitors()).as("locks held by %s", thread.getThreadName()).isEmpty();
      }

      store.unblock();
      assertThat(eventually(() -> {
        advanceABit(); // timers (retries, renewals) keep coming while writes land
        return presence.get("bob").state() == PresenceState.ONLINE
            && presence.get("carol").state() == PresenceState.ONLINE
            && store.get("alice").devices().get(0).activity() == DeviceActivity.ACTIVE;
      })).isTrue();
      assertThat(store.get("alice").devices()).extracting(DeviceRecord::activity)
          .containsExactly(DeviceActivity.ACTIVE);
    } finally {
      store.unblock();
      storeThreads.shutdown();
      storeThreads.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static List<ThreadInfo> threadsWaitingOnTheStore() {
    List<ThreadInfo> waiting = new ArrayList<>();
    for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(true, false)) {
      if (Arrays.stream(thread.getStackTrace()).anyMatch(frame -> frame.getClassName().endsWith("FaultyPresenceStore")
          && frame.getMethodName().equals("awaitGate"))) {
        waiting.add(thread);
      }
    }
    return waiting;
  }

  /**
   * 100 ms more on the fake clock, for the retry timers, but never more than 20 s in all: the poll
   * spins, and unbounded it would run the clock past the heartbeat TTL and the idle timeout, whose
   * own writes would then race the ones asserted on. At most one step per 10 ms of real time: a spin
   * that spent the whole budget in microseconds left a retry that fell due after a slow store thread
   * reported its outcome with no clock to fire it (seen on a loaded machine).
   */
  private void advanceABit() {
    long now = System.nanoTime();
    if (now - lastAdvanceNanos >= TimeUnit.MILLISECONDS.toNanos(10)
        && advancedWhilePolling.compareTo(Duration.ofSeconds(20)) < 0) {
      lastAdvanceNanos = now;
      time.advance(Duration.ofMillis(100));
      advancedWhilePolling = advancedWhilePolling.plusMillis(100);
    }
  }

  private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.yield(); // polls real store threads, bounded; no timer is waited for
    }
    return true;
  }
}
