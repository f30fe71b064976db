package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The routing index drops a user's entry when its last channel or watcher goes; an add racing that
 * removal must not be swallowed, or a subscriber silently stops getting that user's changes.
 */
class IndexRaceTest {
  private static final int ROUNDS = 1_500;

  @Test
  void aJoinRacingTheUsersLastLeaveStillRoutesItsChangesToTheNewChannel() throws Exception {
    ManualTime time = new ManualTime();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (Presence presence = Fixtures.manual(time).maxSubscriptionsPerSubscriber(ROUNDS).build()) {
      RecordingSink sink = new RecordingSink(time);
      Subscriber watcher = presence.subscribe("watcher", sink);
      CyclicBarrier together = new CyclicBarrier(2);
      for (int i = 0; i < ROUNDS; i++) {
        String user = "u" + i;
        presence.joinChannel("old-" + i, user);
        watcher.watchChannel("new-" + i);
        String oldChannel = "old-" + i;
        String newChannel = "new-" + i;
        Future<?> leave = pool.submit(() -> {
          together.await();
          presence.leaveChannel(oldChannel, user);
          return null;
        });
        Future<?> join = pool.submit(() -> {
          together.await();
          presence.joinChannel(newChannel, user);
          return null;
        });
        leave.get(10, TimeUnit.SECONDS);
        join.get(10, TimeUnit.SECONDS);
      }

      for (int i = 0; i < ROUNDS; i++) {
        presence.connect("u" + i, "phone");
      }
      time.advanceSeconds(1);

      Set<String> seen = new HashSet<>();
      sink.changes().forEach(p -> seen.add(p.userId()));
      assertThat(seen).hasSize(ROUNDS);
    } finally {
      pool.shutdownNow();
    }
  }
}
