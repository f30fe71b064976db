package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import dev.presence.BenchHooks;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.Scheduler;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.benchmarks.support.CountingStore;
import dev.presence.benchmarks.support.Cursor;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.time.InstantSource;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * Brief §5 row 2: a device disconnects and reconnects within grace, among N connected devices.
 *
 * <p>One op is one cycle on a random device: {@code disconnect()} on its handle, then {@code
 * connect(user, device)} again, which takes the device over from grace. For the engine the N
 * devices are N pending timers (each connected device has one), so the cycle's schedule and cancel
 * run against a wheel holding N timers. The engine runs on frozen simulated time: no grace or TTL
 * fires during the run, so every reconnect lands within grace.
 *
 * <p>The seed: {@code socket.on('disconnect')} schedules a never-cancelled 5 s {@code setTimeout} on
 * a real {@code ScheduledThreadPoolExecutor} (it fires later on the executor's thread and finds a
 * newer socket), then {@code io.on('connection')} makes a new socket, sets the user online and
 * broadcasts it to all N connected clients: that broadcast is the seed's cost, and its N deliveries
 * per cycle are what it emits.
 *
 * <p>Events the engine's listeners saw, events the seed emitted, client deliveries and store writes
 * per cycle are printed at the end of each trial ({@code CONNECT-CYCLE …} line). The trial fails if
 * the engine emitted an event during the cycles (the brief's target), or wrote the store more than
 * once per cycle, so {@code smoke.sh} checks it. Since 5f0dd76 a reconnect from grace writes the
 * device's record once (it claims the device back in case another node took it meanwhile); the
 * write changes nothing others see.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ConnectCycleBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class ConnectCycleBenchmark {
  @Param({"10000", "1000000"})
  int devices;

  @Param({"presence", "seed"})
  String impl;

  private String[] userIds;
  private String device;
  private Presence presence;
  private CountingStore store;
  private final LongAdder events = new LongAdder();
  private DeviceConnection[] handles;
  private SeedPresenceServer seed;
  private SeedPresenceServer.BroadcastIo io;
  private ScheduledThreadPoolExecutor seedTimers;
  private SeedPresenceServer.Socket[] sockets;
  private long ops;
  private long eventsBefore;
  private long writesBefore;
  private long emitsBefore;
  private long deliveriesBefore;

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "seed");
    Params.atLeast("devices", devices, 1);
    userIds = TestIds.users(devices);
    device = TestIds.device(0);
    if (impl.equals("presence")) {
      ManualTime time = new ManualTime();
      store = new CountingStore();
      presence =
          Engines.manual(time)
              .store(store)
              .listener(change -> events.increment())
              .build();
      handles = new DeviceConnection[devices];
      for (int i = 0; i < devices; i++) {
        handles[i] = presence.connect(userIds[i], device);
      }
      if (BenchHooks.pendingTimers(presence) != devices + 1) { // one per device, plus the node lease's
        throw new IllegalStateException("expected " + (devices + 1) + " pending timers");
      }
      eventsBefore = events.sum();
      writesBefore = store.writes();
    } else {
      seedTimers = new ScheduledThreadPoolExecutor(1);
      io = SeedPresenceServer.Io.broadcast();
      io.muted(true);
      seed = new SeedPresenceServer(Scheduler.of(seedTimers), InstantSource.system(), io);
      sockets = new SeedPresenceServer.Socket[devices];
      for (int i = 0; i < devices; i++) {
        sockets[i] = seed.connect(userIds[i], event -> {});
      }
      io.muted(false);
      emitsBefore = io.emits();
      deliveriesBefore = io.deliveries();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (presence != null) {
      System.out.printf(
          "%nCONNECT-CYCLE impl=presence devices=%d cycles=%d eventsPerCycle=%.4f storeWritesPerCycle=%.4f pendingTimers=%d%n",
          devices,
          ops,
          (events.sum() - eventsBefore) / (double) ops,
          (store.writes() - writesBefore) / (double) ops,
          BenchHooks.pendingTimers(presence));
      presence.close();
      if (events.sum() != eventsBefore) {
        throw new IllegalStateException("a reconnect within grace emitted events");
      }
      if (store.writes() - writesBefore > ops) {
        throw new IllegalStateException("a reconnect within grace wrote the store more than once");
      }
    } else {
      System.out.printf(
          "%nCONNECT-CYCLE impl=seed devices=%d cycles=%d emitsPerCycle=%.4f deliveriesPerCycle=%.1f pendingTimers=%d%n",
          devices,
          ops,
          (io.emits() - emitsBefore) / (double) ops,
          (io.deliveries() - deliveriesBefore) / (double) ops,
          seedTimers.getQueue().size());
      seedTimers.shutdownNow();
    }
  }

  @Benchmark
  public Object disconnectThenReconnect(Cursor cursor) {
    int i = cursor.next(devices);
    ops++;
    if (handles != null) {
      handles[i].disconnect();
      return handles[i] = presence.connect(userIds[i], device);
    }
    sockets[i].disconnect();
    return sockets[i] = seed.connect(userIds[i], event -> {});
  }
}
