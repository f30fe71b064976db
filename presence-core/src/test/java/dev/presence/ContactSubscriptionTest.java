package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A subscriber watching a contact list: what it sees, and when its subscriptions end. */
class ContactSubscriptionTest {
  private final ManualTime time = new ManualTime();
  private final Presence presence = Fixtures.manual(time).build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aContactListSubscriberSeesOnlyTheUsersItWatches() {
    DeviceConnection bob = presence.connect("bob", "laptop");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe(bob, sink).watchUsers(List.of("alice", "carol"));

    presence.connect("alice", "phone");
    presence.connect("dave", "phone");
    presence.setStatus("erin", StatusMode.DND, "busy", null);
    presence.connect("carol", "tablet").setIdle(true);
    time.advanceSeconds(5);

    assertThat(sink.changes())
        .extracting(UserPresence::userId, UserPresence::state)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("alice", PresenceState.ONLINE),
            org.assertj.core.groups.Tuple.tuple("carol", PresenceState.IDLE));
  }

  @Test
  void theSnapshotHoldsEveryWatchedUsersPresenceWithItsVersion() {
    presence.connect("alice", "phone");
    presence.setStatus("carol", StatusMode.DND, "in a meeting", null);
    presence.connect("carol", "laptop");
    RecordingSink sink = new RecordingSink(time);

    PresenceSnapshot snapshot =
        presence.subscribe("bob", sink).watchUsers(List.of("alice", "carol", "nobody"));

    assertThat(snapshot.users())
        .containsExactly(presence.get("alice"), presence.get("carol"), UserPresence.unknown("nobody"));
    assertThat(snapshot.users()).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.DND, PresenceState.OFFLINE);
    assertThat(snapshot.users().get(0).version()).isPositive();
    assertThat(snapshot.typing()).isEmpty();
    time.advanceSeconds(5);
    assertThat(sink.isUntouched()).as("the snapshot is not delivered again").isTrue();
  }

  @Test
  void afterTheSnapshotOnlyNewerChangesAreDelivered() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    PresenceSnapshot snapshot = presence.subscribe("bob", sink).watchUsers(List.of("alice"));
    long seen = snapshot.users().get(0).version();

    alice.setIdle(true);
    time.advanceSeconds(1);

    assertThat(sink.changes()).hasSize(1);
    UserPresence change = sink.changes().get(0);
    assertThat(change.state()).isEqualTo(PresenceState.IDLE);
    assertThat(change.version()).isEqualTo(seen + 1);
  }

  @Test
  void unwatchingAUserStopsItsChanges() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    subscriber.watchUsers(List.of("alice", "carol"));

    subscriber.unwatchUsers(List.of("alice", "never-watched"));
    alice.setIdle(true);
    presence.connect("carol", "phone");
    time.advanceSeconds(2);

    assertThat(sink.changes()).extracting(UserPresence::userId).containsExactly("carol");
  }

  @Test
  void aPendingChangeOfAUserUnwatchedWithinTheWindowIsNotDelivered() {
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    subscriber.watchUsers(List.of("alice"));

    presence.connect("alice", "phone");
    time.advanceMillis(500);
    subscriber.unwatchUsers(List.of("alice"));
    time.advanceSeconds(2);

    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void aChangeReachesOnlyItsWatchersNotEveryoneConnected() {
    List<RecordingSink> bystanders = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe(presence.connect("watcher-" + i, "d"), sink).watchUsers(List.of("contact-" + i));
      bystanders.add(sink);
    }
    RecordingSink aliceWatcher = new RecordingSink(time);
    presence.subscribe("bob", aliceWatcher).watchUsers(List.of("alice"));

    presence.connect("alice", "phone");
    time.advanceSeconds(2);

    assertThat(aliceWatcher.changes()).extracting(UserPresence::userId).containsExactly("alice");
    assertThat(bystanders).allMatch(RecordingSink::isUntouched);
  }

  @Test
  void everySubscriberWatchingAUserGetsTheChange() {
    List<RecordingSink> sinks = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("watcher-" + i, sink).watchUsers(List.of("alice"));
      sinks.add(sink);
    }

    presence.connect("alice", "phone");
    time.advanceSeconds(1);

    assertThat(sinks).allSatisfy(sink ->
        assertThat(sink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE));
  }

  @Test
  void aDevicesSubscriptionsEndWhenItDisconnects() {
    DeviceConnection bob = presence.connect("bob", "laptop");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe(bob, sink);
    subscriber.watchUsers(List.of("alice"));
    long before = presence.stats().subscribers();

    bob.disconnect();
    presence.connect("alice", "phone");
    time.advanceSeconds(2);

    assertThat(subscriber.isOpen()).isFalse();
    assertThat(sink.isUntouched()).isTrue();
    assertThat(presence.stats().subscribers()).isEqualTo(before - 1);
    assertThatThrownBy(() -> subscriber.watchUsers(List.of("carol")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void aPendingBatchIsDroppedWhenTheConnectionCloses() {
    DeviceConnection bob = presence.connect("bob", "laptop");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe(bob, sink).watchUsers(List.of("alice"));

    presence.connect("alice", "phone");
    time.advanceMillis(500);
    bob.disconnect();
    time.advanceSeconds(2);

    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void aDevicesSubscriptionsEndWhenAReconnectTakesItOver() {
    DeviceConnection first = presence.connect("bob", "laptop");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe(first, sink);
    subscriber.watchUsers(List.of("alice"));

    presence.connect("bob", "laptop");
    presence.connect("alice", "phone");
    time.advanceSeconds(2);

    assertThat(subscriber.isOpen()).isFalse();
    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void aDevicesSubscriptionsEndWhenItStopsHeartbeating() {
    DeviceConnection bob = presence.connect("bob", "laptop");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe(bob, sink);
    subscriber.watchUsers(List.of("alice"));

    time.advance(PresenceBuilder.DEFAULT_HEARTBEAT_TTL.plusSeconds(1));
    presence.connect("alice", "phone");
    time.advanceSeconds(2);

    assertThat(bob.isOpen()).isFalse();
    assertThat(subscriber.isOpen()).isFalse();
    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void anotherDeviceOfTheSameWatcherKeepsItsOwnSubscription() {
    DeviceConnection laptop = presence.connect("bob", "laptop");
    DeviceConnection phone = presence.connect("bob", "phone");
    RecordingSink laptopSink = new RecordingSink(time);
    RecordingSink phoneSink = new RecordingSink(time);
    Subscriber onLaptop = presence.subscribe(laptop, laptopSink);
    onLaptop.watchUsers(List.of("alice"));
    Subscriber onPhone = presence.subscribe(phone, phoneSink);
    onPhone.watchUsers(List.of("alice"));

    laptop.disconnect();
    presence.connect("alice", "phone");
    time.advanceSeconds(1);

    assertThat(onLaptop.isOpen()).isFalse();
    assertThat(onPhone.isOpen()).isTrue();
    assertThat(laptopSink.isUntouched()).isTrue();
    assertThat(phoneSink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
  }

  @Test
  void subscribingOnAClosedConnectionIsRejected() {
    DeviceConnection bob = presence.connect("bob", "laptop");
    bob.disconnect();

    assertThatThrownBy(() -> presence.subscribe(bob, new RecordingSink(time)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no longer open");
  }

  @Test
  void anApplicationSinkLivesUntilItIsClosed() {
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    subscriber.watchUsers(List.of("alice"));

    time.advance(Duration.ofMinutes(10));
    presence.connect("alice", "phone");
    time.advanceSeconds(1);
    assertThat(subscriber.isOpen()).isTrue();
    assertThat(sink.changes()).hasSize(1);

    subscriber.close();
    subscriber.close();
    presence.setStatus("alice", StatusMode.DND);
    time.advanceSeconds(2);
    assertThat(subscriber.isOpen()).isFalse();
    assertThat(sink.changes()).hasSize(1);
    assertThat(presence.stats().subscribers()).isZero();
  }

  @Test
  void aResubscribeAfterAReconnectGetsTheCurrentState() {
    DeviceConnection bob = presence.connect("bob", "laptop");
    DeviceConnection alice = presence.connect("alice", "phone");
    Subscriber first = presence.subscribe(bob, new RecordingSink(time));
    assertThat(first.watchUsers(List.of("alice", "carol")).users())
        .extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.OFFLINE);

    bob.disconnect();
    alice.setIdle(true);
    presence.connect("carol", "phone");
    presence.setStatus("carol", StatusMode.DND, "focus", null);
    time.advanceSeconds(3);
    DeviceConnection bobAgain = presence.connect("bob", "laptop");
    RecordingSink sink = new RecordingSink(time);
    PresenceSnapshot snapshot = presence.subscribe(bobAgain, sink).watchUsers(List.of("alice", "carol"));

    assertThat(snapshot.users()).containsExactly(presence.get("alice"), presence.get("carol"));
    assertThat(snapshot.users()).extracting(UserPresence::state, UserPresence::customText)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(PresenceState.IDLE, null),
            org.assertj.core.groups.Tuple.tuple(PresenceState.DND, "focus"));
    time.advanceSeconds(2);
    assertThat(sink.isUntouched()).as("nothing older than the snapshot follows").isTrue();

    alice.setIdle(false);
    time.advanceSeconds(1);
    assertThat(sink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
  }

  @Test
  void watchingTheSameUserTwiceDeliversEachChangeOnce() {
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    subscriber.watchUsers(List.of("alice", "alice"));
    subscriber.watchUsers(List.of("alice"));

    presence.connect("alice", "phone");
    time.advanceSeconds(2);

    assertThat(sink.changes()).hasSize(1);
  }
}
