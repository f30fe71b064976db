package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.testkit.ManualTime;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keystrokes racing the end of what allows them (the connection closing, the user going
 * invisible) on real threads: once both sides return, no indicator may be left on at receivers.
 * Nothing here waits for a timer: an indicator left on is seen before the typing timeout could end
 * it.
 */
@Timeout(120)
class TypingRaceTest {
  private static final int ROUNDS = 2_000;

  private final ManualTime time = new ManualTime();
  private final Presence presence = Fixtures.manual(time).build();
  private final RecordingSink bob = new RecordingSink(time);
  private final ExecutorService threads = Executors.newFixedThreadPool(2);

  @BeforeEach
  void bobWatchesTheChannel() {
    presence.joinChannel("general", "alice");
    presence.subscribe("bob", bob).watchChannel("general");
  }

  @AfterEach
  void close() {
    threads.shutdownNow();
    presence.close();
  }

  @Test
  void keystrokesRacingADisconnectLeaveNoIndicatorOn() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      DeviceConnection alice = presence.connect("alice", "phone");
      race(() -> typeUntilRefused(alice), alice::disconnect);

      assertNoIndicatorLeftOn(round);
    }
  }

  @Test
  void keystrokesRacingGoingInvisibleLeaveNoIndicatorOn() throws Exception {
    DeviceConnection alice = presence.connect("alice", "phone");
    for (int round = 0; round < ROUNDS; round++) {
      race(
          () -> {
            for (int i = 0; i < 50; i++) {
              alice.typing("general");
            }
          },
          () -> presence.setStatus("alice", StatusMode.INVISIBLE));

      assertNoIndicatorLeftOn(round);
      presence.setStatus("alice", StatusMode.AUTO);
    }
  }

  private static void typeUntilRefused(DeviceConnection alice) {
    for (int i = 0; i < 1_000 && alice.typing("general"); i++) {
      Thread.onSpinWait();
    }
  }

  private void race(Runnable first, Runnable second) throws Exception {
    CyclicBarrier start = new CyclicBarrier(2);
    Future<?> a = threads.submit(() -> {
      start.await();
      first.run();
      return null;
    });
    Future<?> b = threads.submit(() -> {
      start.await();
      second.run();
      return null;
    });
    a.get(10, TimeUnit.SECONDS);
    b.get(10, TimeUnit.SECONDS);
  }

  private void assertNoIndicatorLeftOn(int round) {
    List<Kind> kinds = bob.typingKindsOf("alice");
    if (!kinds.isEmpty()) {
      assertThat(kinds.get(kinds.size() - 1)).as("round %d: %s", round, kinds).isEqualTo(Kind.STOPPED);
    }
    bob.clear();
  }
}
