package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.testkit.FaultyPresenceStore;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A store that hangs holds up only the work that needs it: timers keep firing on the timer thread and
 * subscribers keep getting their batches, because timer work that writes the store runs on the store
 * executor (real threads here; time is still the manual clock).
 */
@Timeout(60)
class HungStoreTest {
  private final ManualTime time = new ManualTime();
  private final FaultyPresenceStore store = new FaultyPresenceStore(new InMemoryPresenceStore(time));
  private final ExecutorService storeThreads = Executors.newFixedThreadPool(2);
  private final Presence presence =
      Presence.builder().ticker(time).clock(time).scheduler(time).deliveryExecutor(Runnable::run)
          .store(store).storeExecutor(storeThreads).build();

  @AfterEach
  void close() throws InterruptedException {
    store.unblock();
    presence.close();
    storeThreads.shutdown();
    storeThreads.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Test
  void aStoreThatHangsForTenSecondsStallsNoOtherTimerAndNoFlush() throws Exception {
    presence.joinChannel("general", "alice");
    presence.joinChannel("general", "carol");
    RecordingSink bob = new RecordingSink(time);
    presence.subscribe("bob", bob).watchChannel("general");
    DeviceConnection alice = presence.connect("alice", "phone");
    DeviceConnection carol = presence.connect("carol", "phone");
    time.advanceSeconds(1);
    assertThat(bob.changes()).hasSize(2);

    alice.disconnect(); // her grace ends at 11 s, and removing her device needs the store
    store.block();
    time.advanceSeconds(11); // the removal now hangs on a store thread; the timer thread goes on
    carol.typing("general");
    time.advance(PresenceBuilder.DEFAULT_TYPING_TIMEOUT.plusSeconds(1)); // typing expiry: a timer, no store write
    carol.heartbeat();

    assertThat(bob.typingKindsOf("carol")).containsExactly(Kind.STARTED, Kind.STOPPED);
    assertThat(presence.get("alice").state()).as("the hung write has not landed").isEqualTo(PresenceState.ONLINE);

    store.unblock();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (bob.changesOf("alice").size() < 2 && System.nanoTime() < deadline) {
      time.advance(Duration.ofMillis(100)); // flush windows keep coming while the write lands
      carol.heartbeat(); // however long a busy machine takes, carol stays connected
      Thread.onSpinWait();
    }
    assertThat(bob.changesOf("alice")).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.OFFLINE);
    assertThat(presence.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(1));
    assertThat(List.of(carol.isOpen())).containsExactly(true);
  }
}
