package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.testkit.ForwardingPresenceStore;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stats snapshot: gauges of this node's devices and users, and counters since start. */
class StatsTest {
  private final Harness h = Harness.start();
  /** Time that passes inside store calls, on top of the manual time. */
  private final AtomicLong ticks = new AtomicLong();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aFreshEngineCountsNothing() {
    assertThat(h.stats()).isEqualTo(new PresenceStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
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

  @Test
  void deliveriesCountEachEntryHandedToASinkAndCoalescedCountsEachChangeThatNeverWentOut() {
    try (Harness flushed = Harness.start(b -> b.deliveryExecutor(Runnable::run).flushInterval(Duration.ofSeconds(1)))) {
      DeviceConnection alice = flushed.presence.connect("alice", "phone");
      flushed.presence.connect("carol", "phone");
      RecordingSink sink = new RecordingSink(flushed.time);
      flushed.presence.subscribe("bob", sink).watchUsers(List.of("alice", "carol"));
      flushed.advanceSeconds(1);

      alice.setIdle(true); // replaced by the next change before the flush: coalesced 1
      alice.setIdle(false); // the same as bob last got: coalesced 2 at the flush
      flushed.advanceSeconds(1);
      assertThat(sink.isUntouched()).isTrue();
      assertThat(flushed.stats().coalesced()).isEqualTo(2);
      assertThat(flushed.stats().deliveries()).isZero();

      alice.setIdle(true);
      flushed.presence.setStatus("carol", StatusMode.DND);
      flushed.advanceSeconds(1); // one batch of two entries

      assertThat(sink.changes()).hasSize(2);
      assertThat(flushed.stats().deliveries()).isEqualTo(2);
      assertThat(flushed.stats().coalesced()).isEqualTo(2);
    }
  }

  @Test
  void typingEventsHandedToASinkCountAsDeliveries() {
    try (Harness inline = Harness.start(b -> b.deliveryExecutor(Runnable::run))) {
      inline.presence.joinChannel("room", "alice");
      inline.presence.joinChannel("room", "bob");
      inline.presence.connect("alice", "phone");
      RecordingSink sink = new RecordingSink(inline.time);
      inline.presence.subscribe("bob", sink).watchChannel("room");
      long before = inline.stats().deliveries();

      inline.presence.typing("alice", "phone", "room");

      assertThat(sink.typed()).hasSize(1);
      assertThat(inline.stats().deliveries()).isEqualTo(before + 1);
    }
  }

  @Test
  void everyLimitThatRefusesACallIsCounted() {
    try (Harness limited =
        Harness.start(
            b ->
                b.maxDevicesPerUser(1)
                    .maxSubscriptionsPerSubscriber(1)
                    .maxTypingChannelsPerUser(1)
                    .statusChangeLimit(1, Duration.ofSeconds(10)))) {
      DeviceConnection phone = limited.presence.connect("alice", "phone");
      assertThatThrownBy(() -> limited.presence.connect("alice", "laptop"))
          .isInstanceOf(LimitExceededException.class);
      assertThat(limited.stats().limitRejections()).isEqualTo(1);

      phone.setStatus(StatusMode.DND, null, null);
      assertThatThrownBy(() -> phone.setStatus(StatusMode.AUTO, null, null))
          .isInstanceOf(LimitExceededException.class);
      assertThat(limited.stats().limitRejections()).isEqualTo(2);

      limited.presence.joinChannel("one", "alice");
      limited.presence.joinChannel("two", "alice");
      phone.typing("one");
      assertThatThrownBy(() -> phone.typing("two")).isInstanceOf(LimitExceededException.class);
      assertThat(limited.stats().limitRejections()).isEqualTo(3);

      Subscriber subscriber = limited.presence.subscribe("bob", new RecordingSink(limited.time));
      assertThatThrownBy(() -> subscriber.watchUsers(List.of("alice", "carol")))
          .isInstanceOf(LimitExceededException.class);
      assertThat(limited.stats().limitRejections()).isEqualTo(4);
      assertThat(limited.stats().connects()).isEqualTo(1);
    }
  }

  @Test
  void storeCallsAreTimedOnTheEngineTickerWithTheirCountTotalAndLongest() {
    ManualTime time = new ManualTime(Harness.START);
    long[] callMillis = {3, 7, 2};
    int[] calls = {0};
    PresenceStore slow =
        new ForwardingPresenceStore(new InMemoryPresenceStore(time)) {
          @Override
          public CompletionStage<StoreUpdate> applyAsync(
              String userId, StoreMutation mutation, AggregationPolicy policy) {
            // The ticker is read before and after the call; the call's time passes in between.
            ticks.addAndGet(TimeUnit.MILLISECONDS.toNanos(callMillis[calls[0]++ % callMillis.length]));
            return super.applyAsync(userId, mutation, policy);
          }
        };
    try (Presence presence =
        Presence.builder()
            .ticker(() -> time.read() + ticks.get())
            .clock(time)
            .scheduler(time)
            .storeExecutor(Runnable::run)
            .store(slow)
            .build()) {
      presence.connect("alice", "phone"); // 3 ms
      presence.setStatus("alice", StatusMode.DND); // 7 ms
      presence.disconnect("alice", "phone");
      time.advanceSeconds(11); // grace ends: the device is removed, 2 ms

      PresenceStats stats = presence.stats();
      assertThat(stats.storeCalls()).isEqualTo(calls[0]).isEqualTo(3);
      assertThat(stats.storeCallNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(12));
      assertThat(stats.storeCallMaxNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(7));
      assertThat(stats.storeFailures()).isZero();
    }
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
