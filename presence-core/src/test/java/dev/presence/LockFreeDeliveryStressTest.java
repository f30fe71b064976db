package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The races of the lock-free delivery paths: fanout queues edges and arms flushes with CASes while
 * the tick takes the incoming stacks, and a sink call ends its flight with a CAS while offers and
 * typing arrive for after it. Several threads run a bounded number of steps; the checks are on what
 * every sink got: calls never overlap, no batch names a user twice, versions of a user only grow,
 * no stop or refresh reaches a receiver not showing the indicator, and at the end every watcher
 * shows each user's current state (nothing lost) and every receiver saw the last burst stop.
 */
@Timeout(120)
class LockFreeDeliveryStressTest {
  private static final int WATCHERS = 60;
  /**
   * Odd: each target ends idle, unlike its snapshot, so every watcher must get at least one batch even
   * if the clock thread gets no turn while the changes run (with an even count they could all cancel
   * out unseen, and "the stream ran" was then a matter of scheduling: it failed once on a loaded machine).
   */
  private static final int CHANGES = 2_001;
  private static final List<String> TARGETS = List.of("t0", "t1", "t2");

  @Test
  void changesFannedOutByThreeThreadsWhileTheTickFlushesAreNeverLostWithInlineDelivery() throws Exception {
    fanout(false, Duration.ofMillis(100));
  }

  @Test
  void changesFannedOutByThreeThreadsWhileTheTickFlushesAreNeverLostWithTheDeliveryPool() throws Exception {
    fanout(true, Duration.ofMillis(100));
  }

  /**
   * With a zero interval each fanout expands its audience on its own thread: three at once, into the
   * same watchers.
   */
  @Test
  void changesFannedOutAtOnceByThreeThreadsIntoTheSameWatchersAreNeverLostWithTheDeliveryPool() throws Exception {
    fanout(true, Duration.ZERO);
  }

  private void fanout(boolean pool, Duration flushInterval) throws Exception {
    ManualTime time = new ManualTime();
    PresenceBuilder builder = onManualTime(time).flushInterval(flushInterval);
    ExecutorService delivery = pool ? Executors.newFixedThreadPool(3) : null;
    builder.deliveryExecutor(pool ? delivery : Runnable::run);
    try (Presence presence = builder.build()) {
      List<DeviceConnection> devices = new ArrayList<>();
      for (String target : TARGETS) {
        devices.add(presence.connect(target, "d"));
      }
      List<CheckingSink> sinks = new ArrayList<>();
      for (int w = 0; w < WATCHERS; w++) {
        CheckingSink sink = new CheckingSink();
        sink.baseline(presence.subscribe(presence.connect("w" + w, "d"), sink).watchUsers(TARGETS));
        sinks.add(sink);
      }
      ExecutorService threads = Executors.newFixedThreadPool(TARGETS.size() + 1);
      AtomicBoolean changing = new AtomicBoolean(true);
      AtomicInteger done = new AtomicInteger();
      try {
        List<Future<?>> changers = new ArrayList<>();
        for (DeviceConnection device : devices) {
          changers.add(threads.submit(() -> {
            for (int i = 0; i < CHANGES; i++) {
              device.setIdle(i % 2 == 0);
            }
            done.incrementAndGet();
            return null;
          }));
        }
        Future<?> clock = threads.submit(() -> {
          while (changing.get()) {
            time.advanceMillis(100); // each step is one tick: the flushes armed by the changes fire
            Thread.yield();
          }
          return null;
        });
        for (Future<?> changer : changers) {
          changer.get(60, TimeUnit.SECONDS);
        }
        changing.set(false);
        clock.get(10, TimeUnit.SECONDS);
      } finally {
        changing.set(false);
        threads.shutdownNow();
      }
      assertThat(done.get()).isEqualTo(TARGETS.size());

      Map<String, UserPresence> current = new HashMap<>();
      for (String target : TARGETS) {
        current.put(target, presence.get(target));
      }
      for (int round = 0; round < 30; round++) {
        CheckingSink behind = sinks.stream().filter(s -> !s.shows(current)).findFirst().orElse(null);
        if (behind == null) {
          break;
        }
        time.advanceMillis(100); // a batch put off behind a running call needs its window to pass
        behind.await(current);
      }
      // How many batches go out depends on thread scheduling; the check is that the stream ran at all.
      assertThat(sinks.stream().mapToInt(CheckingSink::batches).sum()).as("batches delivered").isPositive();
      for (CheckingSink sink : sinks) {
        assertThat(sink.violations()).isEmpty();
        assertThat(sink.shows(current)).as("shows %s; current %s", sink.last(), current).isTrue();
      }
    } finally {
      if (delivery != null) {
        delivery.shutdownNow();
      }
    }
  }

  @Test
  void typingOfTwoThreadsReachesEveryReceiverInOrderWhileCallsReturnOnTheDeliveryPool() throws Exception {
    ManualTime time = new ManualTime();
    ExecutorService delivery = Executors.newFixedThreadPool(3);
    try (Presence presence = onManualTime(time).deliveryExecutor(delivery).build()) {
      List<String> typists = List.of("a", "b");
      for (String typist : typists) {
        presence.joinChannel("room", typist);
        presence.connect(typist, "d");
      }
      List<CheckingSink> receivers = new ArrayList<>();
      for (int r = 0; r < WATCHERS; r++) {
        String user = "r" + r;
        presence.joinChannel("room", user);
        CheckingSink sink = new CheckingSink();
        presence.subscribe(presence.connect(user, "d"), sink).watchChannel("room");
        receivers.add(sink);
      }
      ExecutorService threads = Executors.newFixedThreadPool(typists.size());
      try {
        List<Future<?>> work = new ArrayList<>();
        for (String typist : typists) {
          work.add(threads.submit(() -> {
            for (int i = 0; i < 300; i++) {
              presence.typing(typist, "d", "room");
              presence.stopTyping(typist, "d", "room");
            }
            return null;
          }));
        }
        for (Future<?> future : work) {
          future.get(60, TimeUnit.SECONDS);
        }
      } finally {
        threads.shutdownNow();
      }
      for (CheckingSink sink : receivers) {
        sink.awaitTypingStopped();
      }
      // A receiver whose calls lag may get none of a typist's bursts: a start and its stop that are
      // both pending cancel out, which is right (it never showed them). What every receiver must end
      // with is no indicator on; and the stream must have run.
      Set<String> seen = new HashSet<>();
      for (CheckingSink sink : receivers) {
        assertThat(sink.violations()).isEmpty();
        assertThat(sink.lastTyping().values()).as("every burst ended at every receiver").containsOnly(TypingEvent.Kind.STOPPED);
        seen.addAll(sink.lastTyping().keySet());
      }
      assertThat(seen).as("typists some receiver saw").containsExactlyInAnyOrderElementsOf(typists);
    } finally {
      delivery.shutdownNow();
    }
  }

  @Test
  void typingRacingClosesNeverReachesASinkAfterItClosedAndEachIsToldOnce() throws Exception {
    // Typing offers claim a receiver's call without its monitor while other threads close receivers:
    // half by closing the subscriber (no notice), half by disconnecting its device (told why, after
    // any call in flight). No call may come after the close, and a notice comes exactly once.
    ManualTime time = new ManualTime();
    ExecutorService delivery = Executors.newFixedThreadPool(3);
    try (Presence presence = onManualTime(time).deliveryExecutor(delivery).build()) {
      presence.joinChannel("room", "typist");
      presence.connect("typist", "d");
      int receiverCount = 200;
      List<ClosingSink> sinks = new ArrayList<>();
      List<Subscriber> subscribers = new ArrayList<>();
      List<DeviceConnection> devices = new ArrayList<>();
      for (int r = 0; r < receiverCount; r++) {
        String user = "r" + r;
        presence.joinChannel("room", user);
        DeviceConnection device = presence.connect(user, "d");
        ClosingSink sink = new ClosingSink();
        Subscriber subscriber = presence.subscribe(device, sink);
        subscriber.watchChannel("room");
        sinks.add(sink);
        subscribers.add(subscriber);
        devices.add(device);
      }
      ExecutorService threads = Executors.newFixedThreadPool(2);
      AtomicBoolean closing = new AtomicBoolean(true);
      try {
        Future<?> typist = threads.submit(() -> {
          while (closing.get()) {
            presence.typing("typist", "d", "room");
            presence.stopTyping("typist", "d", "room");
          }
          return null;
        });
        Future<?> closer = threads.submit(() -> {
          for (int r = 0; r < receiverCount; r++) {
            for (int spin = 0; spin < 2_000; spin++) {
              Thread.onSpinWait(); // let some typing through between closes
            }
            if (r % 2 == 0) {
              subscribers.get(r).close();
            } else {
              devices.get(r).disconnect();
            }
          }
          return null;
        });
        closer.get(60, TimeUnit.SECONDS);
        closing.set(false);
        typist.get(60, TimeUnit.SECONDS);
      } finally {
        closing.set(false);
        threads.shutdownNow();
      }
      delivery.shutdown();
      assertThat(delivery.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      int typed = 0;
      for (int r = 0; r < receiverCount; r++) {
        ClosingSink sink = sinks.get(r);
        assertThat(sink.violations()).as("receiver %d", r).isEmpty();
        assertThat(sink.closedNotices()).as("receiver %d notices", r).isEqualTo(r % 2 == 0 ? 0 : 1);
        typed += sink.typingCalls();
      }
      assertThat(typed).as("typing reached receivers before their close").isPositive();
    } finally {
      delivery.shutdownNow();
    }
  }

  /** Records what a closing receiver got: a call after its notice or its close, or two at once, is a violation. */
  /** An engine on manual time whose devices never expire or go idle: only the test's changes happen. */
  private static PresenceBuilder onManualTime(ManualTime time) {
    return Presence.builder()
        .ticker(time)
        .clock(time)
        .scheduler(time)
        .heartbeatTtl(Duration.ofDays(1))
        .idleAfter(Duration.ofDays(1));
  }

  private static final class ClosingSink implements PresenceSink {
    private final AtomicInteger inCall = new AtomicInteger();
    private final List<String> violations = new ArrayList<>();
    private int notices;
    private int typingCalls;

    @Override
    public void onPresence(List<UserPresence> changes) {
      call("onPresence");
    }

    @Override
    public void onTyping(List<TypingEvent> events) {
      call("onTyping");
      synchronized (this) {
        typingCalls++;
      }
    }

    @Override
    public void onClosed(CloseReason reason) {
      call("onClosed");
      synchronized (this) {
        notices++;
      }
    }

    private void call(String what) {
      if (inCall.incrementAndGet() != 1) {
        record("two sink calls at once: " + what);
      }
      synchronized (this) {
        if (notices > 0) {
          violations.add(what + " after onClosed");
        }
      }
      for (int i = 0; i < 200; i++) {
        Thread.onSpinWait(); // widen the window in which an overlapping call would be seen
      }
      inCall.decrementAndGet();
    }

    private synchronized void record(String violation) {
      violations.add(violation);
    }

    synchronized List<String> violations() {
      return new ArrayList<>(violations);
    }

    synchronized int closedNotices() {
      return notices;
    }

    synchronized int typingCalls() {
      return typingCalls;
    }
  }

  /**
   * Checks each call as it comes: no two calls at once, no user twice in a batch, a user's versions
   * only growing, no stop or refresh of a typist not shown. Its own monitor only records, after
   * the overlap check, so it cannot hide an overlap.
   */
  private static final class CheckingSink implements PresenceSink {
    private final AtomicInteger inCall = new AtomicInteger();
    private final List<String> violations = new ArrayList<>();
    private final Map<String, UserPresence> last = new HashMap<>();
    private final Map<String, TypingEvent.Kind> lastTyping = new HashMap<>();
    private int batches;

    @Override
    public void onPresence(List<UserPresence> changes) {
      enter();
      synchronized (this) {
        batches++;
        Set<String> seen = new HashSet<>();
        for (UserPresence change : changes) {
          if (!seen.add(change.userId())) {
            violations.add("a batch names " + change.userId() + " twice: " + changes);
          }
          UserPresence before = last.get(change.userId());
          if (before != null && change.version() <= before.version()) {
            violations.add("version went from " + before.version() + " to " + change.version());
          }
          last.put(change.userId(), change);
        }
        notifyAll();
      }
      leave();
    }

    @Override
    public void onTyping(List<TypingEvent> events) {
      enter();
      synchronized (this) {
        for (TypingEvent event : events) {
          TypingEvent.Kind before = lastTyping.put(event.userId(), event.kind());
          boolean showing = before != null && before != TypingEvent.Kind.STOPPED;
          // A STARTED may follow a STARTED (a stop and a new start merged while this sink was busy);
          // a STOPPED or REFRESHED never comes to a receiver not showing the indicator.
          if (event.kind() != TypingEvent.Kind.STARTED && !showing) {
            violations.add(event.userId() + ": " + before + " then " + event.kind());
          }
        }
        notifyAll();
      }
      leave();
    }

    private void enter() {
      if (inCall.incrementAndGet() != 1) {
        synchronized (this) {
          violations.add("two sink calls at once");
        }
      }
      for (int i = 0; i < 50; i++) {
        Thread.onSpinWait(); // widen the window in which an overlapping call would be seen
      }
    }

    private void leave() {
      inCall.decrementAndGet();
    }

    synchronized List<String> violations() {
      return new ArrayList<>(violations);
    }

    /**
     * What the watch's snapshot showed: a user whose changes all cancel out within one window (a
     * thread that ran all its toggles between two ticks) sends nothing after it.
     */
    synchronized void baseline(PresenceSnapshot snapshot) {
      for (UserPresence user : snapshot.users()) {
        last.putIfAbsent(user.userId(), user);
      }
    }

    synchronized int batches() {
      return batches;
    }

    synchronized Map<String, UserPresence> last() {
      return new HashMap<>(last);
    }

    synchronized Map<String, TypingEvent.Kind> lastTyping() {
      return new HashMap<>(lastTyping);
    }

    /** Whether the last state this sink got of each user is the current one (versions may lag: a change reversed in a window is not sent). */
    synchronized boolean shows(Map<String, UserPresence> current) {
      for (UserPresence now : current.values()) {
        UserPresence got = last.get(now.userId());
        if (got == null || got.state() != now.state() || got.version() > now.version()) {
          return false;
        }
      }
      return true;
    }

    /** Waits, woken by each call, at most a second, until {@link #shows} holds. */
    synchronized void await(Map<String, UserPresence> current) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (!shows(current) && deadline - System.nanoTime() > 0) {
        TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
      }
    }

    /**
     * Waits, woken by each call, at most ten seconds, until every typist's last event here is a stop
     * (a typist whose bursts all cancelled out while this sink's calls lagged is never seen here).
     */
    synchronized void awaitTypingStopped() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (deadline - System.nanoTime() > 0
          && !lastTyping.values().stream().allMatch(kind -> kind == TypingEvent.Kind.STOPPED)) {
        TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
      }
    }
  }
}
