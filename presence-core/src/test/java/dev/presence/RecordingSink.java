package dev.presence;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A sink that records every call with the manual time it arrived at. Thread-safe, so it also serves
 * tests that deliver on a real thread pool.
 */
final class RecordingSink implements PresenceSink {
  /** One {@code onPresence} call. */
  record Batch(Duration at, List<UserPresence> changes) {}

  /** One typing event and when it arrived. */
  record Typed(Duration at, TypingEvent event) {}

  private final ManualTime time;
  private final List<Batch> batches = new ArrayList<>();
  private final List<Typed> typing = new ArrayList<>();
  private int typingCalls;

  RecordingSink(ManualTime time) {
    this.time = time;
  }

  @Override
  public synchronized void onPresence(List<UserPresence> changes) {
    batches.add(new Batch(time.elapsed(), List.copyOf(changes)));
    notifyAll();
  }

  @Override
  public synchronized void onTyping(List<TypingEvent> events) {
    typingCalls++;
    for (TypingEvent event : events) {
      typing.add(new Typed(time.elapsed(), event));
    }
    notifyAll();
  }

  synchronized List<Batch> batches() {
    return List.copyOf(batches);
  }

  /** Every presence change received, in order. */
  synchronized List<UserPresence> changes() {
    List<UserPresence> all = new ArrayList<>();
    for (Batch batch : batches) {
      all.addAll(batch.changes());
    }
    return all;
  }

  /** The changes received for one user, in order. */
  synchronized List<UserPresence> changesOf(String userId) {
    return changes().stream().filter(p -> p.userId().equals(userId)).toList();
  }

  synchronized List<Typed> typed() {
    return List.copyOf(typing);
  }

  synchronized List<TypingEvent> typingEvents() {
    return typing.stream().map(Typed::event).toList();
  }

  /** The kinds of the typing events received from one typist, in order. */
  synchronized List<TypingEvent.Kind> typingKindsOf(String userId) {
    return typing.stream()
        .map(Typed::event)
        .filter(e -> e.userId().equals(userId))
        .map(TypingEvent::kind)
        .toList();
  }

  synchronized int typingCalls() {
    return typingCalls;
  }

  /** Whether the sink was ever called. */
  synchronized boolean isUntouched() {
    return batches.isEmpty() && typing.isEmpty();
  }

  synchronized void clear() {
    batches.clear();
    typing.clear();
    typingCalls = 0;
  }

  /** The latest presence received per user (by version), merged over a snapshot. */
  synchronized Map<String, UserPresence> view(PresenceSnapshot snapshot) {
    Map<String, UserPresence> view = new HashMap<>();
    for (UserPresence user : snapshot.users()) {
      view.merge(user.userId(), user, (a, b) -> b.version() > a.version() ? b : a);
    }
    for (UserPresence user : changes()) {
      view.merge(user.userId(), user, (a, b) -> b.version() > a.version() ? b : a);
    }
    return view;
  }

  /**
   * Waits until {@code done} holds, woken by each sink call, for at most {@code timeout}. For tests
   * whose sinks run on real threads: it waits for deliveries, never for a timer.
   *
   * @return whether it holds
   */
  synchronized boolean await(java.util.function.BooleanSupplier done, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }
}
