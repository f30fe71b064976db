package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.PresenceChange;
import dev.presence.spi.PresenceBus;
import dev.presence.testkit.PresenceBusContract;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link PresenceBusContract} for {@link RedisPresenceBus}: watches are confirmed before the kit publishes. */
abstract class RedisBusKit extends PresenceBusContract {

  @Override
  protected void settle() {
    ((RedisPresenceBus) bus).awaitSubscriptions(deliveryTimeout());
  }

  /**
   * The kit's test with its race removed. The kit's node records a change before its listener counts
   * the call, so with a bus that delivers on its own thread the count can be read between the two and
   * be one short. Here the listener counts first, then records. Same assertions otherwise.
   */
  @Test
  @Override
  public void aThrowingListenerDoesNotStopDeliveryToOthersOrToItself() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    BlockingQueue<PresenceChange> failingReceived = new LinkedBlockingQueue<>();
    Node a = node("a");
    PresenceBus.Connection failing =
        join(
            "failing",
            change -> {
              calls.incrementAndGet();
              failingReceived.add(change);
              throw new IllegalStateException("listener bug");
            });
    failing.watchUsers(List.of(user("alice")));
    settle();
    Node healthy = node("healthy").watch("alice");

    a.connection.publish(change("alice", 1));
    a.connection.publish(change("alice", 2));

    assertThat(List.of(healthy.next(), healthy.next()))
        .containsExactlyInAnyOrder(change("alice", 1), change("alice", 2));
    assertThat(failingReceived.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(failingReceived.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(calls.get()).isEqualTo(2);
  }
}
