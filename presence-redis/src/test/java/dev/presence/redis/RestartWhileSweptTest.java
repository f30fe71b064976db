package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A node restarting under its id while its previous life is claimed but not yet fully swept: device
 * records carry the node id, not the life, so that sweep would also remove the new life's devices.
 * A join therefore waits while a live node sweeps the previous life, and takes the sweep over when
 * the claimer's own lease ran out (it died mid-sweep). The claim is set up by hand, as another node's
 * claim script would leave it.
 */
@RedisTest
class RestartWhileSweptTest {
  private static final long T0 = 1_767_225_600_000L;
  private static final Duration LEASE = Duration.ofSeconds(1);
  private static final Duration GRACE = Duration.ofMillis(300);
  private static final AggregationPolicy STANDARD = AggregationPolicy.standard();

  private static long serverMillis(RedisServer server) {
    List<?> time = (List<?>) server.call("TIME");
    return Long.parseLong((String) time.get(0)) * 1000 + Long.parseLong((String) time.get(1)) / 1000;
  }

  /** Moves node a's lease to the sweeping set, as a claim by another node does; returns the member. */
  private static String claimByHand(RedisServer server, String app, long claimerExpiresAt) {
    String details = (String) server.call("HGET", app + ":{L}info", "a");
    String[] parts = details.split("\\|");
    String member = parts[0] + "|" + parts[4] + "|a";
    server.call("ZREM", app + ":{L}nodes", "a");
    server.call("ZADD", app + ":{L}sweeping", claimerExpiresAt, member);
    return member;
  }

  private static StoreMutation.PutDevice phoneOnA() {
    return new StoreMutation.PutDevice(new DeviceRecord("phone", "a", DeviceActivity.ACTIVE, Platform.WEB, T0), 8, T0);
  }

  @Test
  void aJoinWaitsWhileALiveNodeSweepsThePreviousLife(RedisServer server) throws Exception {
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application("busy").build()) {
      store.join("a", LEASE, GRACE, STANDARD, u -> {});
      store.apply("alice", phoneOnA(), STANDARD);
      String member = claimByHand(server, "busy", serverMillis(server) + 60_000);
      CompletableFuture<Void> sweepFinished =
          CompletableFuture.runAsync(
              () -> {
                RealTime.sleep(Duration.ofMillis(400));
                server.call("ZREM", "busy:{L}sweeping", member); // the claimer finished
              });

      long started = System.nanoTime();
      store.join("a", LEASE, GRACE, STANDARD, u -> {});

      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
      sweepFinished.get();
    }
  }

  @Test
  void aJoinTakesOverTheSweepOfAClaimerThatDied(RedisServer server) {
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application("takeover").build()) {
      store.join("a", LEASE, GRACE, STANDARD, u -> {});
      store.apply("alice", phoneOnA(), STANDARD);
      claimByHand(server, "takeover", serverMillis(server) - 1);

      List<StoreUpdate> swept = new ArrayList<>();
      store.join("a", LEASE, GRACE, STANDARD, swept::add);

      assertThat(swept).singleElement().satisfies(u -> assertThat(u.current().presence().state()).isEqualTo(PresenceState.OFFLINE));
      assertThat((Long) server.call("ZCARD", "takeover:{L}sweeping")).isZero();
      assertThat(store.apply("alice", phoneOnA(), STANDARD).presenceChanged()).as("the new life writes").isTrue();
    }
  }
}
