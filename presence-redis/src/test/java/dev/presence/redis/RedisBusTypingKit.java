package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.PresenceChange;
import dev.presence.TypingEvent;
import dev.presence.spi.PresenceBus;
import dev.presence.testkit.PresenceBusTypingContract;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link PresenceBusTypingContract} for {@link RedisPresenceBus}: watches are confirmed before the kit publishes. */
abstract class RedisBusTypingKit extends PresenceBusTypingContract {

  @Override
  protected void settle() {
    ((RedisPresenceBus) bus).awaitSubscriptions(deliveryTimeout());
  }

  /**
   * The kit's test with its race removed (see {@link RedisBusKit}): the listener counts the call
   * before it records the event. Same assertions otherwise.
   */
  @Test
  @Override
  public void aThrowingTypingListenerDoesNotStopDeliveryToOthersOrToItself() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    BlockingQueue<TypingEvent> failingReceived = new LinkedBlockingQueue<>();
    Node a = node("a");
    PresenceBus.Connection failing =
        join(
            "failing",
            new PresenceBus.Listener() {
              @Override
              public void onPresenceChange(PresenceChange change) {}

              @Override
              public void onTyping(TypingEvent event) {
                calls.incrementAndGet();
                failingReceived.add(event);
                throw new IllegalStateException("listener bug");
              }
            });
    failing.watchChannels(List.of(id("general")));
    settle();
    Node healthy = node("healthy").watch("general");

    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));
    a.type(typing("general", "alice", TypingEvent.Kind.STOPPED));

    assertThat(List.of(healthy.next(), healthy.next()))
        .extracting(TypingEvent::kind)
        .containsExactlyInAnyOrder(TypingEvent.Kind.STARTED, TypingEvent.Kind.STOPPED);
    assertThat(failingReceived.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(failingReceived.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(calls.get()).isEqualTo(2);
  }
}
