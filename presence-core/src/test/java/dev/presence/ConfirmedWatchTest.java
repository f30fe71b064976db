package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.testkit.FaultyPresenceBus;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A watch is a baseline only once the bus confirmed it, and a bus that may have lost messages asks
 * for a resync: either way no change falls between a snapshot and the stream.
 */
class ConfirmedWatchTest {
  private final ManualTime time = new ManualTime();
  private final InMemoryPresenceStore store = new InMemoryPresenceStore(time);
  private final FaultyPresenceBus bus = new FaultyPresenceBus(new LocalPresenceBus());
  private final Presence a =
      Fixtures.manual(time).store(store).bus(bus).nodeId("a").busWatchTimeout(Duration.ofMillis(20)).build();
  private final Presence b = Fixtures.manual(time).store(store).bus(bus).nodeId("b").build();

  @AfterEach
  void close() {
    a.close();
    b.close();
    bus.close();
  }

  @Test
  void aChangeMadeBeforeTheBusConfirmedTheWatchIsDeliveredOnceItDoes() {
    bus.holdWatches(true);
    RecordingSink bob = new RecordingSink(time);
    PresenceSnapshot snapshot = a.subscribe("bob", bob).watchUsers(List.of("alice"));
    assertThat(snapshot.users()).containsExactly(UserPresence.unknown("alice"));

    b.connect("alice", "phone"); // published while a's subscription is not in force: a misses it
    time.advanceSeconds(1);
    assertThat(bob.changes()).isEmpty();

    bus.releaseWatches();
    time.advanceSeconds(1);

    assertThat(bob.changes()).singleElement().satisfies(p -> assertThat(p.state()).isEqualTo(PresenceState.ONLINE));
  }

  @Test
  void aResyncAskedByTheBusDeliversWhatItLost() {
    RecordingSink bob = new RecordingSink(time);
    a.subscribe("bob", bob).watchUsers(List.of("alice", "carol"));
    bus.losing(true);
    DeviceConnection alice = b.connect("alice", "phone");
    alice.setIdle(true);
    time.advanceSeconds(2);
    assertThat(bob.changes()).isEmpty();
    bus.losing(false);

    bus.resync("a", List.of("alice", "carol"));
    time.advanceSeconds(1);

    assertThat(bob.changes()).singleElement().satisfies(p -> {
      assertThat(p.userId()).isEqualTo("alice");
      assertThat(p.state()).isEqualTo(PresenceState.IDLE);
    });
    bus.resync("a", List.of("alice"));
    time.advanceSeconds(1);
    assertThat(bob.changes()).as("nothing new: nothing sent").hasSize(1);
  }
}
