package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.NodeMembership;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * One cluster master restarts empty while the master of the leases keeps them: the node finds out at
 * its next renewal (the master's sentinel vanished), gives its lease up without a sweep, and after it
 * joins again the versions of the lost users start above their old ones; the other users keep their
 * records untouched.
 */
@RedisTest
class PartialClusterLossTest {
  private static final long T0 = 1_767_225_600_000L;
  private static final AggregationPolicy STANDARD = AggregationPolicy.standard();

  @Test
  void aMasterRestartedEmptyMakesTheNodeReassertAndVersionsKeepGrowing(RedisCluster cluster) {
    String app = "partial";
    int leaseMaster = cluster.ownerOf(SlotHash.getSlot(app + ":{L}nodes"));
    int lostMaster = (leaseMaster + 1) % RedisCluster.DEFAULT_MASTERS;
    try (RedisPresenceStore store = RedisPresenceStore.builder().clusterUris(cluster.uris()).application(app).build()) {
      Duration lease = Duration.ofSeconds(30); // outlives the restart
      NodeMembership a = store.join("a", lease, Duration.ZERO, STANDARD, u -> {});
      List<String> lostUsers = new ArrayList<>();
      List<String> keptUsers = new ArrayList<>();
      for (int i = 0; lostUsers.size() < 3 || keptUsers.size() < 3; i++) {
        String user = "u-" + UUID.randomUUID();
        (cluster.ownerOf(RedisKeys.slotOfUser(user)) == lostMaster ? lostUsers : keptUsers).add(user);
      }
      long highest = 0;
      for (String user : concat(lostUsers, keptUsers)) {
        store.apply(user, put(T0), STANDARD);
        StoreUpdate text = store.apply(user, new StoreMutation.SetStatus(StatusMode.AUTO, "hi", 0, T0 + 1), STANDARD);
        highest = Math.max(highest, text.current().version());
      }
      assertThat(a.renew()).isEqualTo(NodeMembership.Renewal.RENEWED);

      cluster.restartMasterEmpty(lostMaster);

      assertThat(retry(a::renew)).isEqualTo(NodeMembership.Renewal.LOST);
      List<StoreUpdate> swept = new ArrayList<>();
      NodeMembership again = store.join("a", lease, Duration.ZERO, STANDARD, swept::add);
      assertThat(swept).as("no sweep of the given-up life: its devices are re-asserted").isEmpty();
      assertThat(again.renew()).isEqualTo(NodeMembership.Renewal.RENEWED);
      for (String user : lostUsers) {
        assertThat(store.get(user).version()).as("a lost user not re-asserted yet").isGreaterThan(highest);
        StoreUpdate back = store.apply(user, put(T0 + 2), STANDARD);
        assertThat(back.current().presence().state()).isEqualTo(PresenceState.ONLINE);
        assertThat(back.current().version()).isGreaterThan(highest);
      }
      for (String user : keptUsers) {
        assertThat(store.get(user).devices()).hasSize(1);
        assertThat(store.get(user).version()).isEqualTo(2);
        assertThat(store.apply(user, put(T0), STANDARD).presenceChanged()).as("re-assert changes nothing").isFalse();
      }
    }
  }

  private static StoreMutation.PutDevice put(long at) {
    return new StoreMutation.PutDevice(new DeviceRecord("phone", "a", DeviceActivity.ACTIVE, Platform.WEB, T0), 8, at);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static <T> T retry(Supplier<T> call) {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        return call.get();
      } catch (PresenceStoreException e) {
        if (System.nanoTime() > end) {
          throw e;
        }
        RealTime.sleep(Duration.ofMillis(100));
      }
    }
  }
}
