package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A blocked or throwing sink delays nobody else. Sinks run on the engine's default delivery pool
 * (real threads); the flush window is driven by the manual clock, and the test waits for deliveries
 * (latches and bounded polls on sink calls), never for a timer.
 */
@Timeout(60)
class SlowSinkTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ManualTime time = new ManualTime();
  private final Presence presence = Fixtures.manualWithDeliveryPool(time).build();
  private final BlockingSink blocked = new BlockingSink();

  @AfterEach
  void close() {
    blocked.release.countDown();
    presence.close();
  }

  @Test
  void aBlockedSinkLeavesTheOtherSubscribersOnTime() throws Exception {
    RecordingSink carol = new RecordingSink(time);
    RecordingSink dave = new RecordingSink(time);
    presence.subscribe("bob", blocked).watchUsers(List.of("alice"));
    presence.subscribe("carol", carol).watchUsers(List.of("alice"));
    presence.subscribe("dave", dave).watchUsers(List.of("alice"));

    DeviceConnection alice = presence.connect("alice", "phone");
    time.advanceSeconds(1);
    assertThat(blocked.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(carol.await(() -> carol.batches().size() == 1, WAIT)).isTrue();
    assertThat(dave.await(() -> dave.batches().size() == 1, WAIT)).isTrue();

    alice.setIdle(true);
    time.advanceSeconds(1);

    assertThat(carol.await(() -> carol.batches().size() == 2, WAIT)).as("carol's next window").isTrue();
    assertThat(dave.await(() -> dave.batches().size() == 2, WAIT)).as("dave's next window").isTrue();
    assertThat(carol.batches().get(1).at()).isEqualTo(Duration.ofSeconds(2));
    assertThat(carol.changes()).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.IDLE);
    assertThat(blocked.calls()).isEqualTo(1);
  }

  @Test
  void aBlockedSinksBacklogHoldsOneEntryPerWatchedUserAndCatchesUpWithTheLatest() throws Exception {
    List<String> users = List.of("u0", "u1", "u2");
    presence.subscribe("bob", blocked).watchUsers(users);
    presence.connect("u0", "phone");
    time.advanceSeconds(1);
    assertThat(blocked.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    for (int i = 0; i < 3_000; i++) {
      presence.setStatus(users.get(i % 3), StatusMode.AUTO, "text " + i, null);
      if (i % 300 == 0) {
        time.advanceSeconds(1);
      }
    }
    time.advanceSeconds(2);
    blocked.release.countDown();

    assertThat(blocked.await(() -> blocked.batches().size() == 2, WAIT)).isTrue();
    assertThat(blocked.batches().get(1)).containsExactlyInAnyOrderElementsOf(presence.getAll(users));
    time.advanceSeconds(5);
    assertThat(blocked.calls()).isEqualTo(2);
  }

  @Test
  void aBlockedSinkNeverBlocksTheCallerEvenWithImmediateDelivery() throws Exception {
    try (Presence immediate = Fixtures.manualWithDeliveryPool(time).flushInterval(Duration.ZERO).build()) {
      immediate.joinChannel("general", "alice");
      immediate.subscribe("bob", blocked).watchChannel("general");
      RecordingSink carol = new RecordingSink(time);
      immediate.subscribe("carol", carol).watchChannel("general");
      DeviceConnection alice = immediate.connect("alice", "phone");
      assertThat(blocked.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

      for (int i = 0; i < 500; i++) {
        immediate.setStatus("alice", StatusMode.AUTO, "text " + i, null);
        alice.typing("general");
        alice.stopTyping("general");
      }
      alice.typing("general");

      assertThat(carol.await(() -> carol.changes().stream().anyMatch(p -> "text 499".equals(p.customText()))
              && lastKind(carol.typingKindsOf("alice")) == Kind.STARTED, WAIT))
          .as("carol caught up with the latest presence and typing").isTrue();
      blocked.release.countDown();
      assertThat(blocked.await(() -> blocked.typing().size() > 0 && blocked.batches().size() >= 2, WAIT)).isTrue();
      assertThat(blocked.typing()).as("typing coalesced per channel and user while blocked")
          .singleElement().satisfies(event -> assertThat(event.kind()).isEqualTo(Kind.STARTED));
      assertThat(blocked.await(() -> immediate.get("alice").equals(last(blocked.batches())), WAIT)).isTrue();
    }
  }

  @Test
  void aThrowingSinkIsCountedAndTheOthersStillGetTheirBatch() throws Exception {
    ThrowingSink throwing = new ThrowingSink();
    RecordingSink carol = new RecordingSink(time);
    Subscriber failing = presence.subscribe("bob", throwing);
    failing.watchUsers(List.of("alice"));
    presence.subscribe("carol", carol).watchUsers(List.of("alice"));

    DeviceConnection alice = presence.connect("alice", "phone");
    time.advanceSeconds(1);
    assertThat(carol.await(() -> carol.batches().size() == 1, WAIT)).isTrue();
    assertThat(throwing.calls.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    alice.setIdle(true);
    time.advanceSeconds(1);

    assertThat(carol.await(() -> carol.batches().size() == 2, WAIT)).isTrue();
    assertThat(throwing.secondCall.await(WAIT.toSeconds(), TimeUnit.SECONDS))
        .as("the throwing subscriber stays open and gets later batches").isTrue();
    assertThat(failing.isOpen()).isTrue();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (presence.stats().sinkFailures() < 2 && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // the failure is counted right after the sink call returns
    }
    assertThat(presence.stats().sinkFailures()).isEqualTo(2);
  }

  @Test
  void aThrowingSinkIsCountedForPresenceAndTypingAlikeWithInlineDelivery() {
    try (Presence inline = Fixtures.manual(time).build()) {
      inline.joinChannel("general", "alice");
      ThrowingSink throwing = new ThrowingSink();
      RecordingSink carol = new RecordingSink(time);
      inline.subscribe("bob", throwing).watchChannel("general");
      inline.subscribe("carol", carol).watchChannel("general");

      DeviceConnection alice = inline.connect("alice", "phone");
      alice.typing("general");
      time.advanceSeconds(1);
      alice.messageSent("general");

      assertThat(inline.stats().sinkFailures()).isEqualTo(3);
      assertThat(carol.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
      assertThat(carol.changes()).extracting(UserPresence::userId).containsExactly("alice");
    }
  }

  private static Kind lastKind(List<Kind> kinds) {
    return kinds.isEmpty() ? null : kinds.get(kinds.size() - 1);
  }

  private static UserPresence last(List<List<UserPresence>> batches) {
    List<UserPresence> batch = batches.get(batches.size() - 1);
    return batch.get(batch.size() - 1);
  }

  /** Blocks in its first call until released; records what it gets. */
  private static final class BlockingSink implements PresenceSink {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final List<List<UserPresence>> batches = new ArrayList<>();
    private final List<TypingEvent> typing = new ArrayList<>();
    private int calls;

    @Override
    public void onPresence(List<UserPresence> changes) {
      synchronized (this) {
        batches.add(changes);
        calls++;
        notifyAll();
      }
      block();
    }

    @Override
    public void onTyping(List<TypingEvent> events) {
      synchronized (this) {
        typing.addAll(events);
        calls++;
        notifyAll();
      }
      block();
    }

    private void block() {
      entered.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    synchronized int calls() {
      return calls;
    }

    synchronized List<List<UserPresence>> batches() {
      return List.copyOf(batches);
    }

    synchronized List<TypingEvent> typing() {
      return List.copyOf(typing);
    }

    synchronized boolean await(java.util.function.BooleanSupplier done, Duration timeout)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }

  /** Throws on every call. */
  private static final class ThrowingSink implements PresenceSink {
    final CountDownLatch calls = new CountDownLatch(1);
    final CountDownLatch secondCall = new CountDownLatch(2);

    @Override
    public void onPresence(List<UserPresence> changes) {
      calls.countDown();
      secondCall.countDown();
      throw new IllegalStateException("socket gone");
    }

    @Override
    public void onTyping(List<TypingEvent> events) {
      calls.countDown();
      secondCall.countDown();
      throw new IllegalStateException("socket gone");
    }
  }
}
