package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A user watched by many subscribers on one node: fanout writes each change once into the user's
 * audience and subscribers whose batch already holds the user read it at their flush, so what each
 * watcher gets must still be exactly what a subscriber-by-subscriber fanout would give.
 */
class LargeAudienceTest {
  private final ManualTime time = new ManualTime();

  @Test
  void aChangeReachesExactlyTheSubscribersStillWatchingAfterManyCameAndWent() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = new ArrayList<>();
      List<Subscriber> subscribers = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        RecordingSink sink = new RecordingSink(time);
        sinks.add(sink);
        Subscriber subscriber = presence.subscribe("watcher-" + i, sink);
        subscriber.watchUsers(List.of("alice"));
        subscribers.add(subscriber);
      }
      for (int i = 0; i < 300; i++) {
        if (i % 3 != 0) { // two in three leave, which compacts the audience more than once
          subscribers.get(i).unwatchUsers(List.of("alice"));
        }
      }
      subscribers.get(1).watchUsers(List.of("alice")); // and one comes back

      alice.setIdle(true);
      time.advanceSeconds(2);

      for (int i = 0; i < 300; i++) {
        boolean watching = i % 3 == 0 || i == 1;
        assertThat(sinks.get(i).changes())
            .as("watcher-%d", i)
            .isEqualTo(watching ? List.of(presence.get("alice")) : List.of());
      }
    }
  }

  @Test
  void changesOfAUserAlreadyInEveryWatchersBatchGoOutOnceWithTheLatest() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        RecordingSink sink = new RecordingSink(time);
        sinks.add(sink);
        presence.subscribe("watcher-" + i, sink).watchUsers(List.of("alice"));
      }

      alice.setIdle(true); // queues alice in every watcher's batch
      time.advanceMillis(300);
      presence.setStatus("alice", StatusMode.DND, "focus", null); // finds her queued everywhere
      time.advanceMillis(300);
      presence.setStatus("alice", StatusMode.DND, "deep focus", null);
      time.advanceSeconds(2);

      UserPresence last = presence.get("alice");
      assertThat(last.customText()).isEqualTo("deep focus");
      for (RecordingSink sink : sinks) {
        assertThat(sink.batches()).singleElement().satisfies(batch -> assertThat(batch.changes()).containsExactly(last));
      }
    }
  }

  @Test
  void aChangeAfterAFlushOpensANewWindowForEveryWatcher() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink first = new RecordingSink(time);
      RecordingSink second = new RecordingSink(time);
      presence.subscribe("bob", first).watchUsers(List.of("alice"));
      presence.subscribe("carol", second).watchUsers(List.of("alice"));

      alice.setIdle(true);
      time.advanceSeconds(2);
      alice.setIdle(false);
      time.advanceSeconds(2);

      for (RecordingSink sink : List.of(first, second)) {
        assertThat(sink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.IDLE, PresenceState.ONLINE);
      }
    }
  }

  @Test
  void withAVisibilityPolicyEveryWatcherIsStillAskedAboutEveryChange() {
    VisibilityPolicy evenOnly = (watcher, target) -> Integer.parseInt(watcher.substring(watcher.indexOf('-') + 1)) % 2 == 0;
    try (Presence presence = Fixtures.manual(time).visibilityPolicy(evenOnly).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        RecordingSink sink = new RecordingSink(time);
        sinks.add(sink);
        presence.subscribe("watcher-" + i, sink).watchUsers(List.of("alice"));
      }

      alice.setIdle(true);
      time.advanceMillis(300);
      alice.setIdle(false);
      time.advanceMillis(300);
      presence.setStatus("alice", StatusMode.DND, null, null);
      time.advanceSeconds(2);

      for (int i = 0; i < 20; i++) {
        assertThat(sinks.get(i).changes())
            .as("watcher-%d", i)
            .isEqualTo(i % 2 == 0 ? List.of(presence.get("alice")) : List.of());
      }
    }
  }

  @Test
  void aUserWatchingHerselfAmongOthersGetsHerOwnViewAndTheOthersThePublicOne() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink own = new RecordingSink(time);
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("alice", own).watchUsers(List.of("alice"));
      presence.subscribe("bob", bob).watchUsers(List.of("alice"));

      presence.setStatus("alice", StatusMode.DND, "focus", null);
      time.advanceSeconds(2);

      assertThat(bob.changes()).extracting(UserPresence::state).containsExactly(PresenceState.DND);
      assertThat(own.changes()).extracting(UserPresence::state).containsExactly(PresenceState.DND);
      assertThat(presence.viewAs("alice").get("alice")).isEqualTo(own.changes().get(0));
      alice.disconnect();
    }
  }

  /**
   * The reading order every scan of an audience keeps (fanout, and watchersOf for resync and
   * visibility changes): size, then slots. A compaction in between only moves edges left, so no edge
   * present throughout is missed; slots-then-size would scan the new, smaller size of the old array.
   */
  @Test
  void aScanThatReadsSizeBeforeSlotsFindsEveryWatcherAcrossACompaction() {
    try (Presence presence = Fixtures.manual(time).build()) {
      List<Edge> edges = new ArrayList<>();
      Audience audience = new Audience("alice");
      for (int i = 0; i < 16; i++) {
        RealSubscriber subscriber = (RealSubscriber) presence.subscribe("w" + i, new RecordingSink(time));
        Edge edge = new Edge("alice", subscriber);
        edges.add(edge);
        audience.add(edge);
      }
      for (int i = 0; i < 12; i++) {
        audience.remove(edges.get(i));
      }
      int size = audience.size();
      Edge[] slots = audience.slots();
      audience.remove(edges.get(12)); // a concurrent unwatch compacts: 3 live of 16
      List<Edge> found = new ArrayList<>();
      for (int i = 0, n = Math.min(size, slots.length); i < n; i++) {
        if (slots[i] != null) {
          found.add(slots[i]);
        }
      }
      assertThat(found).as("watchers 13, 14, 15 were in the audience throughout")
          .contains(edges.get(13), edges.get(14), edges.get(15));
    }
  }
}
