package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import dev.presence.BenchHooks;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceState;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.time.Duration;
import java.util.SplittableRandom;
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
 * Brief §5 row 7: expiry of silent devices. N devices heartbeat every 15 s (staggered); every
 * second 1 % of them fall silent (a socket that died without a close); each is detected by the TTL
 * (45 s) and then reconnects, so N stays steady. One op is one simulated second: ten 100 ms steps of
 * heartbeats, new silences, reconnects and timer ticks on simulated time.
 *
 * <p>Printed at the end of each trial ({@code EXPIRY …} line), counted over the measured part only:
 *
 * <ul>
 *   <li>visits per expiry: entries examined per device found expired. The engine: every timer the
 *       wheel fires (counted by {@link BenchHooks#countTimerVisits}), including the lazy re-checks of
 *       live devices (a heartbeat does not move its timer; the timer fires at the old deadline,
 *       finds the device alive and re-arms). The seed: every entry its 10 s sweep visits.
 *   <li>visits of the expiring devices themselves per expiry (the engine only).
 *   <li>the delay from the deadline (last heartbeat + 45 s) to detection, mean and max, in simulated
 *       time: the seed detects at its next sweep; the engine at the first 100 ms tick at or after the
 *       deadline. On real time add the scheduler's wake-up latency.
 *   <li>false expiries: devices reported offline while still heartbeating (must be 0; the trial
 *       fails otherwise).
 * </ul>
 *
 * <p>The score is the CPU time per simulated second. The seed's {@code io.emit} of each offline and
 * online is counted (deliveries = connected sockets per emit) but not performed, since looping over
 * 1M sockets 20k times per simulated second would take hours; the broadcast's cost is what {@link
 * ConnectCycleBenchmark} and {@link StatusFlapBenchmark} measure. Idle detection is set to one day so
 * only expiry is at work.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ExpiryBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class ExpiryBenchmark {
  private static final long STEP = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int STEPS_PER_SECOND = 10;
  private static final int HEARTBEAT_STEPS = 150;
  private static final long TTL = TimeUnit.SECONDS.toNanos(45);
  private static final int PRE_RUN_SECONDS = 120;

  @Param({"10000", "1000000"})
  int devices;

  @Param({"presence", "seed"})
  String impl;

  private ManualTime time;
  private String[] userIds;
  private String device;
  private boolean[] dead;
  private long[] lastBeat;
  private long[] deadline;
  private int[] victims;
  private int victimCursor;
  private double killsPerStep;
  private double killCredit;
  private int[] reconnect;
  private int reconnectCount;
  private long step;

  private Presence presence;
  private DeviceConnection[] handles;
  private BenchHooks.VisitCounter visits;
  private SeedPresenceServer seed;
  private SeedPresenceServer.Socket[] sockets;
  private OfflineCountingIo io;

  private boolean counting;
  private long expiries;
  private long delaySum;
  private long delayMax;
  private long visitsBefore;
  private long taggedBefore;
  private long deliveriesBefore;
  private long simulatedSeconds;
  private long falseExpiries;

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "seed");
    Params.atLeast("devices", devices, 100);
    time = new ManualTime();
    userIds = TestIds.users(devices);
    device = TestIds.device(0);
    dead = new boolean[devices];
    lastBeat = new long[devices];
    deadline = new long[devices];
    reconnect = new int[devices];
    victims = new int[devices];
    for (int i = 0; i < devices; i++) {
      victims[i] = i;
    }
    SplittableRandom random = new SplittableRandom(11);
    for (int i = devices - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = victims[i];
      victims[i] = victims[j];
      victims[j] = t;
    }
    killsPerStep = devices / 100.0 / STEPS_PER_SECOND;
    if (impl.equals("presence")) {
      presence =
          Engines.manual(time)
              .idleAfter(Duration.ofDays(1))
              .listener(
                  change -> {
                    if (change.current().state() == PresenceState.OFFLINE) {
                      detected(TestIds.indexOf(change.userId()));
                    }
                  })
              .build();
      visits = BenchHooks.countTimerVisits(presence);
      visits.tag(connection -> dead[TestIds.indexOf(connection.userId())]);
      handles = new DeviceConnection[devices];
    } else {
      io = new OfflineCountingIo();
      seed = new SeedPresenceServer(time, time, io);
      seed.startSweep();
      sockets = new SeedPresenceServer.Socket[devices];
    }
    // Devices connect over the first 15 s, staggered like their heartbeats; then the run settles.
    for (long s = 0; s < PRE_RUN_SECONDS * STEPS_PER_SECOND; s++) {
      if (s < HEARTBEAT_STEPS) {
        for (int i = (int) s; i < devices; i += HEARTBEAT_STEPS) {
          connect(i);
        }
      }
      step(s >= HEARTBEAT_STEPS);
    }
    counting = true;
    visitsBefore = presence != null ? visits.visits() : seed.sweepVisits();
    taggedBefore = presence != null ? visits.taggedVisits() : 0;
    deliveriesBefore = io != null ? io.deliveries() : 0;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    long visited = (presence != null ? visits.visits() : seed.sweepVisits()) - visitsBefore;
    System.out.printf(
        "%nEXPIRY impl=%s devices=%d simulatedSeconds=%d expiries=%d expiriesPerSecond=%.1f visitsPerExpiry=%.2f"
            + " expiringVisitsPerExpiry=%s meanDelayMs=%.1f maxDelayMs=%.1f deliveriesPerSecond=%s falseExpiries=%d%n",
        impl,
        devices,
        simulatedSeconds,
        expiries,
        expiries / (double) simulatedSeconds,
        visited / (double) expiries,
        presence != null
            ? String.format("%.2f", (visits.taggedVisits() - taggedBefore) / (double) expiries)
            : "n/a",
        delaySum / (double) expiries / 1e6,
        delayMax / 1e6,
        io != null ? String.format("%.3g", (io.deliveries() - deliveriesBefore) / (double) simulatedSeconds) : "0",
        falseExpiries);
    if (presence != null) {
      presence.close();
    } else {
      seed.close();
    }
    if (falseExpiries != 0) {
      throw new IllegalStateException(falseExpiries + " devices expired while heartbeating");
    }
  }

  /** One simulated second. */
  @Benchmark
  public long simulatedSecond() {
    for (int s = 0; s < STEPS_PER_SECOND; s++) {
      step(true);
    }
    simulatedSeconds++;
    return expiries;
  }

  private void step(boolean kill) {
    long now = time.read();
    for (int k = 0; k < reconnectCount; k++) {
      connect(reconnect[k]);
    }
    reconnectCount = 0;
    if (kill) {
      killCredit += killsPerStep;
      while (killCredit >= 1) {
        killCredit -= 1;
        int victim = nextVictim();
        dead[victim] = true;
        deadline[victim] = lastBeat[victim] + TTL;
      }
    }
    for (int i = (int) (step % HEARTBEAT_STEPS); i < devices; i += HEARTBEAT_STEPS) {
      if (!dead[i] && lastBeat[i] != now) {
        if (presence != null) {
          if (handles[i] != null) {
            handles[i].heartbeat();
          }
        } else if (sockets[i] != null) {
          sockets[i].heartbeat();
        }
        lastBeat[i] = now;
      }
    }
    step++;
    time.advanceNanos(STEP);
  }

  private int nextVictim() {
    while (true) {
      int victim = victims[victimCursor];
      victimCursor = (victimCursor + 1) % devices;
      if (!dead[victim] && (presence != null ? handles[victim] : sockets[victim]) != null) {
        return victim;
      }
    }
  }

  private void connect(int i) {
    if (presence != null) {
      handles[i] = presence.connect(userIds[i], device);
    } else {
      if (sockets[i] != null) {
        io.leave(sockets[i]); // the dead socket's transport has long timed out by now
      }
      sockets[i] = seed.connect(userIds[i], event -> {});
    }
    dead[i] = false;
    lastBeat[i] = time.read();
  }

  /** A device was found expired (called from the timer or the sweep, on this thread). */
  private void detected(int i) {
    if (!dead[i]) {
      falseExpiries++;
      return;
    }
    if (counting) {
      long delay = time.read() - deadline[i];
      expiries++;
      delaySum += delay;
      delayMax = Math.max(delayMax, delay);
    }
    reconnect[reconnectCount++] = i;
  }

  /** Counts the deliveries {@code io.emit} would make and reports each offline to the benchmark. */
  private final class OfflineCountingIo implements SeedPresenceServer.Io {
    private long connected;
    private long deliveries;
    private long emits;

    @Override
    public void join(SeedPresenceServer.Socket socket) {
      connected++;
    }

    @Override
    public void leave(SeedPresenceServer.Socket socket) {
      connected--;
    }

    @Override
    public void emit(SeedPresenceServer.PresenceEvent event) {
      emits++;
      deliveries += connected;
      if (event.status().equals(SeedPresenceServer.OFFLINE)) {
        detected(TestIds.indexOf(event.userId()));
      }
    }

    @Override
    public long deliveries() {
      return deliveries;
    }

    @Override
    public long emits() {
      return emits;
    }
  }
}
