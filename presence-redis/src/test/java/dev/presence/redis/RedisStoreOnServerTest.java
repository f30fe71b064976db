package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.NodeMembership;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The store against what a real standalone server does: the commands one change costs ({@code INFO
 * commandstats}), scripts flushed from the server, a restart from an old RDB (whose leases all look
 * expired) claiming nothing for one lease, and commands failing at once while the server is down.
 */
@RedisTest
class RedisStoreOnServerTest {
  private static final long T0 = 1_767_225_600_000L;
  private static final AggregationPolicy STANDARD = AggregationPolicy.standard();
  private static final Pattern CALLS = Pattern.compile("cmdstat_([a-z|]+):calls=(\\d+)");

  private static StoreMutation.PutDevice put(String device, String node, DeviceActivity activity, long at) {
    return new StoreMutation.PutDevice(new DeviceRecord(device, node, activity, Platform.WEB, at), 8, at);
  }

  private static String commandStats(RedisServer server) {
    return (String) server.call("INFO", "commandstats");
  }

  private static long calls(String stats, String command) {
    Matcher m = CALLS.matcher(stats);
    while (m.find()) {
      if (m.group(1).equals(command)) {
        return Long.parseLong(m.group(2));
      }
    }
    return 0;
  }

  @Test
  void everyChangeIsOneEvalshaAndGetAllOfManyUsersIsOneCommand(RedisServer server) {
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application("stats").build()) {
      String alice = "alice-" + UUID.randomUUID();
      store.apply(alice, put("warmup", "n1", DeviceActivity.ACTIVE, T0), STANDARD); // loads the script once
      server.call("CONFIG", "RESETSTAT");

      int changes = 50;
      for (int i = 0; i < changes; i++) {
        store.apply(alice, put("phone", "n1", i % 2 == 0 ? DeviceActivity.ACTIVE : DeviceActivity.IDLE, T0 + i), STANDARD);
      }
      String afterChanges = commandStats(server);
      List<String> users = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        users.add(alice + "-" + i);
      }
      store.getAll(users);
      String afterGetAll = commandStats(server);

      // commandstats also counts what scripts call inside, so count the commands only clients send
      assertThat(calls(afterChanges, "evalsha")).as(afterChanges).isEqualTo(changes);
      assertThat(calls(afterChanges, "eval")).isZero();
      assertThat(calls(afterGetAll, "evalsha") - changes).as("getAll of 500 users").isEqualTo(1);
      assertThat(calls(afterGetAll, "hgetall") - calls(afterChanges, "hgetall")).as("inside that script").isEqualTo(500);
    }
  }

  @Test
  void scriptsFlushedFromTheServerAreSentAgain(RedisServer server) {
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application("flush").build()) {
      String alice = "alice-" + UUID.randomUUID();
      store.apply(alice, put("phone", "n1", DeviceActivity.ACTIVE, T0), STANDARD);

      server.scriptFlush();
      StoreUpdate idle = store.apply(alice, put("phone", "n1", DeviceActivity.IDLE, T0 + 1), STANDARD);

      assertThat(idle.current().presence().state()).isEqualTo(PresenceState.IDLE);
      assertThat(idle.current().version()).isEqualTo(2);
    }
  }

  @Test
  void afterARestartFromAnOldRdbNoLeaseIsClaimedForOneLease(RedisServer server) {
    Duration lease = Duration.ofMillis(1_000);
    Duration grace = Duration.ofMillis(300);
    try (RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application("rdb").build()) {
      NodeMembership a = store.join("a", lease, grace, STANDARD, u -> {});
      NodeMembership b = store.join("b", lease, grace, STANDARD, u -> {});
      store.apply("alice", put("phone", "a", DeviceActivity.ACTIVE, T0), STANDARD);
      assertThat(b.sweep(STANDARD, u -> {})).isZero(); // records this server's run id
      server.save();

      server.restartFromRdb();
      RealTime.sleep(lease.plus(grace).plusMillis(100)); // a is expired past its grace by now
      assertThat(retry(b::renew)).isEqualTo(NodeMembership.Renewal.RENEWED);

      assertThat(b.sweep(STANDARD, u -> {})).as("right after a restart").isZero();
      RealTime.sleep(lease.plusMillis(100));
      assertThat(b.renew()).isEqualTo(NodeMembership.Renewal.RENEWED);
      assertThat(b.sweep(STANDARD, u -> {})).as("one lease after the restart").isEqualTo(1);
      assertThat(store.get("alice").presence().state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(a.renew()).isEqualTo(NodeMembership.Renewal.LOST);
    }
  }

  @Test
  void whileTheServerIsDownCommandsFailAtOnceAndWorkAgainOnceItIsBack(RedisServer server) {
    try (RedisPresenceStore store =
        RedisPresenceStore.builder().uri(server.uri()).application("down").commandTimeout(Duration.ofSeconds(2)).build()) {
      store.apply("alice", put("phone", "n1", DeviceActivity.ACTIVE, T0), STANDARD);
      server.kill();
      try {
        RealTime.sleep(Duration.ofMillis(200)); // Lettuce notices the closed socket

        long started = System.nanoTime();
        assertThatThrownBy(() -> store.apply("alice", put("phone", "n1", DeviceActivity.IDLE, T0 + 1), STANDARD))
            .isInstanceOf(PresenceStoreException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .as("rejected at once, not after the command timeout")
            .isLessThan(Duration.ofMillis(500));
      } finally {
        server.restartFromRdb();
      }
      StoreUpdate back = retry(() -> store.apply("bob", put("phone", "n1", DeviceActivity.ACTIVE, T0), STANDARD));
      assertThat(back.current().presence().state()).isEqualTo(PresenceState.ONLINE);
    }
  }

  /** Calls until the connection is back after a restart (commands are rejected while disconnected). */
  private static <T> T retry(Supplier<T> call) {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        return call.get();
      } catch (PresenceStoreException e) {
        if (System.nanoTime() > end) {
          throw e;
        }
        RealTime.sleep(Duration.ofMillis(50));
      }
    }
  }
}
