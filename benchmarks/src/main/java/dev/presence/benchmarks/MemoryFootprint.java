package dev.presence.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.benchmarks.support.SimTime;
import dev.presence.benchmarks.support.TestIds;
import java.util.concurrent.TimeUnit;
import org.openjdk.jol.info.GraphLayout;

/**
 * A JOL class-by-class breakdown of what {@link MemoryBenchmark} measures: the engine, the seed and
 * a Caffeine cache with variable expiry, each holding N users with one device, minus the
 * application's id strings. Exact, but walks every object, so keep N modest.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.presence.benchmarks.MemoryFootprint
 * 100000}
 */
public final class MemoryFootprint {
  private MemoryFootprint() {}

  public static void main(String[] args) {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    String[] userIds = TestIds.users(users);
    String device = TestIds.device(0);
    GraphLayout ids = GraphLayout.parseInstance((Object) userIds, device);

    SimTime time = new SimTime();
    Presence presence = Presence.builder().ticker(time).clock(time).scheduler(time).build();
    DeviceConnection[] handles = new DeviceConnection[users];
    for (int u = 0; u < users; u++) {
      handles[u] = presence.connect(userIds[u], device);
    }
    report("presence (engine + in-memory store), 1 device per user", users, GraphLayout.parseInstance(presence).subtract(ids));

    SeedPresenceServer.BroadcastIo io = SeedPresenceServer.Io.broadcast();
    io.muted(true);
    SeedPresenceServer seed = new SeedPresenceServer(time, time, io);
    for (int u = 0; u < users; u++) {
      seed.connect(userIds[u], event -> {});
    }
    report("seed (presenceMap + sockets), 1 socket per user", users, GraphLayout.parseInstance(seed, io).subtract(ids));

    String[] keys = TestIds.copies(userIds);
    Cache<String, Object> cache =
        Caffeine.newBuilder()
            .executor(Runnable::run)
            .expireAfter(
                new Expiry<String, Object>() {
                  @Override
                  public long expireAfterCreate(String key, Object value, long currentTime) {
                    return TimeUnit.SECONDS.toNanos(45);
                  }

                  @Override
                  public long expireAfterUpdate(String key, Object value, long currentTime, long currentDuration) {
                    return currentDuration;
                  }

                  @Override
                  public long expireAfterRead(String key, Object value, long currentTime, long currentDuration) {
                    return currentDuration;
                  }
                })
            .build();
    Object value = new Object();
    for (String key : keys) {
      cache.put(key, value);
    }
    cache.cleanUp();
    report(
        "caffeine expireAfter, 1 entry per user",
        users,
        GraphLayout.parseInstance(cache).subtract(GraphLayout.parseInstance((Object) keys)));
    presence.close();
  }

  private static void report(String title, int users, GraphLayout layout) {
    System.out.printf("%n=== %s: %d users, %d bytes, %.1f bytes per user%n", title, users, layout.totalSize(), layout.totalSize() / (double) users);
    System.out.println(layout.toFootprint());
  }
}
