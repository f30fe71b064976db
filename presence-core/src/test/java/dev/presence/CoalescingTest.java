package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Changes are coalesced per subscriber and delivered as one batch at most every flush interval. */
class CoalescingTest {
  private final ManualTime time = new ManualTime();

  @Test
  void onlineThenIdleThenOnlineWithinAWindowDeliversNothing() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));

      alice.setIdle(true);
      time.advanceMillis(400);
      alice.setIdle(false);
      time.advanceSeconds(5);

      assertThat(sink.isUntouched()).isTrue();
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    }
  }

  @Test
  void aStatusTextChangedAndChangedBackWithinAWindowDeliversNothing() {
    try (Presence presence = Fixtures.manual(time).build()) {
      presence.connect("alice", "phone");
      presence.setStatus("alice", StatusMode.AUTO, "lunch", null);
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));

      presence.setStatus("alice", StatusMode.AUTO, "back soon", null);
      presence.setStatus("alice", StatusMode.DND, "back soon", null);
      presence.setStatus("alice", StatusMode.AUTO, "lunch", null);
      time.advanceSeconds(5);

      assertThat(sink.isUntouched()).isTrue();
    }
  }

  @Test
  void theLatestPresenceOfEachUserWinsWithinAWindow() {
    try (Presence presence = Fixtures.manual(time).build()) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice", "carol"));

      DeviceConnection alice = presence.connect("alice", "phone");
      alice.setIdle(true);
      presence.setStatus("alice", StatusMode.DND, "focus", null);
      presence.connect("carol", "phone");
      time.advanceSeconds(1);

      assertThat(sink.batches()).singleElement().satisfies(batch ->
          assertThat(batch.changes()).containsExactlyInAnyOrder(presence.get("alice"), presence.get("carol")));
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.DND);
    }
  }

  @Test
  void changesWaitForTheNextWindowBoundaryAndGoOutTogether() {
    try (Presence presence = Fixtures.manual(time).build()) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice", "carol"));
      time.advanceMillis(300);

      presence.connect("alice", "phone");
      time.advanceMillis(500);
      presence.connect("carol", "phone");
      time.advanceMillis(199);
      assertThat(sink.batches()).isEmpty();
      time.advanceMillis(1); // the boundary, one flush interval after the engine started

      assertThat(sink.batches()).singleElement().satisfies(batch -> {
        assertThat(batch.at()).isEqualTo(Duration.ofMillis(1_000));
        assertThat(batch.changes()).extracting(UserPresence::userId).containsExactlyInAnyOrder("alice", "carol");
      });

      time.advanceMillis(950);
      presence.setStatus("carol", StatusMode.DND); // late in the window: waits 50 ms, not a whole interval
      time.advanceMillis(49);
      assertThat(sink.batches()).hasSize(1);
      time.advanceMillis(1);
      assertThat(sink.batches()).hasSize(2);
      assertThat(sink.batches().get(1).at()).isEqualTo(Duration.ofSeconds(2));
    }
  }

  @Test
  void neverMoreThanOneBatchPerWindowPerSubscriber() {
    try (Presence presence = Fixtures.manual(time).build()) {
      List<String> users = List.of("u0", "u1", "u2", "u3", "u4");
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(users);
      List<DeviceConnection> devices = new ArrayList<>();
      for (String user : users) {
        devices.add(presence.connect(user, "d"));
      }
      Random random = new Random(7);

      for (int step = 0; step < 600; step++) {
        DeviceConnection device = devices.get(random.nextInt(devices.size()));
        switch (random.nextInt(3)) {
          case 0 -> device.setIdle(random.nextBoolean());
          case 1 -> presence.setStatus(device.userId(), StatusMode.AUTO, "t" + random.nextInt(3), null);
          default -> presence.setStatus(device.userId(), random.nextBoolean() ? StatusMode.DND : StatusMode.AUTO);
        }
        time.advanceMillis(10 + random.nextInt(150));
      }
      time.advanceSeconds(2);

      List<RecordingSink.Batch> batches = sink.batches();
      assertThat(batches).hasSizeGreaterThan(20);
      for (int i = 1; i < batches.size(); i++) {
        assertThat(batches.get(i).at().minus(batches.get(i - 1).at()))
            .as("gap before batch %d", i)
            .isGreaterThanOrEqualTo(PresenceBuilder.DEFAULT_FLUSH_INTERVAL);
      }
      assertThat(batches).allSatisfy(batch -> assertThat(batch.changes())
          .extracting(UserPresence::userId).doesNotHaveDuplicates());
      // A reversed change is not sent, so the last version received may be older, never the state.
      assertThat(sink.view(new PresenceSnapshot(presence.getAll(List.of()), List.of())).values())
          .extracting(UserPresence::userId, UserPresence::state, UserPresence::customText)
          .containsExactlyInAnyOrderElementsOf(presence.getAll(users).stream()
              .map(p -> tuple(p.userId(), p.state(), p.customText())).toList());
    }
  }

  @Test
  void aCustomFlushIntervalSetsTheWindow() {
    try (Presence presence = Fixtures.manual(time).flushInterval(Duration.ofSeconds(3)).build()) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));

      DeviceConnection alice = presence.connect("alice", "phone");
      time.advanceMillis(2_999);
      assertThat(sink.batches()).isEmpty();
      time.advanceMillis(1);
      assertThat(sink.batches()).hasSize(1);

      alice.setIdle(true);
      time.advanceSeconds(1);
      alice.setIdle(false);
      time.advanceSeconds(1);
      alice.setIdle(true);
      time.advanceSeconds(1);
      assertThat(sink.batches()).hasSize(2);
      assertThat(sink.batches().get(1).changes()).extracting(UserPresence::state)
          .containsExactly(PresenceState.IDLE);
    }
  }

  @Test
  void aZeroFlushIntervalDeliversEachChangeAtOnce() {
    try (Presence presence = Fixtures.manual(time).flushInterval(Duration.ZERO).build()) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));

      DeviceConnection alice = presence.connect("alice", "phone");
      alice.setIdle(true);
      alice.setIdle(false);

      assertThat(sink.batches()).extracting(RecordingSink.Batch::at).containsOnly(Duration.ZERO);
      assertThat(sink.changes()).extracting(UserPresence::state)
          .containsExactly(PresenceState.ONLINE, PresenceState.IDLE, PresenceState.ONLINE);
    }
  }

  @Test
  void aRealChangeAfterAReversedOneIsDelivered() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));

      alice.setIdle(true);
      alice.setIdle(false);
      time.advanceSeconds(2);
      alice.setIdle(true);
      time.advanceSeconds(1);

      assertThat(sink.changes()).singleElement().isEqualTo(presence.get("alice"));
      assertThat(sink.changes().get(0).state()).isEqualTo(PresenceState.IDLE);
    }
  }

  @Test
  void aChangeToTheStateLastDeliveredIsNotSentAgainAfterAnUndeliveredOne() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));

      alice.setIdle(true);
      time.advanceSeconds(1);
      alice.setIdle(false);
      presence.setStatus("alice", StatusMode.DND);
      presence.setStatus("alice", StatusMode.AUTO);
      alice.setIdle(true);
      time.advanceSeconds(1);

      assertThat(sink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.IDLE);
    }
  }

  @Test
  void neverMoreThanOneBatchPerWindowEvenWhileADeliveryIsStillRunning() {
    ArrayDeque<Runnable> deliveries = new ArrayDeque<>();
    try (Presence presence =
        Presence.builder().ticker(time).clock(time).scheduler(time).deliveryExecutor(deliveries::add).build()) {
      presence.joinChannel("general", "alice");
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink sink = new RecordingSink(time);
      Subscriber subscriber = presence.subscribe("bob", sink);
      subscriber.watchChannel("general");

      presence.setStatus("alice", StatusMode.AUTO, "a", null);
      time.advanceMillis(500);
      alice.typing("general"); // its delivery is still running when the flush falls due
      time.advanceMillis(500);
      time.advanceMillis(200);
      presence.setStatus("alice", StatusMode.AUTO, "b", null);
      time.advanceMillis(100);
      runAll(deliveries); // the typing call returns; the flush that fell due goes out now
      time.advanceMillis(100);
      presence.setStatus("alice", StatusMode.AUTO, "c", null);
      for (int i = 0; i < 30; i++) {
        time.advanceMillis(100);
        runAll(deliveries);
      }

      // "a" fell due at 1 s while the typing call ran; the call returned at 1.3 s and took "b" with
      // it. "c" came in the same window, so it waits for the next boundary, at 2 s.
      List<RecordingSink.Batch> batches = sink.batches();
      assertThat(batches).extracting(b -> b.changes().get(0).customText()).containsExactly("b", "c");
      assertThat(batches).extracting(RecordingSink.Batch::at)
          .containsExactly(Duration.ofMillis(1_300), Duration.ofMillis(2_000));
    }
  }

  @Test
  void aBatchHoldsOneEntryPerUserNeverMore() {
    try (Presence presence = Fixtures.manual(time).build()) {
      List<String> users = List.of("u0", "u1", "u2");
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(users);

      for (int i = 0; i < 200; i++) {
        presence.setStatus(users.get(i % 3), StatusMode.AUTO, "text " + i, null);
      }
      time.advanceSeconds(1);

      assertThat(sink.batches()).singleElement().satisfies(batch ->
          assertThat(batch.changes()).extracting(UserPresence::userId, UserPresence::customText)
              .containsExactlyInAnyOrder(tuple("u0", "text 198"), tuple("u1", "text 199"), tuple("u2", "text 197")));
    }
  }

  private static void runAll(ArrayDeque<Runnable> deliveries) {
    Runnable next;
    while ((next = deliveries.poll()) != null) {
      next.run();
    }
  }
}
