package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import dev.presence.Presence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.benchmarks.support.Cursor;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Brief §5 row 5: the presence of 500 random users out of N connected ones, in one call.
 *
 * <ul>
 *   <li>{@code presence}: {@link Presence#getAll} on the default in-memory store.
 *   <li>{@code seed}: the seed's {@code getBulkPresence}, run against its in-memory map: one {@code
 *       {userId, status}} row per id.
 *   <li>{@code floor}: 500 bare {@code ConcurrentHashMap.get}s into a reused array.
 * </ul>
 *
 * <p>The query ids are copies of the connected ones (as if parsed from a request); 64 batches of 500
 * are prepared and used in turn.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar BulkQueryBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class BulkQueryBenchmark {
  private static final int BATCH = 500;
  private static final int BATCHES = 64;

  @Param({"10000", "1000000"})
  int devices;

  @Param({"presence", "seed", "floor"})
  String impl;

  private List<List<String>> batches;
  private Presence presence;
  private SeedPresenceServer seed;
  private ConcurrentHashMap<String, Object> floorMap;
  private Object[] floorResult;

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "seed", "floor");
    Params.atLeast("devices", devices, 500);
    String[] userIds = TestIds.users(devices);
    String[] lookups = TestIds.copies(userIds);
    SplittableRandom random = new SplittableRandom(7);
    batches = new ArrayList<>(BATCHES);
    for (int b = 0; b < BATCHES; b++) {
      List<String> batch = new ArrayList<>(BATCH);
      for (int k = 0; k < BATCH; k++) {
        batch.add(lookups[random.nextInt(devices)]);
      }
      batches.add(List.copyOf(batch));
    }
    ManualTime time = new ManualTime();
    switch (impl) {
      case "presence" -> {
        presence = Engines.manual(time).build();
        for (String userId : userIds) {
          presence.connect(userId, TestIds.device(0));
        }
      }
      case "seed" -> {
        seed = new SeedPresenceServer(time, time, SeedPresenceServer.Io.countOnly());
        for (String userId : userIds) {
          seed.connect(userId, event -> {});
        }
      }
      default -> {
        floorMap = new ConcurrentHashMap<>();
        Object value = new Object();
        for (String userId : userIds) {
          floorMap.put(userId, value);
        }
        floorResult = new Object[BATCH];
      }
    }
  }

  @Benchmark
  public Object getAll(Cursor cursor) {
    List<String> batch = batches.get(cursor.next(BATCHES));
    if (presence != null) {
      return presence.getAll(batch);
    }
    if (seed != null) {
      return seed.getBulkPresence(batch);
    }
    for (int k = 0; k < BATCH; k++) {
      floorResult[k] = floorMap.get(batch.get(k));
    }
    return floorResult;
  }
}
