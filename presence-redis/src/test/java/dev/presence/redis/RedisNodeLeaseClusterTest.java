package dev.presence.redis;

import dev.presence.redis.testing.RedisCluster;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.PresenceStore;
import dev.presence.testkit.NodeLeaseContract;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;

/**
 * The lease kit on a 3-master cluster of its own, in real time with short leases. {@link
 * #storeMillis()} is the Redis {@code TIME} of the store's last lease operation: the kit compares it
 * exactly with a last seen, which a second {@code TIME} call a millisecond later would miss.
 */
@RedisTest
class RedisNodeLeaseClusterTest extends NodeLeaseContract {
  private static RedisCluster server;

  /**
   * Each test is its own application: the leases of the nodes an earlier test left behind would
   * otherwise be claimed by this test's sweeps (the kit's id prefixes do not cover the lease set).
   */
  private static final AtomicInteger TESTS = new AtomicInteger();

  @BeforeAll
  static void start(RedisCluster redis) {
    server = redis;
  }

  @Override
  protected PresenceStore newStore() {
    return RedisPresenceStore.builder().clusterUris(server.uris()).application("lease-test-" + TESTS.incrementAndGet()).build();
  }

  @Override
  protected Duration lease() {
    return Duration.ofMillis(1_000);
  }

  @Override
  protected Duration grace() {
    return Duration.ofMillis(600);
  }

  @Override
  protected void elapse(Duration duration) {
    RealTime.sleep(duration);
  }

  @Override
  protected long storeMillis() {
    return ((RedisPresenceStore) store).lastLeaseClockMillis();
  }

  @Override
  protected void loseAllData() {
    server.flushAll();
  }
}
