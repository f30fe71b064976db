package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceBuilder;
import dev.presence.PresenceSink;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
 * Brief §5 row 3, delivery level: what watchers receive while users flap. N users, one device each;
 * each user's device has a subscriber watching 10 contacts (the next 10 users), so every user has 10
 * watchers. Simulated time moves in 10 ms steps and drives the engine's timer (100 ms ticks, the
 * default 1 s flush interval); each user acts at its own random phase (a 10 ms step of its cycle),
 * 5 ms off the ticks, as real clients would. One op is 100 ms of simulated time with everything that
 * happens in it.
 *
 * <ul>
 *   <li>{@code toggle}: every user flaps at 10 Hz, {@code setIdle(true)} and {@code setIdle(false)}
 *       alternating every 100 ms (the tab hidden and shown ten times a second).
 *   <li>{@code blip}: every 2 s each user goes idle for 100 ms and comes back (A→B→A).
 * </ul>
 *
 * <p>{@code presence}: the engine with a direct delivery executor ({@code Runnable::run}), so the
 * sinks run inside the timer tick and counts are exact. {@code seed}: each flap is a {@code
 * socket.on('status')} that {@code io.emit}s to all N connected clients.
 *
 * <p>Printed at the end of each trial ({@code STATUS-FLAP-DELIVERY …} line): flaps per user per 1 s
 * window, engine events per flap (before coalescing), and events delivered per watched user per 1 s
 * window to each watcher (the brief's figure: at most 1, and an A→B→A inside one window sends 0); for
 * the seed, events per user per window that each connected client gets. The trial fails if a
 * subscriber got two presence batches in one flush window (windows are aligned on the engine's
 * clock) or one user twice in a batch (which is what would break "at most 1 per window").
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar StatusFlapDeliveryBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class StatusFlapDeliveryBenchmark {
  static final int CONTACTS = 10;
  static final long STEP_MS = 10;
  static final int STEPS_PER_OP = 10;
  static final int BLIP_CYCLE_STEPS = 200;
  static final int BLIP_STEPS = 10;
  /**
   * Users act 5 ms past each 10 ms step, never exactly on a 100 ms timer tick: clients are not in
   * phase with the server's timer. (With trailing windows, acting exactly on ticks lined every
   * subscriber's window up with the 10 Hz flaps, ten flaps per window, which always cancel out: 0
   * events. Since issue 11's sixth round windows are aligned on the engine's clock, so every 1 s
   * window holds exactly ten flaps of a 10 Hz toggler whatever its phase: {@code toggle} delivers
   * nothing by design, and measures the cost of flapping that coalescing absorbs entirely.)
   */
  static final long PHASE_OFFSET_MS = 5;

  @Param({"1000", "10000"})
  int devices;

  @Param({"toggle", "blip"})
  String pattern;

  @Param({"presence", "seed"})
  String impl;

  private ManualTime time;
  private boolean toggle;
  private long flushNanos;
  /** The engine's clock origin: its flush windows are multiples of the interval from here. */
  private long origin;
  /** For each step of the pattern's cycle, the users that go idle and those that come back. */
  private int[][] goIdle;
  private int[][] goActive;
  private boolean[] idle;
  private long step;
  private long ops;
  private long flaps;

  private Presence presence;
  private DeviceConnection[] devicesOf;
  private WatcherSink[] sinks;
  private final LongAdder events = new LongAdder();
  private long eventsBefore;

  private SeedPresenceServer.Socket[] sockets;
  private SeedPresenceServer.BroadcastIo io;
  private long deliveriesBefore;
  private long emitsBefore;

  /** A watcher's sink: counts entries and checks the one-batch-per-window rule. */
  final class WatcherSink implements PresenceSink {
    long entries;
    long batches;
    long lastWindow = Long.MIN_VALUE;
    long violations;

    @Override
    public void onPresence(List<UserPresence> changes) {
      long window = Math.floorDiv(time.read() - origin, flushNanos); // windows aligned on the engine's clock
      if (window == lastWindow) {
        violations++;
      }
      lastWindow = window;
      batches++;
      entries += changes.size();
      for (int i = 1; i < changes.size(); i++) {
        for (int j = 0; j < i; j++) {
          if (changes.get(i).userId().equals(changes.get(j).userId())) {
            violations++;
          }
        }
      }
    }

    @Override
    public void onTyping(List<TypingEvent> events) {}
  }

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "seed");
    Params.atLeast("devices", devices, 1);
    Params.oneOf("pattern", pattern, "toggle", "blip");
    time = new ManualTime();
    toggle = pattern.equals("toggle");
    idle = new boolean[devices];
    buildSchedule();
    String[] users = TestIds.users(devices);
    String device = TestIds.device(0);
    if (impl.equals("presence")) {
      flushNanos = PresenceBuilder.DEFAULT_FLUSH_INTERVAL.toNanos();
      origin = time.read(); // the engine's windows are aligned on its clock from here
      presence =
          Engines.manual(time)
              .deliveryExecutor(Runnable::run)
              .listener(change -> events.increment())
              .build();
      devicesOf = new DeviceConnection[devices];
      for (int u = 0; u < devices; u++) {
        devicesOf[u] = presence.connect(users[u], device);
      }
      sinks = new WatcherSink[devices];
      for (int u = 0; u < devices; u++) {
        List<String> contacts = new ArrayList<>(CONTACTS);
        for (int c = 1; c <= CONTACTS; c++) {
          contacts.add(FanoutBenchmark.copy(users[(u + c) % devices])); // as parsed from a request
        }
        sinks[u] = new WatcherSink();
        presence.subscribe(devicesOf[u], sinks[u]).watchUsers(contacts);
      }
      time.advanceMillis(2_000 + PHASE_OFFSET_MS); // settle; then act between ticks
      for (WatcherSink sink : sinks) {
        sink.entries = 0;
        sink.batches = 0;
      }
      eventsBefore = events.sum();
    } else {
      io = SeedPresenceServer.Io.broadcast();
      io.muted(true); // N connects would broadcast N²/2 times; not what is measured
      SeedPresenceServer seed = new SeedPresenceServer(time, time, io);
      sockets = new SeedPresenceServer.Socket[devices];
      for (int u = 0; u < devices; u++) {
        sockets[u] = seed.connect(users[u], new FanoutBenchmark.SeedClient());
      }
      io.muted(false);
      time.advanceMillis(2_000 + PHASE_OFFSET_MS);
      deliveriesBefore = io.deliveries();
      emitsBefore = io.emits();
    }
  }

  /** Which users act at which 10 ms step of the pattern's cycle. */
  private void buildSchedule() {
    int cycle = toggle ? STEPS_PER_OP : BLIP_CYCLE_STEPS;
    List<List<Integer>> down = new ArrayList<>();
    List<List<Integer>> up = new ArrayList<>();
    for (int c = 0; c < cycle; c++) {
      down.add(new ArrayList<>());
      up.add(new ArrayList<>());
    }
    SplittableRandom random = new SplittableRandom(42); // each user's phase: random, fixed per run
    for (int u = 0; u < devices; u++) {
      int phase = random.nextInt(cycle);
      down.get(phase).add(u); // toggle: "down" means "flip"
      if (!toggle) {
        up.get((phase + BLIP_STEPS) % cycle).add(u);
      }
    }
    goIdle = new int[cycle][];
    goActive = new int[cycle][];
    for (int c = 0; c < cycle; c++) {
      goIdle[c] = down.get(c).stream().mapToInt(Integer::intValue).toArray();
      goActive[c] = up.get(c).stream().mapToInt(Integer::intValue).toArray();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    double seconds = ops * STEPS_PER_OP * STEP_MS / 1000.0;
    double flapsPerUserPerWindow = flaps / (double) devices / seconds;
    if (presence != null) {
      long entries = 0;
      long violations = 0;
      long batches = 0;
      for (WatcherSink sink : sinks) {
        entries += sink.entries;
        violations += sink.violations;
        batches += sink.batches;
      }
      System.out.printf(
          "%nSTATUS-FLAP-DELIVERY impl=presence pattern=%s devices=%d simulatedSeconds=%.1f flapsPerUserPerWindow=%.2f"
              + " engineEventsPerFlap=%.3f eventsPerWatchedUserPerWindowToEachWatcher=%.3f batchesPerWatcherPerWindow=%.3f"
              + " deliveriesPerFlap=%.3f violations=%d%n",
          pattern,
          devices,
          seconds,
          flapsPerUserPerWindow,
          (events.sum() - eventsBefore) / (double) flaps,
          entries / ((double) devices * CONTACTS) / seconds,
          batches / (double) devices / seconds,
          entries / (double) flaps,
          violations);
      presence.close();
      if (violations != 0) {
        throw new IllegalStateException(violations + " batches broke the one-per-window rule");
      }
    } else {
      long emits = io.emits() - emitsBefore;
      System.out.printf(
          "%nSTATUS-FLAP-DELIVERY impl=seed pattern=%s devices=%d simulatedSeconds=%.1f flapsPerUserPerWindow=%.2f"
              + " eventsPerUserPerWindowToEachClient=%.3f deliveriesPerFlap=%.1f%n",
          pattern,
          devices,
          seconds,
          flapsPerUserPerWindow,
          emits / (double) devices / seconds,
          (io.deliveries() - deliveriesBefore) / (double) flaps);
    }
  }

  @Benchmark
  public long simulate100ms() {
    ops++;
    int cycle = goIdle.length;
    for (int s = 0; s < STEPS_PER_OP; s++) {
      int c = (int) (step++ % cycle);
      for (int u : goIdle[c]) {
        flap(u, toggle ? !idle[u] : true);
      }
      for (int u : goActive[c]) {
        flap(u, false);
      }
      time.advanceMillis(STEP_MS);
    }
    return step;
  }

  private void flap(int u, boolean nowIdle) {
    idle[u] = nowIdle;
    flaps++;
    if (devicesOf != null) {
      devicesOf[u].setIdle(nowIdle);
    } else {
      sockets[u].status(nowIdle ? "idle" : "online");
    }
  }
}
