package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.presence.TypingEvent.Kind;
import dev.presence.testkit.ManualTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A subscriber watching a channel: its members' presence and typing in it. */
class ChannelSubscriptionTest {
  private final ManualTime time = new ManualTime();
  private final Presence presence = Fixtures.manual(time).build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aChannelSubscriberSeesItsMembersPresenceAndTyping() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("general", "carol");
    presence.joinChannel("general", "bob");
    DeviceConnection bob = presence.connect("bob", "laptop");
    RecordingSink sink = new RecordingSink(time);
    PresenceSnapshot snapshot = presence.subscribe(bob, sink).watchChannel("general");
    assertThat(snapshot.users()).extracting(UserPresence::userId)
        .containsExactlyInAnyOrder("alice", "carol", "bob");

    DeviceConnection alice = presence.connect("alice", "phone");
    presence.connect("carol", "phone").setIdle(true);
    alice.typing("general");

    assertThat(sink.typingEvents()).extracting(TypingEvent::channelId, TypingEvent::userId, TypingEvent::kind)
        .containsExactly(tuple("general", "alice", Kind.STARTED));
    time.advanceSeconds(1);
    assertThat(sink.changes()).extracting(UserPresence::userId, UserPresence::state)
        .containsExactlyInAnyOrder(tuple("alice", PresenceState.ONLINE), tuple("carol", PresenceState.IDLE));
  }

  @Test
  void theChannelSnapshotHoldsEveryMembersPresence() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("general", "carol");
    presence.connect("alice", "phone");

    PresenceSnapshot snapshot = presence.subscribe("bob", new RecordingSink(time)).watchChannel("general");

    assertThat(snapshot.users())
        .containsExactlyInAnyOrder(presence.get("alice"), UserPresence.unknown("carol"));
  }

  @Test
  void presenceOfUsersOutsideTheChannelIsNotDelivered() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("random", "dave");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe("bob", sink).watchChannel("general");

    presence.connect("dave", "phone");
    presence.connect("erin", "phone");
    time.advanceSeconds(2);

    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void typingInAnotherChannelIsNotDelivered() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("random", "alice");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe("bob", sink).watchChannel("general");
    DeviceConnection alice = presence.connect("alice", "phone");
    time.advanceSeconds(1);
    sink.clear();

    alice.typing("random");
    time.advanceSeconds(10);

    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void aMemberWhoJoinsLaterComesWithItsCurrentPresenceInTheNextBatch() {
    RecordingSink sink = new RecordingSink(time);
    presence.joinChannel("general", "carol");
    presence.subscribe("bob", sink).watchChannel("general");
    DeviceConnection alice = presence.connect("alice", "phone");
    presence.setStatus("alice", StatusMode.DND, "deep work", null);
    time.advanceSeconds(2);
    assertThat(sink.isUntouched()).isTrue();

    presence.joinChannel("general", "alice");
    time.advanceMillis(999);
    assertThat(sink.batches()).isEmpty();
    time.advanceMillis(1);
    assertThat(sink.changes()).containsExactly(presence.get("alice"));

    alice.setIdle(true);
    time.advanceSeconds(1);
    assertThat(sink.changesOf("alice")).hasSize(1);
    presence.setStatus("alice", StatusMode.AUTO);
    time.advanceSeconds(1);
    assertThat(sink.changesOf("alice")).extracting(UserPresence::state)
        .containsExactly(PresenceState.DND, PresenceState.IDLE);
  }

  @Test
  void anOfflineMemberWhoJoinsSendsNothing() {
    RecordingSink sink = new RecordingSink(time);
    presence.joinChannel("general", "carol");
    presence.subscribe("bob", sink).watchChannel("general");

    presence.joinChannel("general", "alice");
    time.advanceSeconds(2);

    assertThat(sink.isUntouched()).isTrue();
    presence.connect("alice", "phone");
    time.advanceSeconds(1);
    assertThat(sink.changes()).extracting(UserPresence::userId, UserPresence::state)
        .containsExactly(tuple("alice", PresenceState.ONLINE));
  }

  @Test
  void aMemberWhoLeavesIsNoLongerDelivered() {
    presence.joinChannel("general", "alice");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe("bob", sink).watchChannel("general");

    presence.leaveChannel("general", "alice");
    presence.leaveChannel("general", "alice");
    presence.connect("alice", "phone");
    time.advanceSeconds(2);

    assertThat(sink.isUntouched()).isTrue();
    assertThat(presence.channelMembers("general")).isEmpty();
  }

  @Test
  void aMemberWhoLeavesIsStillDeliveredWhenWatchedDirectly() {
    presence.joinChannel("general", "alice");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    subscriber.watchChannel("general");
    subscriber.watchUsers(List.of("alice"));

    presence.leaveChannel("general", "alice");
    presence.connect("alice", "phone");
    time.advanceSeconds(2);

    assertThat(sink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
  }

  @Test
  void aUserSeenThroughTwoChannelsIsDeliveredOnce() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("random", "alice");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    subscriber.watchChannel("general");
    subscriber.watchChannel("random");
    subscriber.watchUsers(List.of("alice"));

    presence.connect("alice", "phone");
    time.advanceSeconds(2);
    subscriber.unwatchChannel("general");
    presence.setStatus("alice", StatusMode.DND);
    time.advanceSeconds(2);

    assertThat(sink.changes()).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.DND);
  }

  @Test
  void unwatchingAChannelStopsItsPresenceAndTyping() {
    presence.joinChannel("general", "alice");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    subscriber.watchChannel("general");
    DeviceConnection alice = presence.connect("alice", "phone");
    time.advanceSeconds(1);
    sink.clear();

    subscriber.unwatchChannel("general");
    subscriber.unwatchChannel("general");
    alice.typing("general");
    alice.setIdle(true);
    time.advanceSeconds(10);

    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void leavingTheChannelEndsTheLeaversTyping() {
    presence.joinChannel("general", "alice");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe("bob", sink).watchChannel("general");
    DeviceConnection alice = presence.connect("alice", "phone");
    alice.typing("general");

    presence.leaveChannel("general", "alice");

    assertThat(sink.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void watchingAChannelMidBurstShowsWhoIsTypingInTheSnapshot() {
    presence.joinChannel("general", "alice");
    DeviceConnection alice = presence.connect("alice", "phone");
    alice.typing("general");
    time.advanceMillis(1_500);
    alice.typing("general");

    PresenceSnapshot snapshot = presence.subscribe("bob", new RecordingSink(time)).watchChannel("general");

    assertThat(snapshot.typing()).singleElement().satisfies(event -> {
      assertThat(event.userId()).isEqualTo("alice");
      assertThat(event.kind()).isEqualTo(Kind.STARTED);
      // The expiry its start carried to the other receivers: the next refresh comes before it.
      assertThat(event.expiresAt()).isEqualTo(time.instant().minusMillis(1_500)
          .plus(PresenceBuilder.DEFAULT_TYPING_TIMEOUT).plus(PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL)
          .plus(PresenceBuilder.DEFAULT_FLUSH_INTERVAL).plus(PresenceBuilder.DEFAULT_TIMER_RESOLUTION)
          .plusNanos(Typing.DELIVERY_SLACK_NANOS));
    });
  }

  @Test
  void theChannelMembersAreTheOnesJoinedAndNotLeft() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("general", "bob");
    presence.joinChannel("general", "bob");
    presence.joinChannel("general", "carol");
    presence.leaveChannel("general", "carol");
    presence.leaveChannel("random", "carol");

    assertThat(presence.channelMembers("general")).containsExactlyInAnyOrder("alice", "bob");
    assertThat(presence.channelMembers("random")).isEmpty();
  }
}
