package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.TypingEvent.Kind;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Typing bursts: one start, a refresh every 5 s of a steady burst, one stop, sent at once to the channel. */
class TypingTest {
  private static final Duration REFRESH = PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL;
  private static final Duration TIMEOUT = PresenceBuilder.DEFAULT_TYPING_TIMEOUT;
  private static final Duration TICK = PresenceBuilder.DEFAULT_TIMER_RESOLUTION;
  private static final Duration MARGIN =
      PresenceBuilder.DEFAULT_FLUSH_INTERVAL.plus(TICK).plusNanos(Typing.DELIVERY_SLACK_NANOS);

  private final ManualTime time = new ManualTime();
  private final java.time.Instant origin = time.instant();
  private final Presence presence = Fixtures.manual(time).build();
  private DeviceConnection alice;
  private RecordingSink bob;
  private RecordingSink carol;
  private RecordingSink aliceLaptop;

  @BeforeEach
  void twoReceiversAndTheTypistsOtherDeviceWatchTheChannel() {
    for (String user : List.of("alice", "bob", "carol")) {
      presence.joinChannel("general", user);
    }
    alice = presence.connect("alice", "phone");
    bob = new RecordingSink(time);
    presence.subscribe(presence.connect("bob", "laptop"), bob).watchChannel("general");
    carol = new RecordingSink(time);
    presence.subscribe("carol", carol).watchChannel("general");
    aliceLaptop = new RecordingSink(time);
    presence.subscribe(presence.connect("alice", "laptop"), aliceLaptop).watchChannel("general");
  }

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aTwentySecondBurstEndedBySendingTheMessageGivesOneStartSparseRefreshesAndOneStop() {
    keystrokesFor(Duration.ofSeconds(20), new Random(1));
    Duration sentAt = time.elapsed();
    alice.messageSent("general");

    for (RecordingSink receiver : List.of(bob, carol)) {
      assertOneBurst(receiver, stop -> assertThat(stop.at()).isEqualTo(sentAt));
    }
    assertThat(aliceLaptop.typingEvents()).as("never back to the typist").isEmpty();
  }

  @Test
  void aTwentySecondBurstEndedByADisconnectGivesOneStartSparseRefreshesAndOneStop() {
    keystrokesFor(Duration.ofSeconds(20), new Random(2));
    Duration goneAt = time.elapsed();
    alice.disconnect();

    for (RecordingSink receiver : List.of(bob, carol)) {
      assertOneBurst(receiver, stop -> assertThat(stop.at()).isEqualTo(goneAt));
    }
    assertThat(alice.typing("general")).as("a closed connection types no more").isFalse();
    time.advanceSeconds(10);
    assertThat(bob.typingKindsOf("alice")).endsWith(Kind.STOPPED).containsOnlyOnce(Kind.STOPPED);
  }

  @Test
  void aTwentySecondBurstThatJustStopsEndsFiveSecondsAfterTheLastKeystroke() {
    Duration lastKeystroke = keystrokesFor(Duration.ofSeconds(20), new Random(3));
    time.advanceSeconds(10);

    for (RecordingSink receiver : List.of(bob, carol)) {
      assertOneBurst(receiver, stop -> assertThat(stop.at())
          .isBetween(lastKeystroke.plus(TIMEOUT), lastKeystroke.plus(TIMEOUT).plus(TICK)));
    }
    assertThat(aliceLaptop.typingEvents()).isEmpty();
  }

  @Test
  void anExplicitStopEndsTheBurstAtOnce() {
    alice.typing("general");
    time.advanceMillis(700);
    alice.typing("general");
    alice.stopTyping("general");
    alice.stopTyping("general");

    assertThat(bob.typed()).extracting(t -> t.event().kind(), RecordingSink.Typed::at)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Kind.STARTED, Duration.ZERO),
            org.assertj.core.groups.Tuple.tuple(Kind.STOPPED, Duration.ofMillis(700)));
    time.advanceSeconds(10);
    assertThat(bob.typingEvents()).hasSize(2);
  }

  @Test
  void typingGoesOutAtOnceWithoutWaitingForTheFlushWindow() {
    presence.connect("dave", "phone");
    alice.typing("general");

    assertThat(bob.typed()).singleElement().satisfies(typed -> {
      assertThat(typed.at()).isEqualTo(Duration.ZERO);
      assertThat(typed.event().kind()).isEqualTo(Kind.STARTED);
      assertThat(typed.event().channelId()).isEqualTo("general");
      assertThat(typed.event().userId()).isEqualTo("alice");
    });
    assertThat(bob.batches()).as("presence still waits for its window").isEmpty();
  }

  @Test
  void eventsCarryWhenReceiversShouldDropThemAndTheStopCarriesNone() {
    java.time.Instant start = time.instant();
    for (int i = 0; i <= 51; i++) { // to 5.1 s: a refresh
      alice.typing("general");
      time.advanceMillis(i < 51 ? 100 : 0);
    }
    alice.messageSent("general");

    List<TypingEvent> events = bob.typingEvents();
    assertThat(events).extracting(TypingEvent::kind).containsExactly(Kind.STARTED, Kind.REFRESHED, Kind.STOPPED);
    Duration expiry = TIMEOUT.plus(REFRESH).plus(MARGIN);
    assertThat(events.get(0).expiresAt()).isEqualTo(start.plus(expiry));
    assertThat(events.get(1).expiresAt()).isEqualTo(time.instant().plus(expiry));
    assertThat(events.get(2).expiresAt()).isNull();
  }

  @Test
  void keystrokesCloserThanTheRefreshIntervalSendNothingMore() {
    for (int i = 0; i < 50; i++) {
      alice.typing("general");
      time.advanceMillis(100);
    }
    alice.typing("general");

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED);
  }

  @Test
  void aKeystrokeAfterTheTimeoutStartsANewBurst() {
    alice.typing("general");
    time.advance(TIMEOUT.plus(TICK));
    alice.typing("general");

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED, Kind.STARTED);
  }

  @Test
  void aReconnectThatTakesOverTheTypingDeviceEndsItsBurst() {
    alice.typing("general");
    presence.connect("alice", "phone");

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void aBurstContinuedOnAnotherDeviceOutlivesTheFirstDevicesDisconnect() {
    DeviceConnection tablet = presence.connect("alice", "tablet");
    alice.typing("general");
    time.advanceMillis(300);
    tablet.typing("general");
    alice.disconnect();
    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED);

    tablet.disconnect();
    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void typingIsNotSentBackToTheTypistButTheTypistSeesOthers() {
    DeviceConnection bobDevice = presence.connect("bob", "phone");
    alice.typing("general");
    bobDevice.typing("general");

    assertThat(aliceLaptop.typingEvents()).extracting(TypingEvent::userId).containsExactly("bob");
    assertThat(bob.typingEvents()).extracting(TypingEvent::userId).containsExactly("alice");
    assertThat(carol.typingEvents()).extracting(TypingEvent::userId).containsExactly("alice", "bob");
  }

  @Test
  void typingTheIdsApiWayWorksLikeTheHandle() {
    assertThat(presence.typing("alice", "phone", "general")).isTrue();
    assertThat(presence.typing("alice", "unknown-device", "general")).isFalse();
    assertThat(presence.messageSent("alice", "phone", "general")).isTrue();

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void theChannelsOneUserTypesInAtOnceAreBounded() {
    for (int i = 1; i <= PresenceBuilder.DEFAULT_MAX_TYPING_CHANNELS_PER_USER; i++) {
      presence.joinChannel("room-" + i, "alice");
      alice.typing("room-" + i);
    }

    assertThatThrownBy(() -> alice.typing("general"))
        .isInstanceOfSatisfying(LimitExceededException.class, e -> {
          assertThat(e.limitName()).isEqualTo("maxTypingChannelsPerUser");
          assertThat(e.limit()).isEqualTo(PresenceBuilder.DEFAULT_MAX_TYPING_CHANNELS_PER_USER);
        })
        .hasMessageContaining("'alice'")
        .hasMessageContaining("already typing in 5 channels")
        .hasMessageContaining("maxTypingChannelsPerUser")
        .hasMessageContaining("is 5");
    assertThat(bob.typingEvents()).as("nothing fans out").isEmpty();

    alice.messageSent("room-1");
    alice.typing("general");
    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED);
  }

  @Test
  void typingRejectedPastTheChannelLimitLeavesNoChannelBehind() {
    for (int i = 1; i <= PresenceBuilder.DEFAULT_MAX_TYPING_CHANNELS_PER_USER; i++) {
      presence.joinChannel("room-" + i, "alice");
      alice.typing("room-" + i);
    }
    for (int i = 0; i < 1_000; i++) {
      int room = i;
      presence.joinChannel("spam-" + room, "alice");
      assertThatThrownBy(() -> alice.typing("spam-" + room)).isInstanceOf(LimitExceededException.class);
      presence.leaveChannel("spam-" + room, "alice");
    }

    assertThat(channelsOnThisNode()).as("typing spam past the limit costs no memory")
        .noneMatch(id -> id.startsWith("spam-"));
  }

  @Test
  void typingInChannelsTheUserIsNotAMemberOfCostsNoMemory() {
    for (int i = 0; i < 1_000; i++) {
      assertThat(alice.typing("spam-" + i)).isFalse();
    }

    assertThat(channelsOnThisNode()).containsExactly("general");
  }

  @Test
  void aChannelNobodyWatchesIsForgottenOnceItsLastMemberLeaves() {
    presence.joinChannel("side-room", "alice");
    alice.typing("side-room");
    assertThat(channelsOnThisNode()).contains("side-room");

    alice.messageSent("side-room");
    presence.leaveChannel("side-room", "alice");

    assertThat(channelsOnThisNode()).containsExactly("general");
  }

  private java.util.Set<String> channelsOnThisNode() {
    return ((PresenceEngine) presence).hub.channels.byId.keySet();
  }

  /** Types in the channel every 100 to 300 ms for {@code length}; returns when the last key was hit. */
  private Duration keystrokesFor(Duration length, Random random) {
    Duration end = time.elapsed().plus(length);
    Duration last = time.elapsed();
    while (time.elapsed().compareTo(end) < 0) {
      assertThat(alice.typing("general")).isTrue();
      last = time.elapsed();
      time.advanceMillis(100 + random.nextInt(201));
    }
    return last;
  }

  /** One start, three refreshes no closer than 5 s that keep the indicator alive, then one stop. */
  private void assertOneBurst(RecordingSink receiver, Consumer<RecordingSink.Typed> stop) {
    List<RecordingSink.Typed> typed = receiver.typed();
    assertThat(typed).extracting(t -> t.event().userId()).containsOnly("alice");
    List<Kind> kinds = typed.stream().map(t -> t.event().kind()).toList();
    assertThat(kinds.get(0)).isEqualTo(Kind.STARTED);
    assertThat(kinds.get(kinds.size() - 1)).isEqualTo(Kind.STOPPED);
    assertThat(kinds.subList(1, kinds.size() - 1)).containsOnly(Kind.REFRESHED).hasSize(3);
    for (int i = 1; i < typed.size() - 1; i++) {
      RecordingSink.Typed previous = typed.get(i - 1);
      RecordingSink.Typed refresh = typed.get(i);
      assertThat(refresh.at().minus(previous.at())).as("refresh %d", i).isGreaterThanOrEqualTo(REFRESH);
      assertThat(previous.event().expiresAt()).as("the indicator stays on until refresh %d", i)
          .isAfterOrEqualTo(origin.plus(refresh.at()).plus(MARGIN));
    }
    stop.accept(typed.get(typed.size() - 1));
  }

  @Test
  void typingIsInputSoATypistStaysOnlineForMinutesWithoutOtherInput() {
    try (Presence quick = Fixtures.manual(time).idleAfter(Duration.ofMinutes(5)).build()) {
      quick.joinChannel("general", "alice");
      DeviceConnection typist = quick.connect("alice", "phone");
      DeviceConnection sender = quick.connect("dave", "phone");
      quick.joinChannel("general", "dave");
      for (int second = 0; second < 6 * 60; second += 10) {
        time.advanceSeconds(10);
        typist.typing("general");
        if (second % 60 == 0) {
          sender.messageSent("general");
        }
        typist.heartbeat();
        sender.heartbeat();
      }

      assertThat(quick.get("alice").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(quick.get("dave").state()).as("sending a message is input too").isEqualTo(PresenceState.ONLINE);
    }
  }

  @Test
  void aTypingReportForAChannelTheUserIsNotAMemberOfIsRefusedAndSendsNothing() {
    presence.leaveChannel("general", "alice");
    time.advanceSeconds(1);

    assertThat(alice.typing("general")).isFalse();
    assertThat(alice.typing("elsewhere")).isFalse();
    assertThat(presence.typing("alice", "phone", "general")).isFalse();

    assertThat(bob.typingEvents()).isEmpty();
    assertThat(carol.typingEvents()).isEmpty();
  }
}
