package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A typing claim without the subscriber's monitor that finds something pending gives the flight
 * back; if the subscriber closed in between, the sink is told once, on the delivery executor, not on
 * the fanout's thread, which holds the channel's monitor (found in review: it was told inline). If
 * the executor rejects the notice it is kept and offered to the executor again at the next tick (it
 * used to be told on the fanout's thread, inside the channel's monitor).
 */
@Timeout(30)
class TypingClaimCloseTest {
  @Test
  void aCloseBetweenTheClaimAndItsGiveBackIsToldOnTheDeliveryExecutor() throws Exception {
    closeBetweenClaimAndGiveBack(false);
  }

  @Test
  void aCloseNoticeTheExecutorRejectsIsToldExactlyOnceAtTheNextTickOutsideTheMonitor() throws Exception {
    closeBetweenClaimAndGiveBack(true);
  }

  @SuppressWarnings({"rawtypes", "unchecked", "serial"})
  private void closeBetweenClaimAndGiveBack(boolean rejectFromTheClose) throws Exception {
    ExecutorService delivery = Executors.newSingleThreadExecutor(r -> new Thread(r, "delivery"));
    AtomicBoolean rejecting = new AtomicBoolean();
    Executor saturable = task -> {
      if (rejecting.get()) {
        throw new RejectedExecutionException("saturated");
      }
      delivery.execute(task);
    };
    try (Harness h = Harness.start(b -> b.deliveryExecutor(saturable))) {
      AtomicReference<String> toldOn = new AtomicReference<>();
      Object channelMonitor = new Object();
      java.util.concurrent.atomic.AtomicBoolean toldUnderMonitor = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicInteger notices = new java.util.concurrent.atomic.AtomicInteger();
      CountDownLatch told = new CountDownLatch(1);
      PresenceSink sink =
          new PresenceSink() {
            @Override
            public void onPresence(List<UserPresence> changes) {}

            @Override
            public void onTyping(List<TypingEvent> events) {}

            @Override
            public void onClosed(CloseReason reason) {
              toldOn.set(Thread.currentThread().getName());
              toldUnderMonitor.compareAndSet(false, Thread.holdsLock(channelMonitor));
              notices.incrementAndGet();
              told.countDown();
            }
          };
      RealSubscriber subscriber = (RealSubscriber) h.presence.subscribe("bob", sink);
      Thread fanout = Thread.currentThread();
      // Pending typing with the flight idle (as a rejected call leaves it). The claim's check of it is
      // where the close gets in: after the claim read it, before the flight is given back.
      LinkedHashMap pending =
          new LinkedHashMap() {
            boolean armed = true;

            @Override
            public boolean isEmpty() {
              boolean empty = super.isEmpty();
              if (armed && Thread.currentThread() == fanout) {
                armed = false;
                Thread closer = new Thread(() -> subscriber.closeBy(CloseReason.DISCONNECTED), "closer");
                rejecting.set(rejectFromTheClose); // a bounded pool saturated from here on
                closer.start();
                try {
                  closer.join();
                } catch (InterruptedException e) {
                  throw new AssertionError(e);
                }
              }
              return empty;
            }
          };
      Field typing = Outbox.class.getDeclaredField("typing");
      typing.setAccessible(true);
      TypingEvent earlier = new TypingEvent("other", "carol", TypingEvent.Kind.STARTED, Instant.now());
      synchronized (subscriber) {
        typing.set(subscriber, pending);
        subscriber.mergeTyping(Outbox.typingKey(earlier), earlier);
      }

      TypingEvent event = new TypingEvent("room", "alice", TypingEvent.Kind.STARTED, Instant.now());
      boolean handed;
      synchronized (channelMonitor) { // as the fanout holds it
        handed = subscriber.offerTyping(event, Outbox.typingKey(event), List.of(event), true);
      }

      assertThat(handed).as("the event went behind what was pending, and the subscriber closed").isFalse();
      if (rejectFromTheClose) {
        assertThat(notices.get()).as("not told on the fanout's thread").isZero();
        rejecting.set(false); // the pool has room again by the next tick
        h.time.advance(java.time.Duration.ofMillis(100)); // the next tick offers it to the executor again
      }
      assertThat(told.await(5, TimeUnit.SECONDS)).isTrue();
      rejecting.set(false);
      h.time.advance(java.time.Duration.ofSeconds(2)); // any retry would fire by now
      delivery.shutdown();
      assertThat(delivery.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      assertThat(notices.get()).as("notices").isOne();
      assertThat(toldUnderMonitor.get()).as("told inside the channel's monitor").isFalse();
      assertThat(toldOn.get()).as("the thread that told the sink").isEqualTo("delivery");
    } finally {
      delivery.shutdownNow();
    }
  }
}
