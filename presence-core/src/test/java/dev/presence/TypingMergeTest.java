package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Typing that arrives while a receiver's sink is still busy is merged, keeping the strongest kind: a
 * burst that began while the receiver was busy still reaches it as STARTED, and one that began and
 * ended while it was busy reaches it not at all.
 */
class TypingMergeTest {
  private final ManualTime time = new ManualTime();
  /** Holds sink calls until the test runs them: while one is held, the receiver is busy. */
  private final HeldExecutor delivery = new HeldExecutor();
  private final Presence presence =
      Presence.builder().ticker(time).clock(time).scheduler(time).deliveryExecutor(delivery).build();
  private final RecordingSink bob = new RecordingSink(time);
  private DeviceConnection alice;
  private DeviceConnection carol;

  @BeforeEach
  void bobWatchesTheChannel() {
    for (String user : List.of("alice", "bob", "carol")) {
      presence.joinChannel("general", user);
    }
    presence.subscribe("bob", bob).watchChannel("general");
    alice = presence.connect("alice", "phone");
    carol = presence.connect("carol", "phone");
    time.advanceSeconds(1);
    delivery.runAll(); // the members' presence batch
  }

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aBurstThatStartsAndGoesOnWhileTheReceiverIsBusyArrivesAsStartedWithTheNewestExpiry() {
    carol.typing("general"); // bob's sink is now busy with carol's start
    alice.typing("general");
    typeUntilARefresh(alice); // a refresh, merged into alice's pending start
    Instant newest = time.instant().plus(PresenceBuilder.DEFAULT_TYPING_TIMEOUT)
        .plus(PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL).plus(PresenceBuilder.DEFAULT_FLUSH_INTERVAL)
        .plus(PresenceBuilder.DEFAULT_TIMER_RESOLUTION).plusNanos(Typing.DELIVERY_SLACK_NANOS);

    delivery.runAll();

    assertThat(bob.typingEvents()).filteredOn(e -> e.userId().equals("alice"))
        .singleElement()
        .satisfies(e -> {
          assertThat(e.kind()).isEqualTo(Kind.STARTED);
          assertThat(e.expiresAt()).isEqualTo(newest);
        });
  }

  @Test
  void aBurstThatStartsAndStopsWhileTheReceiverIsBusySendsNothing() {
    carol.typing("general");
    alice.typing("general");
    alice.messageSent("general");

    delivery.runAll();

    assertThat(bob.typingKindsOf("alice")).isEmpty();
    assertThat(bob.typingKindsOf("carol")).containsExactly(Kind.STARTED);
  }

  @Test
  void aRefreshThenAStopWhileTheReceiverIsBusySendsTheStop() {
    alice.typing("general");
    delivery.runAll(); // bob shows alice typing
    carol.typing("general");
    typeUntilARefresh(alice);
    alice.stopTyping("general");

    delivery.runAll();

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void aStopThenANewBurstThenItsStopWhileBusyStillEndsTheIndicatorTheReceiverShows() {
    alice.typing("general");
    delivery.runAll(); // bob shows alice typing
    carol.typing("general");
    alice.stopTyping("general");
    alice.typing("general");
    alice.stopTyping("general");

    delivery.runAll();

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void aStopThenANewBurstWhileBusyKeepsTheIndicatorOnAsAStart() {
    alice.typing("general");
    delivery.runAll();
    carol.typing("general");
    alice.stopTyping("general");
    alice.typing("general");

    delivery.runAll();

    assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STARTED);
  }

  @Test
  @Timeout(30)
  void onTheRealDeliveryPoolABusyReceiverStillSeesTheBurstStart() throws Exception {
    try (Presence pooled = Fixtures.manualWithDeliveryPool(time).build()) {
      pooled.joinChannel("general", "alice");
      pooled.joinChannel("general", "carol");
      BusyOnceSink busy = new BusyOnceSink();
      pooled.subscribe("bob", busy).watchChannel("general");
      DeviceConnection c = pooled.connect("carol", "phone");
      DeviceConnection a = pooled.connect("alice", "phone");
      c.typing("general");
      assertThat(busy.entered.await(10, TimeUnit.SECONDS)).isTrue(); // busy with carol's start
      a.typing("general");
      typeUntilARefresh(a, c); // carol types on too, or her burst would time out meanwhile

      busy.release.countDown();

      assertThat(busy.awaitEvents(3, Duration.ofSeconds(10))).isTrue();
      assertThat(busy.events()).extracting(TypingEvent::userId, TypingEvent::kind)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("carol", Kind.STARTED),
              org.assertj.core.groups.Tuple.tuple("alice", Kind.STARTED),
              org.assertj.core.groups.Tuple.tuple("carol", Kind.REFRESHED));
    }
  }

  /** A keystroke of each typist a second until one past the refresh interval, which sends a refresh. */
  private void typeUntilARefresh(DeviceConnection... typists) {
    for (int second = 0; second <= PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL.toSeconds(); second++) {
      time.advanceSeconds(1);
      for (DeviceConnection typist : typists) {
        typist.typing("general");
      }
    }
  }

  /** An executor that queues tasks until {@link #runAll}. */
  static final class HeldExecutor implements Executor {
    private final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    /** Runs every queued task, including those queued by the tasks it runs. */
    void runAll() {
      while (true) {
        Runnable next;
        synchronized (this) {
          next = tasks.poll();
        }
        if (next == null) {
          return;
        }
        next.run();
      }
    }
  }

  /** Blocks in its first typing call until released; records every event. */
  private static final class BusyOnceSink implements PresenceSink {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final List<TypingEvent> events = new java.util.ArrayList<>();

    @Override
    public void onPresence(List<UserPresence> changes) {}

    @Override
    public void onTyping(List<TypingEvent> batch) {
      synchronized (this) {
        events.addAll(batch);
        notifyAll();
      }
      entered.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    synchronized List<TypingEvent> events() {
      return List.copyOf(events);
    }

    synchronized boolean awaitEvents(int count, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (events.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }
}
