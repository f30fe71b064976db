package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Flush windows aligned on the engine's clock ({@link AlignedFanout}): every flush falls due at the
 * next multiple of the flush interval after the engine started, a subscriber gets at most one batch
 * per window, and a public change to a user's direct watchers is fanned out once, at the boundary,
 * however many watchers and changes there are. Default settings: 1 s flush interval, 100 ms ticks.
 */
class AlignedWindowTest {
  private final ManualTime time = new ManualTime();

  @Test
  void everyWatcherOfALargeAudienceGetsOneBatchWithTheLatestAtTheBoundaryAndNothingBefore() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = watchers(presence, "w", 300, "alice");
      time.advanceSeconds(1); // the watches' first boundary; nothing to send
      long coalescedBefore = presence.stats().coalesced();

      time.advanceMillis(300);
      alice.setIdle(true);
      time.advanceMillis(300);
      presence.setStatus("alice", StatusMode.DND, "focus", null);
      time.advanceMillis(300);
      presence.setStatus("alice", StatusMode.DND, "deep focus", null);
      time.advanceMillis(99);
      assertThat(sinks).allSatisfy(sink -> assertThat(sink.batches()).isEmpty());
      time.advanceMillis(1);

      UserPresence last = presence.get("alice");
      assertThat(last.customText()).isEqualTo("deep focus");
      assertThat(sinks).allSatisfy(sink -> assertThat(sink.batches()).singleElement().satisfies(batch -> {
        assertThat(batch.at()).isEqualTo(Duration.ofSeconds(2));
        assertThat(batch.changes()).containsExactly(last);
      }));
      assertThat(presence.stats().coalesced() - coalescedBefore).as("two changes replaced for each watcher").isEqualTo(600);
    }
  }

  @Test
  void aWatcherOfSeveralChangedUsersGetsOneBatchWhicheverAudienceIsLargest() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      DeviceConnection carol = presence.connect("carol", "phone");
      DeviceConnection dave = presence.connect("dave", "phone");
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchUsers(List.of("alice", "carol", "dave"));
      List<RecordingSink> alices = watchers(presence, "a", 50, "alice");
      List<RecordingSink> daves = watchers(presence, "d", 120, "dave"); // the largest: expanded last, in one pass
      time.advanceSeconds(1);

      alice.setIdle(true);
      dave.setIdle(true);
      carol.setIdle(true);
      time.advanceSeconds(1);

      assertThat(bob.batches()).singleElement().satisfies(batch -> assertThat(batch.changes())
          .containsExactlyInAnyOrder(presence.get("alice"), presence.get("carol"), presence.get("dave")));
      assertThat(alices).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(presence.get("alice")));
      assertThat(daves).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(presence.get("dave")));

      carol.setIdle(false); // now only the small audiences change: bob is in both
      alice.setIdle(false);
      time.advanceSeconds(1);
      assertThat(bob.batches()).hasSize(2);
      assertThat(bob.batches().get(1).changes())
          .containsExactlyInAnyOrder(presence.get("alice"), presence.get("carol"));
    }
  }

  @Test
  void aWatcherArmedThroughAChannelAndAnAudienceInOneWindowGetsOneBatch() {
    try (Presence presence = Fixtures.manual(time).build()) {
      presence.joinChannel("general", "erin");
      DeviceConnection erin = presence.connect("erin", "phone");
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink bob = new RecordingSink(time);
      Subscriber subscriber = presence.subscribe("bob", bob);
      subscriber.watchChannel("general");
      subscriber.watchUsers(List.of("alice"));
      watchers(presence, "w", 40, "alice");
      time.advanceSeconds(1);
      int before = bob.batches().size();

      time.advanceMillis(200);
      erin.setIdle(true); // armed through the channel, for the boundary at 2 s
      time.advanceMillis(500);
      alice.setIdle(true); // deferred to the same boundary
      time.advanceMillis(300);

      assertThat(bob.batches()).hasSize(before + 1);
      assertThat(bob.batches().get(before).at()).isEqualTo(Duration.ofSeconds(2));
      assertThat(bob.batches().get(before).changes())
          .containsExactlyInAnyOrder(presence.get("erin"), presence.get("alice"));
    }
  }

  @Test
  void herOwnSubscribersGetHerOwnViewWhileHerAudienceGetsThePublicOne() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink own = new RecordingSink(time);
      presence.subscribe("alice", own).watchUsers(List.of("alice"));
      List<RecordingSink> others = watchers(presence, "w", 30, "alice");
      time.advanceSeconds(1);

      presence.setStatus("alice", StatusMode.INVISIBLE, "away", null);
      time.advanceSeconds(1);

      UserPresence publicView = presence.get("alice");
      UserPresence ownView = presence.viewAs("alice").get("alice");
      assertThat(ownView).isNotEqualTo(publicView);
      assertThat(own.changes()).containsExactly(ownView);
      assertThat(others).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(publicView));
      alice.disconnect();
    }
  }

  @Test
  void withAZeroFlushIntervalEveryWatcherGetsEachChangeAtOnce() {
    try (Presence presence = Fixtures.manual(time).flushInterval(Duration.ZERO).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = watchers(presence, "w", 100, "alice");

      alice.setIdle(true);
      UserPresence idle = presence.get("alice");
      alice.setIdle(false);

      assertThat(sinks).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(idle, presence.get("alice")));
    }
  }

  @Test
  void aWatcherThatLeftOrClosedWhileTheAudienceWaitedGetsNothingAndTheOthersGetTheirs() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = new ArrayList<>();
      List<Subscriber> subscribers = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        RecordingSink sink = new RecordingSink(time);
        sinks.add(sink);
        Subscriber subscriber = presence.subscribe("w" + i, sink);
        subscriber.watchUsers(List.of("alice"));
        subscribers.add(subscriber);
      }
      time.advanceSeconds(1);

      alice.setIdle(true); // the audience waits for the boundary
      subscribers.get(0).unwatchUsers(List.of("alice"));
      subscribers.get(1).close();
      time.advanceSeconds(1);

      assertThat(sinks.get(0).changes()).isEmpty();
      assertThat(sinks.get(1).changes()).isEmpty();
      assertThat(sinks.subList(2, 20)).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(presence.get("alice")));
    }
  }

  @Test
  void anIntervalOfNoWholeNumberOfTicksIsRoundedUpSoBatchesStayAWholeIntervalApart() {
    try (Presence presence = Fixtures.manual(time).flushInterval(Duration.ofMillis(150)).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchUsers(List.of("alice"));
      for (int i = 0; i < 40; i++) { // a change every 50 ms for 2 s, always a new custom text
        time.advanceMillis(50);
        presence.setStatus("alice", StatusMode.AUTO, "t" + i, null);
      }
      time.advanceSeconds(1);

      List<Duration> at = bob.batches().stream().map(RecordingSink.Batch::at).toList();
      assertThat(at).hasSizeGreaterThan(5);
      assertThat(at).allSatisfy(when -> assertThat(when.toMillis() % 200).as("on a 200 ms boundary").isZero());
      for (int i = 1; i < at.size(); i++) {
        assertThat(at.get(i).minus(at.get(i - 1))).isGreaterThanOrEqualTo(Duration.ofMillis(150));
      }
      assertThat(bob.changes().get(bob.changes().size() - 1)).isEqualTo(presence.get("alice"));
    }
  }

  @Test
  void aFlushArmedWhileTheBoundaryIsBeingExpandedStillGoesOutOnThatTick() {
    try (Presence presence = Fixtures.manual(time).build()) {
      presence.joinChannel("general", "erin");
      DeviceConnection erin = presence.connect("erin", "phone");
      DeviceConnection alice = presence.connect("alice", "phone");
      // The first watcher's sink, called while alice's audience is expanded, changes erin: bob's
      // flush is armed in the middle of the boundary's tick, before the expansion reaches him.
      boolean[] once = {false};
      presence.subscribe("first", new PresenceSink() {
        @Override
        public void onPresence(List<UserPresence> changes) {
          if (!once[0]) {
            once[0] = true;
            erin.setIdle(true);
          }
        }

        @Override
        public void onTyping(List<TypingEvent> events) {}
      }).watchUsers(List.of("alice"));
      RecordingSink bob = new RecordingSink(time);
      Subscriber subscriber = presence.subscribe("bob", bob);
      subscriber.watchChannel("general");
      subscriber.watchUsers(List.of("alice"));
      time.advanceSeconds(1);
      int before = bob.batches().size();

      time.advanceMillis(400);
      alice.setIdle(true);
      time.advanceMillis(600);

      assertThat(bob.batches()).hasSize(before + 1);
      assertThat(bob.batches().get(before).at()).isEqualTo(Duration.ofSeconds(2));
      assertThat(bob.batches().get(before).changes())
          .containsExactlyInAnyOrder(presence.get("alice"), presence.get("erin"));
    }
  }

  @Test
  void everyEntryHandedToASinkOnTheAudiencePathIsCountedOnce() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      watchers(presence, "w", 40, "alice");
      time.advanceSeconds(1);
      long before = presence.stats().deliveries();

      alice.setIdle(true);
      time.advanceSeconds(1);

      assertThat(presence.stats().deliveries() - before).isEqualTo(40);
    }
  }

  @Test
  void anAudienceLargerThanTheLoadAheadSizeReachesEveryWatcher() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = watchers(presence, "w", 1_500, "alice");
      time.advanceSeconds(1);

      alice.setIdle(true);
      time.advanceSeconds(1);

      assertThat(sinks).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(presence.get("alice")));
    }
  }

  @Test
  void herOwnEdgeLeavesTheAudienceWhenSheStopsWatchingHerselfAndComesBackWithHerOwnView() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink own = new RecordingSink(time);
      Subscriber herself = presence.subscribe("alice", own);
      herself.watchUsers(List.of("alice"));
      List<RecordingSink> others = watchers(presence, "w", 5, "alice");
      time.advanceSeconds(1);

      herself.unwatchUsers(List.of("alice"));
      presence.setStatus("alice", StatusMode.DND);
      time.advanceSeconds(1);
      assertThat(own.changes()).isEmpty();
      assertThat(others).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(presence.get("alice")));

      herself.watchUsers(List.of("alice"));
      presence.setStatus("alice", StatusMode.INVISIBLE);
      time.advanceSeconds(1);
      assertThat(own.changes()).containsExactly(presence.viewAs("alice").get("alice"));
      assertThat(own.changes().get(0).state()).isNotEqualTo(presence.get("alice").state());
      alice.disconnect();
    }
  }

  @Test
  void aCallStillRunningAtTheNextBoundaryTakesThatWindowsChangeWhenItReturns() {
    java.util.ArrayDeque<Runnable> calls = new java.util.ArrayDeque<>();
    try (Presence presence =
        Presence.builder().ticker(time).clock(time).scheduler(time).storeExecutor(Runnable::run).deliveryExecutor(calls::add).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = watchers(presence, "w", 50, "alice");
      time.advanceSeconds(1);
      runAll(calls);

      alice.setIdle(true);
      time.advanceSeconds(1); // the boundary hands 50 calls; none has run yet
      UserPresence idle = presence.get("alice");
      presence.setStatus("alice", StatusMode.DND);
      time.advanceSeconds(1); // the next boundary finds every call still in flight
      assertThat(sinks).allSatisfy(sink -> assertThat(sink.batches()).isEmpty());

      runAll(calls); // each returns and sends what fell due meanwhile
      UserPresence dnd = presence.get("alice");
      assertThat(sinks).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(idle, dnd));

      presence.setStatus("alice", StatusMode.AUTO);
      time.advanceSeconds(1);
      runAll(calls);
      assertThat(sinks).allSatisfy(sink -> assertThat(sink.changes()).containsExactly(idle, dnd, presence.get("alice")));
    }
  }

  private static void runAll(java.util.ArrayDeque<Runnable> calls) {
    for (Runnable call = calls.poll(); call != null; call = calls.poll()) {
      call.run();
    }
  }

  /**
   * Random changes of users with audiences from one watcher to hundreds, at random moments: after
   * every boundary each subscriber shows every watched user as she is (nothing waits longer than one
   * interval), and no subscriber ever gets a batch between boundaries or two in one window.
   */
  @Test
  void randomChangesAreAllShownAtTheNextBoundaryAndBatchesComeOnlyThereOncePerWindow() {
    Random random = new Random(7);
    try (Presence presence = Fixtures.manual(time).build()) {
      List<String> users = new ArrayList<>();
      List<DeviceConnection> devices = new ArrayList<>();
      for (int u = 0; u < 12; u++) {
        users.add("u" + u);
        devices.add(presence.connect("u" + u, "phone"));
      }
      List<RecordingSink> sinks = new ArrayList<>();
      List<Map<String, UserPresence>> shown = new ArrayList<>();
      List<List<String>> watched = new ArrayList<>();
      for (int s = 0; s < 150; s++) {
        List<String> theirs = new ArrayList<>();
        for (int u = 0; u < users.size(); u++) {
          if (random.nextInt(users.size()) <= u) { // u11 watched by nearly all, u0 by a few
            theirs.add(users.get(u));
          }
        }
        RecordingSink sink = new RecordingSink(time);
        Map<String, UserPresence> baseline = new HashMap<>();
        for (UserPresence user : presence.subscribe("s" + s, sink).watchUsers(theirs).users()) {
          baseline.put(user.userId(), user);
        }
        sinks.add(sink);
        shown.add(baseline);
        watched.add(theirs);
      }
      time.advanceSeconds(1);

      for (int window = 2; window <= 30; window++) {
        long boundary = window * 1_000L;
        long now = time.elapsed().toMillis();
        while (true) {
          long step = 1 + random.nextInt(400);
          if (now + step >= boundary) {
            break;
          }
          time.advanceMillis(step);
          now += step;
          int u = random.nextInt(users.size());
          switch (random.nextInt(3)) {
            case 0 -> devices.get(u).setIdle(random.nextBoolean());
            case 1 -> presence.setStatus(users.get(u), StatusMode.AUTO, "t" + random.nextInt(3), null);
            default -> presence.setStatus(users.get(u), StatusMode.DND);
          }
        }
        time.advanceMillis(boundary - now);

        for (int s = 0; s < sinks.size(); s++) {
          List<RecordingSink.Batch> batches = sinks.get(s).batches();
          for (RecordingSink.Batch batch : batches) {
            assertThat(batch.at().toMillis() % 1_000).as("s%d got a batch between boundaries", s).isZero();
          }
          assertThat(batches.stream().map(RecordingSink.Batch::at).distinct().count())
              .as("s%d: one batch per window", s).isEqualTo(batches.size());
          Map<String, UserPresence> view = shown.get(s); // the baseline, then every batch in order
          for (RecordingSink.Batch batch : batches) {
            for (UserPresence change : batch.changes()) {
              view.put(change.userId(), change);
            }
          }
          for (String user : watched.get(s)) {
            UserPresence current = presence.get(user);
            assertThat(view.get(user)).as("s%d's view of %s at %d ms", s, user, boundary)
                .satisfies(seen -> {
                  assertThat(seen.state()).isEqualTo(current.state());
                  assertThat(seen.customText()).isEqualTo(current.customText());
                });
          }
        }
      }
    }
  }

  private List<RecordingSink> watchers(Presence presence, String prefix, int count, String target) {
    List<RecordingSink> sinks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RecordingSink sink = new RecordingSink(time);
      sinks.add(sink);
      presence.subscribe(prefix + i, sink).watchUsers(List.of(target));
    }
    return sinks;
  }
}
