package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.benchmarks.support.Heap;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Brief §5 row 8: heap per connected device and per user, measured as heap in use after full GCs
 * before and after connecting N devices (N / devicesPerUser users). The ids (user ids, device ids,
 * Caffeine's keys) and the arrays that hold the handles belong to the application and exist before
 * the first measurement, so they are not counted; everything the library or the baseline creates is
 * (the engine's session per connection, its user entry, the store's records, the wheel; the seed's
 * map entry, its socket object, its generated socket id, socket.io's socket map).
 *
 * <ul>
 *   <li>{@code presence}: the engine with the default in-memory store.
 *   <li>{@code seed}: the seed's {@code presenceMap} plus its connected sockets.
 *   <li>{@code caffeine}: the floor, a Caffeine cache with {@code expireAfter} (variable expiry, a
 *       timer wheel like ours), one entry per device, keyed by a prepared id, all values one shared
 *       object.
 * </ul>
 *
 * <p>The bytes per device and per user are printed at the end of each iteration ({@code MEMORY …}
 * line); the score, the time to connect N devices with two full-GC measurements inside, is not the
 * point. Per device and per user are separated by running {@code devicesPerUser=1} and {@code 2}:
 * a second device costs (B₂ − B₁) / users; a user with one device costs B₁ / users. A JOL class
 * breakdown of the same structures: {@link MemoryFootprint} (its javadoc has the command).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar MemoryBenchmark}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g"})
@State(Scope.Benchmark)
public class MemoryBenchmark {
  private static final Object VALUE = new Object();

  @Param({"10000", "1000000"})
  int devices;

  @Param({"1", "2"})
  int devicesPerUser;

  @Param({"presence", "seed", "caffeine"})
  String impl;

  private int users;
  private String[] userIds;
  private String[] deviceIds;
  private String[] cacheKeys;
  private DeviceConnection[] handles;
  private SeedPresenceServer.Socket[] sockets;
  private Object built;
  private long bytes;

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "seed", "caffeine");
    Params.atLeast("devicesPerUser", devicesPerUser, 1);
    Params.atLeast("devices", devices, devicesPerUser);
    users = devices / devicesPerUser;
    userIds = TestIds.users(users);
    deviceIds = new String[devicesPerUser];
    for (int j = 0; j < devicesPerUser; j++) {
      deviceIds[j] = TestIds.device(j);
    }
    cacheKeys = new String[users * devicesPerUser];
    for (int u = 0; u < users; u++) {
      for (int j = 0; j < devicesPerUser; j++) {
        cacheKeys[u * devicesPerUser + j] = userIds[u] + "/" + deviceIds[j];
      }
    }
    handles = new DeviceConnection[users * devicesPerUser];
    sockets = new SeedPresenceServer.Socket[users * devicesPerUser];
  }

  @Setup(Level.Iteration)
  public void clear() {
    built = null;
    java.util.Arrays.fill(handles, null);
    java.util.Arrays.fill(sockets, null);
  }

  @TearDown(Level.Iteration)
  public void report() {
    int total = users * devicesPerUser;
    System.out.printf(
        "%nMEMORY impl=%s devices=%d devicesPerUser=%d users=%d bytes=%d bytesPerDevice=%.1f bytesPerUser=%.1f%n",
        impl, total, devicesPerUser, users, bytes, bytes / (double) total, bytes / (double) users);
  }

  @Benchmark
  public Object connectAll() {
    long before = Heap.usedAfterGc();
    Object structure =
        switch (impl) {
          case "presence" -> {
            ManualTime time = new ManualTime();
            Presence presence = Engines.manual(time).build();
            for (int u = 0; u < users; u++) {
              for (int j = 0; j < devicesPerUser; j++) {
                handles[u * devicesPerUser + j] = presence.connect(userIds[u], deviceIds[j]);
              }
            }
            yield presence;
          }
          case "seed" -> {
            ManualTime time = new ManualTime();
            SeedPresenceServer.BroadcastIo io = SeedPresenceServer.Io.broadcast();
            io.muted(true);
            SeedPresenceServer seed = new SeedPresenceServer(time, time, io);
            for (int u = 0; u < users; u++) {
              for (int j = 0; j < devicesPerUser; j++) {
                sockets[u * devicesPerUser + j] = seed.connect(userIds[u], event -> {});
              }
            }
            yield seed;
          }
          default -> {
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
                          public long expireAfterUpdate(
                              String key, Object value, long currentTime, long currentDuration) {
                            return TimeUnit.SECONDS.toNanos(45);
                          }

                          @Override
                          public long expireAfterRead(
                              String key, Object value, long currentTime, long currentDuration) {
                            return currentDuration;
                          }
                        })
                    .build();
            for (String key : cacheKeys) {
              cache.put(key, VALUE);
            }
            cache.cleanUp();
            yield cache;
          }
        };
    built = structure;
    bytes = Heap.usedAfterGc() - before;
    return built;
  }
}
