package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.benchmarks.support.CountingStore;
import dev.presence.benchmarks.support.Cursor;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * Brief §5 row 3, engine level: a client flaps between idle and active (tab hidden and shown, 10
 * times a second). One op is one flap of a random user's flapping device: {@code setIdle(true)} and
 * {@code setIdle(false)} alternate per user; in the seed, {@code socket.on('status')} with {@code
 * idle} and {@code online}.
 *
 * <p>{@code devicesPerUser=1}: the flapping device is the user's only one. {@code devicesPerUser=2}:
 * the user also has a steadily active phone, so an idle laptop changes nothing others see; the seed,
 * which keeps one entry per user, still broadcasts every flap (and shows the user idle).
 *
 * <p>Engine events per flap (what its listeners see, before any subscriber coalescing), the seed's
 * emits and client deliveries per flap are printed at the end of each trial ({@code STATUS-FLAP …}
 * line); events per user per 1 s window at 10 Hz is ten times events per flap. The delivery-level
 * row (at most one event per user per window through the coalescing subscriptions) waits for the
 * subscription API; see BENCHMARKS.md. Simulated time is frozen; nothing time-driven runs.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar StatusFlapBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class StatusFlapBenchmark {
  @Param({"10000", "100000"})
  int devices;

  @Param({"1", "2"})
  int devicesPerUser;

  @Param({"presence", "seed"})
  String impl;

  private int users;
  private boolean[] idle;
  private Presence presence;
  private CountingStore store;
  private final LongAdder events = new LongAdder();
  private DeviceConnection[] flapping;
  private SeedPresenceServer seed;
  private SeedPresenceServer.BroadcastIo io;
  private SeedPresenceServer.Socket[] seedFlapping;
  private long ops;
  private long eventsBefore;
  private long writesBefore;
  private long emitsBefore;
  private long deliveriesBefore;

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "seed");
    Params.oneOf("devicesPerUser", String.valueOf(devicesPerUser), "1", "2");
    Params.atLeast("devices", devices, devicesPerUser);
    users = devices / devicesPerUser;
    idle = new boolean[users];
    String[] userIds = TestIds.users(users);
    ManualTime time = new ManualTime();
    if (impl.equals("presence")) {
      store = new CountingStore();
      presence =
          Engines.manual(time)
              .store(store)
              .listener(change -> events.increment())
              .build();
      flapping = new DeviceConnection[users];
      for (int u = 0; u < users; u++) {
        for (int j = devicesPerUser - 1; j >= 0; j--) {
          flapping[u] = presence.connect(userIds[u], TestIds.device(j));
        }
      }
      eventsBefore = events.sum();
      writesBefore = store.writes();
    } else {
      io = SeedPresenceServer.Io.broadcast();
      io.muted(true);
      seed = new SeedPresenceServer(time, time, io);
      seedFlapping = new SeedPresenceServer.Socket[users];
      for (int u = 0; u < users; u++) {
        for (int j = devicesPerUser - 1; j >= 0; j--) {
          seedFlapping[u] = seed.connect(userIds[u], event -> {});
        }
      }
      io.muted(false);
      emitsBefore = io.emits();
      deliveriesBefore = io.deliveries();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (presence != null) {
      double perFlap = (events.sum() - eventsBefore) / (double) ops;
      System.out.printf(
          "%nSTATUS-FLAP impl=presence devices=%d devicesPerUser=%d flaps=%d eventsPerFlap=%.4f eventsPerUserPerWindow=%.2f storeWritesPerFlap=%.4f%n",
          devices, devicesPerUser, ops, perFlap, perFlap * 10, (store.writes() - writesBefore) / (double) ops);
      presence.close();
    } else {
      double perFlap = (io.emits() - emitsBefore) / (double) ops;
      System.out.printf(
          "%nSTATUS-FLAP impl=seed devices=%d devicesPerUser=%d flaps=%d emitsPerFlap=%.4f eventsPerUserPerWindow=%.2f deliveriesPerFlap=%.1f%n",
          devices, devicesPerUser, ops, perFlap, perFlap * 10, (io.deliveries() - deliveriesBefore) / (double) ops);
    }
  }

  @Benchmark
  public boolean flap(Cursor cursor) {
    int u = cursor.next(users);
    ops++;
    boolean nowIdle = idle[u] = !idle[u];
    if (flapping != null) {
      return flapping[u].setIdle(nowIdle);
    }
    seedFlapping[u].status(nowIdle ? "idle" : "online");
    return true;
  }
}
