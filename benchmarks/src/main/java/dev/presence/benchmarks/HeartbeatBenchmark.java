package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.Scheduler;
import dev.presence.Ticker;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.benchmarks.support.CoarseTicker;
import dev.presence.benchmarks.support.CountingStore;
import dev.presence.benchmarks.support.Cursor;
import dev.presence.benchmarks.support.TestIds;
import java.time.InstantSource;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Brief §5 row 1: a heartbeat of one random device out of N connected ones.
 *
 * <ul>
 *   <li>{@code presence-handle}: {@link DeviceConnection#heartbeat()} on the handle the socket layer
 *       keeps with its socket.
 *   <li>{@code presence-id}: {@link Presence#heartbeat(String, String)}, ids validated and looked up
 *       (the ids are copies of the connected ones, as if parsed from a message).
 *   <li>{@code seed}: the seed's {@code socket.on('heartbeat')}: {@code setPresence}, a new map entry
 *       object per heartbeat. The seed has no id-based path; its socket is its handle.
 *   <li>{@code floor}: a bare {@code ConcurrentHashMap.get} plus a volatile write (brief §5's floor).
 *   <li>{@code floor-clock}: the same plus a {@code System.nanoTime()} read, since any heartbeat must
 *       read a clock.
 *   <li>{@code floor-pair}: the floor for a key of two ids, what {@code presence-id} is asked: a
 *       {@code ConcurrentHashMap.get} keyed by a (user id, device id) object made per call from the
 *       two copied ids, plus a volatile write. It reads the device id copy the one-id floor never
 *       touches.
 *   <li>{@code presence-handle-coarse}, {@code presence-id-coarse}: the engine given a {@link
 *       CoarseTicker} (a volatile field refreshed every millisecond) instead of {@code nanoTime()}:
 *       what the clock read costs the engine.
 * </ul>
 *
 * <p>The engine uses the system ticker and wall clock (so the hot path pays a real clock read) and a
 * scheduler that never runs, so no timer fires during the run; a heartbeat touches no timer anyway.
 * The seed's 10 s sweep is not started (it is measured in {@link ExpiryBenchmark}). Store writes per
 * heartbeat are counted and printed at the end of each trial ({@code HEARTBEAT …} line); the trial
 * fails if a heartbeat wrote the store.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HeartbeatBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class HeartbeatBenchmark {
  @Param({"10000", "1000000"})
  int devices;

  @Param({
    "presence-handle",
    "presence-id",
    "presence-handle-coarse",
    "presence-id-coarse",
    "seed",
    "floor",
    "floor-clock",
    "floor-pair"
  })
  String impl;

  private int mode;
  private Presence presence;
  private CountingStore store;
  private DeviceConnection[] handles;
  private String[] userIds;
  private String[] deviceIds;
  private SeedPresenceServer seed;
  private SeedPresenceServer.Socket[] sockets;
  private ConcurrentHashMap<String, Slot> floorMap;
  private ConcurrentHashMap<PairKey, Slot> pairMap;
  private CoarseTicker coarse;
  private long storeWritesBefore;
  private long ops;

  /** The floor's value: one volatile field. */
  static final class Slot {
    volatile long lastHeartbeat;
  }

  /**
   * The two-id floor's key: both ids, hashed from their cached {@code String} hashes, compared device
   * id first (the shorter compare, as the engine does).
   */
  record PairKey(String userId, String deviceId) {
    @Override
    public int hashCode() {
      return userId.hashCode() * 0x9E3779B9 + deviceId.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PairKey other && deviceId.equals(other.deviceId) && userId.equals(other.userId);
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    Params.atLeast("devices", devices, 1);
    Params.oneOf(
        "impl", impl, "presence-handle", "presence-id", "presence-handle-coarse", "presence-id-coarse", "seed", "floor",
        "floor-clock", "floor-pair");
    mode =
        switch (impl) {
          case "presence-handle" -> 0;
          case "presence-id" -> 1;
          case "seed" -> 2;
          case "floor" -> 3;
          case "floor-clock" -> 4;
          case "presence-handle-coarse" -> 5;
          case "presence-id-coarse" -> 6;
          case "floor-pair" -> 7;
          default -> throw new AssertionError(impl); // Params.oneOf let it through
        };
    String[] users = TestIds.users(devices);
    userIds = TestIds.copies(users);
    String device = TestIds.device(0);
    deviceIds = new String[devices];
    for (int i = 0; i < devices; i++) {
      deviceIds[i] = new String(device.toCharArray());
    }
    switch (mode) {
      case 0, 1, 5, 6 -> {
        store = new CountingStore();
        if (mode >= 5) {
          coarse = new CoarseTicker();
        }
        presence =
            Presence.builder()
                .ticker(mode >= 5 ? coarse : Ticker.system())
                .clock(InstantSource.system())
                .scheduler(never())
                .store(store)
                .build();
        handles = new DeviceConnection[devices];
        for (int i = 0; i < devices; i++) {
          handles[i] = presence.connect(users[i], device);
        }
        storeWritesBefore = store.writes();
      }
      case 2 -> {
        seed = new SeedPresenceServer(never(), InstantSource.system(), SeedPresenceServer.Io.countOnly());
        sockets = new SeedPresenceServer.Socket[devices];
        for (int i = 0; i < devices; i++) {
          sockets[i] = seed.connect(users[i], event -> {});
        }
      }
      case 7 -> {
        pairMap = new ConcurrentHashMap<>();
        for (int i = 0; i < devices; i++) {
          pairMap.put(new PairKey(users[i], device), new Slot());
        }
      }
      default -> {
        floorMap = new ConcurrentHashMap<>();
        for (int i = 0; i < devices; i++) {
          floorMap.put(users[i], new Slot());
        }
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    String writes =
        switch (mode) {
          case 0, 1, 5, 6 -> String.format("%.3f", (store.writes() - storeWritesBefore) / (double) ops);
          case 2 -> "1 (map put; 3 Redis commands in the seed's Redis variant)";
          default -> "n/a";
        };
    System.out.printf(
        "%nHEARTBEAT impl=%s devices=%d ops=%d storeWritesPerOp=%s%n", impl, devices, ops, writes);
    if (presence != null) {
      presence.close();
      if (store.writes() != storeWritesBefore) {
        throw new IllegalStateException("heartbeats wrote the store");
      }
    }
    if (coarse != null) {
      coarse.close();
    }
  }

  @Benchmark
  public boolean heartbeat(Cursor cursor) {
    int i = cursor.next(devices);
    ops++;
    switch (mode) {
      case 0:
      case 5:
        return handles[i].heartbeat();
      case 1:
      case 6:
        return presence.heartbeat(userIds[i], deviceIds[i]);
      case 2:
        sockets[i].heartbeat();
        return true;
      case 3:
        floorMap.get(userIds[i]).lastHeartbeat = i;
        return true;
      case 7:
        pairMap.get(new PairKey(userIds[i], deviceIds[i])).lastHeartbeat = i;
        return true;
      default:
        floorMap.get(userIds[i]).lastHeartbeat = System.nanoTime();
        return true;
    }
  }

  /** A scheduler that accepts tasks and never runs them: time-driven work stays out of the run. */
  static Scheduler never() {
    return (task, delay, unit) -> new java.util.concurrent.CompletableFuture<Void>();
  }
}
