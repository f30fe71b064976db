package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Subscriptions per subscriber and status changes per device are bounded; past them nothing fans out. */
class LimitsTest {
  private final ManualTime time = new ManualTime();

  @Test
  void aSubscriberWatchesAtMostFiveThousandUsersAndChannelsByDefault() {
    try (Presence presence = Fixtures.manual(time).build()) {
      RecordingSink sink = new RecordingSink(time);
      Subscriber subscriber = presence.subscribe("bob", sink);
      List<String> contacts = IntStream.range(0, 5_000).mapToObj(i -> "contact-" + i).toList();
      assertThat(subscriber.watchUsers(contacts).users()).hasSize(5_000);

      assertThatThrownBy(() -> subscriber.watchUsers(List.of("alice")))
          .isInstanceOfSatisfying(LimitExceededException.class, e -> {
            assertThat(e.limitName()).isEqualTo("maxSubscriptionsPerSubscriber");
            assertThat(e.limit()).isEqualTo(PresenceBuilder.DEFAULT_MAX_SUBSCRIPTIONS_PER_SUBSCRIBER);
          })
          .hasMessage("subscriber of 'bob' watches 5000 users and channels and asked for 1 more;"
              + " the limit (maxSubscriptionsPerSubscriber) is 5000");
      assertThatThrownBy(() -> subscriber.watchChannel("general")).isInstanceOf(LimitExceededException.class);

      presence.joinChannel("general", "carol");
      presence.connect("alice", "phone");
      presence.connect("carol", "phone");
      presence.connect("contact-7", "phone");
      time.advanceSeconds(2);
      assertThat(sink.changes()).as("nothing fans out past the limit")
          .extracting(UserPresence::userId).containsExactly("contact-7");
      assertThat(subscriber.isOpen()).isTrue();
    }
  }

  @Test
  void aWatchThatWouldPassTheLimitIsRejectedWholeAndOnlyNewUsersCount() {
    try (Presence presence = Fixtures.manual(time).maxSubscriptionsPerSubscriber(3).build()) {
      RecordingSink sink = new RecordingSink(time);
      Subscriber subscriber = presence.subscribe("bob", sink);
      subscriber.watchUsers(List.of("a", "b"));

      assertThatThrownBy(() -> subscriber.watchUsers(List.of("c", "d")))
          .isInstanceOf(LimitExceededException.class)
          .hasMessageContaining("watches 2 users and channels and asked for 2 more")
          .hasMessageContaining("is 3");
      presence.connect("c", "phone");
      presence.connect("d", "phone");
      time.advanceSeconds(2);
      assertThat(sink.isUntouched()).isTrue();

      assertThat(subscriber.watchUsers(List.of("a", "b", "c")).users()).hasSize(3);
      assertThat(subscriber.watchUsers(List.of("c", "a")).users()).hasSize(2);
    }
  }

  @Test
  void channelWatchesRacingOnManyThreadsNeverPassTheLimit() throws Exception {
    int limit = 5;
    try (Presence presence = Fixtures.manual(time).maxSubscriptionsPerSubscriber(limit).build()) {
      Subscriber subscriber = presence.subscribe("bob", new RecordingSink(time));
      int threads = 8;
      java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger rejected = new java.util.concurrent.atomic.AtomicInteger();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String channel = "room-" + t;
        Thread worker = new Thread(() -> {
          try {
            start.await();
            subscriber.watchChannel(channel);
            accepted.incrementAndGet();
          } catch (LimitExceededException e) {
            rejected.incrementAndGet();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        worker.start();
        workers.add(worker);
      }
      start.countDown();
      for (Thread worker : workers) {
        worker.join(10_000);
      }

      assertThat(accepted.get()).isEqualTo(limit);
      assertThat(rejected.get()).isEqualTo(threads - limit);
      assertThatThrownBy(() -> subscriber.watchUsers(List.of("alice"))).isInstanceOf(LimitExceededException.class);
    }
  }

  @Test
  void channelsCountTowardTheLimitAndTheirTypingDoesNotFanOutPastIt() {
    try (Presence presence = Fixtures.manual(time).maxSubscriptionsPerSubscriber(2).build()) {
      presence.joinChannel("general", "alice");
      presence.joinChannel("random", "carol");
      RecordingSink sink = new RecordingSink(time);
      Subscriber subscriber = presence.subscribe("bob", sink);
      subscriber.watchUsers(List.of("dave"));
      subscriber.watchChannel("general");

      assertThatThrownBy(() -> subscriber.watchChannel("random"))
          .isInstanceOf(LimitExceededException.class)
          .hasMessageContaining("watches 2 users and channels and asked for 1 more")
          .hasMessageContaining("(maxSubscriptionsPerSubscriber) is 2");
      DeviceConnection carol = presence.connect("carol", "phone");
      carol.typing("random");
      time.advanceSeconds(2);
      assertThat(sink.isUntouched()).isTrue();
      assertThat(subscriber.watchChannel("general").users()).as("watching it again adds nothing").hasSize(1);
    }
  }

  @Test
  void unwatchingMakesRoomAgain() {
    try (Presence presence = Fixtures.manual(time).maxSubscriptionsPerSubscriber(2).build()) {
      Subscriber subscriber = presence.subscribe("bob", new RecordingSink(time));
      subscriber.watchUsers(List.of("a"));
      subscriber.watchChannel("general");

      subscriber.unwatchUsers(List.of("a"));
      subscriber.watchUsers(List.of("b"));
      subscriber.unwatchChannel("general");
      subscriber.watchChannel("random");

      assertThatThrownBy(() -> subscriber.watchUsers(List.of("c"))).isInstanceOf(LimitExceededException.class);
    }
  }

  @Test
  void aDeviceChangesItsStatusAtMostTenTimesPerTenSecondsByDefault() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe("bob", sink).watchUsers(List.of("alice"));
      for (int i = 1; i <= 10; i++) {
        alice.setStatus(StatusMode.AUTO, "status " + i, null);
      }
      long version = presence.get("alice").version();

      assertThatThrownBy(() -> alice.setStatus(StatusMode.DND, "status 11", null))
          .isInstanceOfSatisfying(LimitExceededException.class, e -> {
            assertThat(e.limit()).isEqualTo(PresenceBuilder.DEFAULT_STATUS_CHANGES_PER_WINDOW);
            assertThat(e.getMessage()).contains("(" + e.limitName() + ")");
          })
          .hasMessage("device 'phone' of user 'alice' changed its status too often;"
              + " the limit (statusChangeLimit) is 10 per PT10S, the next change is allowed in PT1S");
      time.advanceSeconds(1);

      assertThat(presence.get("alice").version()).isEqualTo(version);
      assertThat(presence.get("alice").customText()).isEqualTo("status 10");
      assertThat(sink.changes()).extracting(UserPresence::customText).containsExactly("status 10");
    }
  }

  @Test
  void theStatusBudgetRefillsEvenlyOverTheWindow() {
    try (Presence presence = Fixtures.manual(time).build()) {
      DeviceConnection alice = presence.connect("alice", "phone");
      for (int i = 0; i < 10; i++) {
        alice.setStatus(StatusMode.AUTO, "burst " + i, null);
      }
      assertThatThrownBy(() -> alice.setStatus(StatusMode.AUTO, "x", null))
          .isInstanceOf(LimitExceededException.class);

      time.advanceMillis(600);
      assertThatThrownBy(() -> alice.setStatus(StatusMode.AUTO, "x", null))
          .isInstanceOf(LimitExceededException.class)
          .hasMessageEndingWith("the next change is allowed in PT0.4S");
      time.advanceMillis(399);
      assertThatThrownBy(() -> alice.setStatus(StatusMode.AUTO, "x", null))
          .isInstanceOf(LimitExceededException.class);
      time.advanceMillis(1);
      alice.setStatus(StatusMode.DND, "one more", null);
      assertThatThrownBy(() -> alice.setStatus(StatusMode.AUTO, "x", null))
          .isInstanceOf(LimitExceededException.class);
      assertThat(presence.get("alice").customText()).isEqualTo("one more");

      time.advanceSeconds(10);
      for (int i = 0; i < 10; i++) {
        alice.setStatus(StatusMode.AUTO, "again " + i, null);
      }
    }
  }

  @Test
  void eachDeviceHasItsOwnStatusBudget() {
    try (Presence presence = Fixtures.manual(time).statusChangeLimit(2, Duration.ofSeconds(1)).build()) {
      DeviceConnection phone = presence.connect("alice", "phone");
      DeviceConnection laptop = presence.connect("alice", "laptop");
      phone.setStatus(StatusMode.DND, null, null);
      phone.setStatus(StatusMode.AUTO, null, null);

      assertThatThrownBy(() -> phone.setStatus(StatusMode.DND, null, null))
          .isInstanceOf(LimitExceededException.class)
          .hasMessageContaining("is 2 per PT1S");
      laptop.setStatus(StatusMode.DND, null, null);
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.DND);
    }
  }

  @Test
  void aReconnectOfTheSameDeviceKeepsItsSpentStatusBudget() {
    try (Presence presence = Fixtures.manual(time).statusChangeLimit(2, Duration.ofMinutes(1)).build()) {
      DeviceConnection first = presence.connect("alice", "phone");
      first.setStatus(StatusMode.DND, null, null);
      first.setStatus(StatusMode.AUTO, null, null);

      // Taken over while open: the new connection goes on with the old one's bucket.
      DeviceConnection second = presence.connect("alice", "phone");
      assertThat(first.isOpen()).isFalse();
      assertThatThrownBy(() -> second.setStatus(StatusMode.DND, null, null)).isInstanceOf(LimitExceededException.class);

      // Disconnected into grace and back: the bucket went with the close and comes back with the reconnect.
      second.disconnect();
      DeviceConnection third = presence.connect("alice", "phone");
      assertThatThrownBy(() -> third.setStatus(StatusMode.DND, null, null)).isInstanceOf(LimitExceededException.class);

      time.advanceSeconds(30); // half the window: one change back
      third.setStatus(StatusMode.DND, "back", null);
      assertThat(presence.get("alice").customText()).isEqualTo("back");
      assertThatThrownBy(() -> third.setStatus(StatusMode.AUTO, null, null)).isInstanceOf(LimitExceededException.class);
    }
  }

  @Test
  void aRejectedStatusChangeReachesNoSubscriberOnAnyPath() {
    try (Presence presence = Fixtures.manual(time).statusChangeLimit(1, Duration.ofMinutes(1)).build()) {
      presence.joinChannel("general", "alice");
      DeviceConnection alice = presence.connect("alice", "phone");
      List<RecordingSink> sinks = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        RecordingSink sink = new RecordingSink(time);
        Subscriber subscriber = presence.subscribe("watcher-" + i, sink);
        if (i % 2 == 0) {
          subscriber.watchUsers(List.of("alice"));
        } else {
          subscriber.watchChannel("general");
        }
        sinks.add(sink);
      }
      alice.setStatus(StatusMode.DND, "first", null);
      time.advanceSeconds(1);

      assertThatThrownBy(() -> alice.setStatus(StatusMode.AUTO, "second", null))
          .isInstanceOf(LimitExceededException.class);
      time.advanceSeconds(5);

      assertThat(sinks).allSatisfy(sink -> assertThat(sink.changes())
          .extracting(UserPresence::customText).containsExactly("first"));
    }
  }
}
