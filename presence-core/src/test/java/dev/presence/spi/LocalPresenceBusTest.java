package dev.presence.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.PresenceChange;
import dev.presence.testkit.PresenceBusContract;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-process bus passes the bus compatibility kit. */
class LocalPresenceBusTest extends PresenceBusContract {

  @Override
  protected PresenceBus newBus() {
    return new LocalPresenceBus();
  }

  @Test
  void deliveryHappensInThePublishersThreadBeforePublishReturns() {
    List<Thread> threads = new ArrayList<>();
    PresenceBus.Connection a = bus.join("a", change -> {});
    PresenceBus.Connection b = bus.join("b", change -> threads.add(Thread.currentThread()));
    b.watchUsers(List.of(user("alice")));

    a.publish(change("alice", 1));

    assertThat(threads).containsExactly(Thread.currentThread());
    a.close();
    b.close();
  }

  @Test
  void closingTheBusStopsDeliveryToJoinedNodes() {
    List<PresenceChange> received = new ArrayList<>();
    PresenceBus.Connection a = bus.join("a", change -> {});
    PresenceBus.Connection b = bus.join("b", received::add);
    b.watchUsers(List.of(user("alice")));

    bus.close();
    a.publish(change("alice", 1));

    assertThat(received).isEmpty();
  }
}
