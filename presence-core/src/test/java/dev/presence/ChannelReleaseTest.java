package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.testkit.ManualTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A channel with no members, no watchers and no typing is released; refused calls leave nothing. */
class ChannelReleaseTest {
  private final ManualTime time = new ManualTime();
  private final Presence presence =
      Fixtures.manual(time).maxSubscriptionsPerSubscriber(100).maxTypingChannelsPerUser(2).build();
  private final SubscriptionHub hub = ((PresenceEngine) presence).hub;

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aHostileClientJoiningAndWatchingTenThousandChannelsLeavesNothingOnceItLeaves() {
    DeviceConnection mallory = presence.connect("mallory", "tab");
    Subscriber subscriber = presence.subscribe(mallory, new RecordingSink(time));
    for (int i = 0; i < 10_000; i++) {
      String channel = "c" + i;
      presence.joinChannel(channel, "mallory");
      try {
        subscriber.watchChannel(channel);
      } catch (LimitExceededException refused) {
        presence.leaveChannel(channel, "mallory"); // the application undoes its join, as the demo does
      }
    }
    assertThat(hub.channels.byId).hasSize(100);

    mallory.disconnect();
    for (int i = 0; i < 100; i++) {
      presence.leaveChannel("c" + i, "mallory");
    }

    assertThat(hub.channels.byId).isEmpty();
    assertThat(hub.isEmpty()).as("memberships, watchers, interest and typing all released").isTrue();
  }

  @Test
  void aWatchRefusedByTheSubscriptionLimitLeavesNoChannel() {
    Subscriber subscriber = presence.subscribe("bob", new RecordingSink(time));
    for (int i = 0; i < 100; i++) {
      subscriber.watchChannel("c" + i);
    }

    assertThatThrownBy(() -> subscriber.watchChannel("one-too-many")).isInstanceOf(LimitExceededException.class);

    assertThat(hub.channels.byId).doesNotContainKey("one-too-many").hasSize(100);
    subscriber.close();
    assertThat(hub.channels.byId).isEmpty();
  }

  @Test
  void aWatchOnAClosedSubscriberLeavesNoChannel() {
    Subscriber subscriber = presence.subscribe("bob", new RecordingSink(time));
    subscriber.close();

    assertThatThrownBy(() -> subscriber.watchChannel("general")).isInstanceOf(IllegalStateException.class);

    assertThat(hub.channels.byId).isEmpty();
  }

  @Test
  void typingRefusedByTheChannelLimitLeavesNoChannel() {
    for (String channel : List.of("a", "b", "c")) {
      presence.joinChannel(channel, "alice");
    }
    DeviceConnection alice = presence.connect("alice", "phone");
    alice.typing("a");
    alice.typing("b");

    assertThatThrownBy(() -> alice.typing("c")).isInstanceOf(LimitExceededException.class);
    alice.disconnect();
    for (String channel : List.of("a", "b", "c")) {
      presence.leaveChannel(channel, "alice");
    }

    assertThat(hub.channels.byId).isEmpty();
    assertThat(hub.isEmpty()).isTrue();
  }

  @Test
  void typingInAChannelTheUserIsNotAMemberOfCreatesNoChannel() {
    DeviceConnection alice = presence.connect("alice", "phone");

    assertThat(alice.typing("nowhere")).isFalse();

    assertThat(hub.channels.byId).isEmpty();
  }
}
