package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Engines;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.util.concurrent.TimeUnit;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * A JOL class-by-class breakdown of what {@link MemoryBenchmark} measures: the engine, the seed and
 * a Caffeine cache with variable expiry, each holding N users with one device, minus the
 * application's user id strings. Exact, but walks every object, so keep N modest.
 *
 * <p>Run: {@code java -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true -Xmx6g -cp
 * benchmarks/target/benchmarks.jar dev.presence.benchmarks.MemoryFootprint 100000} (the two
 * properties let JOL size lambdas, which are hidden classes, on JDK 17).
 */
public final class MemoryFootprint {
  private MemoryFootprint() {}

  public static void main(String[] args) {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    String[] userIds = TestIds.users(users);
    String device = TestIds.device(0);
    // The id strings belong to the application: their bytes are taken off each total. (JOL's
    // GraphLayout.subtract matches by address, which a GC between the two walks breaks.)
    long idBytes = GraphLayout.parseInstance((Object[]) userIds).totalSize() - VM.current().sizeOf(userIds);

    ManualTime time = new ManualTime();
    Presence presence = Engines.manual(time).build();
    DeviceConnection[] handles = new DeviceConnection[users];
    for (int u = 0; u < users; u++) {
      handles[u] = presence.connect(userIds[u], device);
    }
    report("presence (engine + in-memory store), 1 device per user", users, GraphLayout.parseInstance(presence), idBytes);

    SeedPresenceServer.BroadcastIo io = SeedPresenceServer.Io.broadcast();
    io.muted(true);
    ManualTime seedTime = new ManualTime();
    SeedPresenceServer seed = new SeedPresenceServer(seedTime, seedTime, io);
    for (int u = 0; u < users; u++) {
      seed.connect(userIds[u], event -> {});
    }
    report("seed (presenceMap + sockets), 1 socket per user", users, GraphLayout.parseInstance(seed, io), idBytes);

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
    for (String key : userIds) {
      cache.put(key, value);
    }
    cache.cleanUp();
    report("caffeine expireAfter, 1 entry per user", users, GraphLayout.parseInstance(cache), idBytes);
    presence.close();
  }

  private static void report(String title, int users, GraphLayout layout, long idBytes) {
    long bytes = layout.totalSize() - idBytes;
    System.out.printf(
        "%n=== %s: %d users, %d bytes without the %d bytes of user id strings (listed below as"
            + " java.lang.String and [B), %.1f bytes per user%n",
        title, users, bytes, idBytes, bytes / (double) users);
    System.out.println(layout.toFootprint());
  }
}
