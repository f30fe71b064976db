package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.testkit.ManualTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two engines sharing one store and one bus behave as two nodes of one deployment. */
class MultiNodeSubscriptionTest {
  private final ManualTime time = new ManualTime();
  private final InMemoryPresenceStore store = new InMemoryPresenceStore();
  private final LocalPresenceBus bus = new LocalPresenceBus();
  private final Presence nodeA = node("node-a").build();
  private final Presence nodeB = node("node-b").build();

  private PresenceBuilder node(String id) {
    return Fixtures.manual(time).store(store).bus(bus).nodeId(id);
  }

  @AfterEach
  void close() {
    nodeA.close();
    nodeB.close();
    bus.close();
  }

  @Test
  void aChangeMadeOnNodeAReachesASubscriberOnNodeB() {
    RecordingSink bob = new RecordingSink(time);
    nodeB.subscribe(nodeB.connect("bob", "laptop"), bob).watchUsers(List.of("alice"));

    DeviceConnection alice = nodeA.connect("alice", "phone");
    time.advanceSeconds(1);
    alice.setIdle(true);
    time.advanceSeconds(1);

    assertThat(bob.changes()).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.IDLE);
    assertThat(bob.changes().get(1)).isEqualTo(nodeA.get("alice")).isEqualTo(nodeB.get("alice"));
  }

  @Test
  void aSnapshotOnNodeBShowsAUserConnectedToNodeA() {
    nodeA.connect("alice", "phone");
    nodeA.setStatus("alice", StatusMode.DND, "on call", null);

    PresenceSnapshot snapshot = nodeB.subscribe("bob", new RecordingSink(time)).watchUsers(List.of("alice"));

    assertThat(snapshot.users()).containsExactly(nodeA.get("alice"));
    assertThat(snapshot.users().get(0).state()).isEqualTo(PresenceState.DND);
  }

  @Test
  void aChannelMemberOnNodeAIsSeenByAChannelSubscriberOnNodeB() {
    for (Presence node : List.of(nodeA, nodeB)) {
      node.joinChannel("general", "alice");
    }
    RecordingSink bob = new RecordingSink(time);
    nodeB.subscribe("bob", bob).watchChannel("general");

    nodeA.connect("alice", "phone");
    time.advanceSeconds(1);

    assertThat(bob.changes()).extracting(UserPresence::userId, UserPresence::state)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", PresenceState.ONLINE));
  }

  @Test
  void typingOnNodeAReachesAChannelSubscriberOnNodeBOnceFromStartToStop() {
    for (Presence node : List.of(nodeA, nodeB)) {
      node.joinChannel("general", "alice");
      node.joinChannel("general", "bob");
    }
    RecordingSink bob = new RecordingSink(time);
    nodeB.subscribe(nodeB.connect("bob", "laptop"), bob).watchChannel("general");
    RecordingSink carolOnA = new RecordingSink(time);
    nodeA.subscribe("carol", carolOnA).watchChannel("general");
    DeviceConnection alice = nodeA.connect("alice", "phone");

    alice.typing("general");
    assertThat(bob.typingKindsOf("alice")).as("at once, across nodes").containsExactly(Kind.STARTED);
    for (int i = 0; i < 30; i++) { // 6 s: one refresh, at 5.2 s
      time.advanceMillis(200);
      alice.typing("general");
    }
    alice.messageSent("general");

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.REFRESHED, Kind.STOPPED);
    assertThat(carolOnA.typingEvents()).as("the local subscriber gets each event once")
        .isEqualTo(bob.typingEvents());
    assertThat(bob.typingEvents().get(1).expiresAt())
        .isEqualTo(time.instant().minusMillis(800).plus(PresenceBuilder.DEFAULT_TYPING_TIMEOUT)
            .plus(PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL).plus(PresenceBuilder.DEFAULT_FLUSH_INTERVAL)
            .plus(PresenceBuilder.DEFAULT_TIMER_RESOLUTION).plusNanos(Typing.DELIVERY_SLACK_NANOS));
  }

  @Test
  void aUserWhoGoesInvisibleThroughNodeBStopsTypingOnNodeAByTheNextRefreshAndCannotStartAgain() {
    for (Presence node : List.of(nodeA, nodeB)) {
      node.joinChannel("general", "alice");
      node.joinChannel("general", "bob");
    }
    RecordingSink bob = new RecordingSink(time);
    nodeB.subscribe(nodeB.connect("bob", "laptop"), bob).watchChannel("general");
    DeviceConnection alice = nodeA.connect("alice", "phone");
    alice.typing("general");

    nodeB.setStatus("alice", StatusMode.INVISIBLE); // node A applies no change of alice for this
    for (int i = 0; i < 30; i++) { // past the refresh interval: the refresh reads the store
      time.advanceMillis(200);
      alice.typing("general");
    }

    assertThat(bob.typingKindsOf("alice")).as("no refresh goes out once the store says invisible")
        .containsExactly(Kind.STARTED, Kind.STOPPED);
    alice.typing("random");
    alice.typing("general");
    time.advanceSeconds(10);
    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void aUserBackFromInvisibleThroughNodeBCanTypeOnNodeAAgain() {
    for (Presence node : List.of(nodeA, nodeB)) {
      node.joinChannel("general", "alice");
      node.joinChannel("general", "bob");
    }
    RecordingSink bob = new RecordingSink(time);
    nodeB.subscribe(nodeB.connect("bob", "laptop"), bob).watchChannel("general");
    DeviceConnection alice = nodeA.connect("alice", "phone");
    nodeA.setStatus("alice", StatusMode.INVISIBLE);
    alice.typing("general");
    assertThat(bob.typingKindsOf("alice")).isEmpty();

    nodeB.setStatus("alice", StatusMode.AUTO);
    alice.typing("general");

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED);
  }

  @Test
  void typingOnNodeAEndsOnNodeBWhenItTimesOutOrTheTypistDisconnects() {
    nodeA.joinChannel("general", "alice"); // membership lives on each node
    nodeB.joinChannel("general", "alice");
    RecordingSink bob = new RecordingSink(time);
    nodeB.subscribe("bob", bob).watchChannel("general");
    DeviceConnection alice = nodeA.connect("alice", "phone");

    alice.typing("general");
    time.advance(PresenceBuilder.DEFAULT_TYPING_TIMEOUT.plus(PresenceBuilder.DEFAULT_TIMER_RESOLUTION));
    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);

    alice.typing("general");
    alice.disconnect();
    assertThat(bob.typingKindsOf("alice"))
        .containsExactly(Kind.STARTED, Kind.STOPPED, Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void typingIsNotSentBackToTheTypistsDeviceOnTheOtherNode() {
    nodeB.joinChannel("general", "alice");
    RecordingSink aliceLaptop = new RecordingSink(time);
    nodeB.subscribe(nodeB.connect("alice", "laptop"), aliceLaptop).watchChannel("general");

    nodeA.connect("alice", "phone").typing("general");
    time.advanceSeconds(10);

    assertThat(aliceLaptop.typingEvents()).isEmpty();
  }

  @Test
  void nodeBStopsReceivingAUsersChangesOnceNoSubscriberThereWatchesIt() {
    RecordingSink bob = new RecordingSink(time);
    Subscriber subscriber = nodeB.subscribe("bob", bob);
    subscriber.watchUsers(List.of("alice"));
    RecordingSink carol = new RecordingSink(time);
    nodeB.subscribe("carol", carol).watchUsers(List.of("dave"));

    subscriber.unwatchUsers(List.of("alice"));
    nodeA.connect("alice", "phone");
    nodeA.connect("dave", "phone");
    time.advanceSeconds(2);

    assertThat(bob.isUntouched()).isTrue();
    assertThat(carol.changes()).extracting(UserPresence::userId).containsExactly("dave");
  }

  @Test
  void theReceivingNodeAppliesItsVisibilityPolicy() {
    try (Presence guarded =
        node("node-c").visibilityPolicy((watcher, target) -> !watcher.equals("bob")).build()) {
      guarded.joinChannel("general", "alice");
      RecordingSink bob = new RecordingSink(time);
      Subscriber subscriber = guarded.subscribe("bob", bob);
      subscriber.watchUsers(List.of("alice"));
      subscriber.watchChannel("general");

      DeviceConnection alice = nodeA.connect("alice", "phone");
      alice.typing("general");
      time.advanceSeconds(2);

      assertThat(bob.isUntouched()).isTrue();
    }
  }

  @Test
  void aUserGoingInvisibleOnNodeALooksOfflineOnNodeB() {
    RecordingSink bob = new RecordingSink(time);
    nodeB.subscribe("bob", bob).watchUsers(List.of("alice"));
    DeviceConnection alice = nodeA.connect("alice", "phone");
    time.advanceSeconds(1);

    alice.setStatus(StatusMode.INVISIBLE, "hidden", null);
    time.advanceSeconds(1);
    alice.setIdle(true);
    time.advanceSeconds(5);

    assertThat(bob.changes()).extracting(UserPresence::state, UserPresence::customText)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(PresenceState.ONLINE, null),
            org.assertj.core.groups.Tuple.tuple(PresenceState.OFFLINE, null));
    assertThat(nodeB.viewAs("bob").get("alice").state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(nodeB.viewAs("alice").get("alice").state()).isEqualTo(PresenceState.IDLE);
  }
}
