package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bus is told of interest outside the map's atomic section, yet in order: whatever the
 * interleaving of watches and unwatches of one user, the node ends up watching her on the bus iff a
 * subscriber still watches her.
 */
class InterestRaceTest {
  private final ManualTime time = new ManualTime();
  private final InterestRecordingBus bus = new InterestRecordingBus();
  private final Presence presence = Fixtures.manual(time).bus(bus).build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  @Timeout(60)
  void racingWatchesAndUnwatchesOfOneUserLeaveTheBusWatchingHerIffSomeoneStillDoes() throws Exception {
    int threadCount = 4;
    ExecutorService threads = Executors.newFixedThreadPool(threadCount);
    try {
      for (int round = 0; round < 500; round++) {
        List<Subscriber> subscribers = new ArrayList<>();
        for (int i = 0; i < threadCount; i++) {
          subscribers.add(presence.subscribe("watcher-" + i, new RecordingSink(time)));
        }
        boolean oneKeepsWatching = round % 2 == 0;
        CyclicBarrier start = new CyclicBarrier(threadCount);
        List<Future<?>> racing = new ArrayList<>();
        for (int i = 0; i < threadCount; i++) {
          Subscriber subscriber = subscribers.get(i);
          boolean keep = oneKeepsWatching && i == 0;
          racing.add(threads.submit(() -> {
            start.await();
            for (int n = 0; n < 20; n++) {
              subscriber.watchUsers(List.of("alice"));
              subscriber.unwatchUsers(List.of("alice"));
            }
            if (keep) {
              subscriber.watchUsers(List.of("alice"));
            }
            return null;
          }));
        }
        for (Future<?> future : racing) {
          future.get(10, TimeUnit.SECONDS);
        }

        if (oneKeepsWatching) {
          assertThat(bus.users).as("round %d", round).containsExactly("alice");
        } else {
          assertThat(bus.users).as("round %d", round).isEmpty();
        }
        subscribers.forEach(Subscriber::close);
        assertThat(bus.users).as("round %d, all closed", round).isEmpty();
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
