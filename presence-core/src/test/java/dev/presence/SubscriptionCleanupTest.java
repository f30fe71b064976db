package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Interest follows the subscribers: the node watches on the bus exactly the users and channels its
 * open subscribers need, and releases them when they unwatch, close or lose their connection.
 */
class SubscriptionCleanupTest {
  private final ManualTime time = new ManualTime();
  private final InterestRecordingBus bus = new InterestRecordingBus();
  private final Presence presence = Fixtures.manual(time).bus(bus).build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void theNodeWatchesWhatItsSubscribersWatchAndNothingElse() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("general", "carol");
    presence.joinChannel("random", "dave");
    Subscriber subscriber = presence.subscribe("bob", new RecordingSink(time));

    subscriber.watchUsers(List.of("erin"));
    subscriber.watchChannel("general");

    assertThat(bus.users).containsExactlyInAnyOrder("erin", "alice", "carol");
    assertThat(bus.channels).containsExactly("general");
  }

  @Test
  void closingASubscriberReleasesEveryUserAndChannelItWatched() {
    presence.joinChannel("general", "alice");
    Subscriber first = presence.subscribe("bob", new RecordingSink(time));
    first.watchUsers(List.of("alice", "erin"));
    first.watchChannel("general");
    Subscriber second = presence.subscribe("carol", new RecordingSink(time));
    second.watchUsers(List.of("erin"));

    first.close();
    assertThat(bus.users).containsExactly("erin");
    assertThat(bus.channels).isEmpty();

    second.close();
    assertThat(bus.users).isEmpty();
  }

  @Test
  void aClosingConnectionReleasesItsSubscribersInterest() {
    presence.joinChannel("general", "alice");
    DeviceConnection bob = presence.connect("bob", "laptop");
    Subscriber subscriber = presence.subscribe(bob, new RecordingSink(time));
    subscriber.watchUsers(List.of("erin"));
    subscriber.watchChannel("general");

    bob.disconnect();

    assertThat(bus.users).isEmpty();
    assertThat(bus.channels).isEmpty();
  }

  @Test
  void aUserUnwatchedDirectlyStaysWatchedWhileAWatchedChannelHoldsIt() {
    presence.joinChannel("general", "alice");
    Subscriber subscriber = presence.subscribe("bob", new RecordingSink(time));
    subscriber.watchUsers(List.of("alice"));
    subscriber.watchChannel("general");

    subscriber.unwatchUsers(List.of("alice"));
    assertThat(bus.users).containsExactly("alice");

    presence.leaveChannel("general", "alice");
    assertThat(bus.users).isEmpty();
    assertThat(bus.channels).containsExactly("general");
    subscriber.unwatchChannel("general");
    assertThat(bus.channels).isEmpty();
  }

  @Test
  @Timeout(60)
  void watchingRacingCloseOnOneSubscriberLeavesNoInterestBehind() throws Exception {
    presence.joinChannel("general", "alice");
    presence.joinChannel("random", "carol");
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      for (int round = 0; round < 1_000; round++) {
        Subscriber subscriber = presence.subscribe("bob", new RecordingSink(time));
        CyclicBarrier start = new CyclicBarrier(3);
        Random random = new Random(round);
        List<Future<?>> racing = new ArrayList<>();
        racing.add(threads.submit(() -> {
          start.await();
          watchUntilClosed(subscriber, () -> subscriber.watchChannel(random.nextBoolean() ? "general" : "random"));
          return null;
        }));
        racing.add(threads.submit(() -> {
          start.await();
          watchUntilClosed(subscriber, () -> subscriber.watchUsers(List.of("erin", "frank")));
          return null;
        }));
        racing.add(threads.submit(() -> {
          start.await();
          subscriber.close();
          return null;
        }));
        for (Future<?> future : racing) {
          future.get(10, TimeUnit.SECONDS);
        }

        assertThat(bus.users).as("round %d", round).isEmpty();
        assertThat(bus.channels).as("round %d", round).isEmpty();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static void watchUntilClosed(Subscriber subscriber, Runnable watch) {
    for (int i = 0; i < 100; i++) {
      try {
        watch.run();
      } catch (IllegalStateException closed) {
        return;
      }
    }
  }
}
