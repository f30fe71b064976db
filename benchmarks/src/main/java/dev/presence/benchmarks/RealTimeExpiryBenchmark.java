package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceState;
import dev.presence.benchmarks.support.TestIds;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
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
 * Brief §5 row 7, detection delay on real time: {@link ExpiryBenchmark}'s workload with the engine
 * on the system ticker and its own timer thread, so the delay includes the scheduler's wake-up
 * latency and the timer thread competing for the machine's cores. N devices heartbeat every 15 s
 * (TTL 45 s); 1 % of them fall silent per second and reconnect once detected. To fit in seconds,
 * {@code timeScale} divides every duration (default 10: TTL 4.5 s, heartbeats every 1.5 s), which
 * also multiplies the heartbeat rate and the engine's lazy re-checks by the same factor, so the
 * 1M-device figure is taken at {@code -p timeScale=1}. The timer tick stays at the default 100 ms.
 *
 * <p>One op is {@code seconds} seconds of real time, after a settling period of three TTLs. Printed
 * at the end of each iteration ({@code REALTIME-EXPIRY …} line), over the measured part only:
 * expiries; the delay from deadline (last heartbeat + TTL) to the offline event, p50, p99 and max;
 * the driver's lag behind its schedule, heartbeats it sent later than the TTL and the expiries they
 * caused ({@code lateExpiries}: the engine was right, the driver was starved); and false expiries
 * (a device reported offline within the TTL of its last heartbeat: an engine bug, must be 0; the
 * iteration fails otherwise). The
 * score (the length of the op) is not the point. Only the engine runs here; the seed's delay (up to
 * its 10 s sweep) is in {@link ExpiryBenchmark}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RealTimeExpiryBenchmark -p devices=10000}
 * and {@code java -jar benchmarks/target/benchmarks.jar RealTimeExpiryBenchmark -p devices=1000000
 * -p timeScale=1 -p seconds=60}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class RealTimeExpiryBenchmark {
  private static final long STEP = TimeUnit.MILLISECONDS.toNanos(100);

  @Param({"10000", "1000000"})
  int devices;

  @Param({"20"})
  int seconds;

  /** Every duration (TTL 45 s, heartbeats every 15 s) is divided by this; 1 is real scale. */
  @Param({"10"})
  int timeScale;

  private long ttl;
  private int heartbeatSteps;

  private String[] userIds;
  private String device;
  private Presence presence;
  private DeviceConnection[] handles;
  private AtomicIntegerArray dead;
  private AtomicLongArray deadline;
  private AtomicLongArray lastBeat;
  private int[] victims;
  private int victimCursor;
  private double killCredit;
  private final ConcurrentLinkedQueue<Integer> detected = new ConcurrentLinkedQueue<>();
  private final AtomicLong falseExpiries = new AtomicLong();
  private final AtomicLong lateExpiries = new AtomicLong();
  private long lateHeartbeats;
  private long maxLag;
  private long[] delays = new long[1 << 16];
  private int delayCount;
  private volatile boolean counting;
  private long step;

  @Setup(Level.Trial)
  public void setUp() {
    Params.atLeast("devices", devices, 1);
    Params.atLeast("seconds", seconds, 1);
    Params.atLeast("timeScale", timeScale, 1);
    ttl = TimeUnit.SECONDS.toNanos(45) / timeScale;
    heartbeatSteps = 150 / timeScale;
    userIds = TestIds.users(devices);
    device = TestIds.device(0);
    dead = new AtomicIntegerArray(devices);
    deadline = new AtomicLongArray(devices);
    lastBeat = new AtomicLongArray(devices);
    victims = new int[devices];
    for (int i = 0; i < devices; i++) {
      victims[i] = i;
    }
    SplittableRandom random = new SplittableRandom(13);
    for (int i = devices - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = victims[i];
      victims[i] = victims[j];
      victims[j] = t;
    }
    presence =
        Presence.builder()
            .heartbeatTtl(Duration.ofNanos(ttl))
            .idleAfter(Duration.ofDays(1))
            .listener(
                change -> {
                  if (change.current().state() == PresenceState.OFFLINE) {
                    onOffline(TestIds.indexOf(change.userId()), System.nanoTime());
                  }
                })
            .build();
    handles = new DeviceConnection[devices];
    long start = System.nanoTime();
    for (int s = 0; s < heartbeatSteps; s++) {
      for (int i = s; i < devices; i += heartbeatSteps) {
        connect(i);
      }
    }
    run(start, 3 * ttl, false);
  }

  @TearDown(Level.Iteration)
  public void report() {
    long[] sorted = Arrays.copyOf(delays, delayCount);
    Arrays.sort(sorted);
    System.out.printf(
        "%nREALTIME-EXPIRY devices=%d timeScale=%d seconds=%d expiries=%d p50DelayMs=%.1f p99DelayMs=%.1f maxDelayMs=%.1f"
            + " falseExpiries=%d lateExpiries=%d lateHeartbeats=%d maxDriverLagMs=%.1f%n",
        devices,
        timeScale,
        seconds,
        delayCount,
        percentile(sorted, 0.50) / 1e6,
        percentile(sorted, 0.99) / 1e6,
        (delayCount == 0 ? 0 : sorted[delayCount - 1]) / 1e6,
        falseExpiries.get(),
        lateExpiries.get(),
        lateHeartbeats,
        maxLag / 1e6);
    if (falseExpiries.get() != 0) {
      throw new IllegalStateException(falseExpiries.get() + " devices expired within the TTL of their last heartbeat");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    presence.close();
  }

  @Benchmark
  public int run() {
    counting = true;
    run(System.nanoTime(), TimeUnit.SECONDS.toNanos(seconds), true);
    counting = false;
    return delayCount;
  }

  private void run(long start, long length, boolean measured) {
    long next = start;
    while (next - start < length) {
      Integer i;
      while ((i = detected.poll()) != null) {
        connect(i);
      }
      killCredit += devices / 100.0 / 10;
      while (killCredit >= 1) {
        killCredit -= 1;
        int victim = nextVictim();
        deadline.set(victim, lastBeat.get(victim) + ttl);
        dead.set(victim, 1);
      }
      for (int k = (int) (step % heartbeatSteps); k < devices; k += heartbeatSteps) {
        if (dead.get(k) == 0) {
          long before = System.nanoTime();
          if (measured && before - lastBeat.get(k) >= ttl) {
            lateHeartbeats++;
          }
          handles[k].heartbeat();
          lastBeat.set(k, System.nanoTime());
        }
      }
      step++;
      next += STEP;
      if (measured) {
        maxLag = Math.max(maxLag, System.nanoTime() - next);
      }
      long wait;
      while ((wait = next - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
    }
  }

  private int nextVictim() {
    while (true) {
      int victim = victims[victimCursor];
      victimCursor = (victimCursor + 1) % devices;
      if (dead.get(victim) == 0) {
        return victim;
      }
    }
  }

  private void connect(int i) {
    handles[i] = presence.connect(userIds[i], device);
    lastBeat.set(i, System.nanoTime());
    dead.set(i, 0);
  }

  /** On the engine's timer thread. */
  private void onOffline(int i, long now) {
    if (dead.get(i) == 0) {
      // A device the driver still heartbeats. If the driver fell behind and its last heartbeat is
      // older than the TTL, the engine was right; otherwise the engine expired a live device.
      if (!counting) {
        // settling: connecting N devices may itself take longer than a scaled-down TTL
      } else if (now - lastBeat.get(i) >= ttl) {
        lateExpiries.incrementAndGet();
      } else {
        falseExpiries.incrementAndGet();
      }
      detected.add(i);
      return;
    }
    if (counting) {
      synchronized (this) {
        if (delayCount == delays.length) {
          delays = Arrays.copyOf(delays, delays.length * 2);
        }
        delays[delayCount++] = now - deadline.get(i);
      }
    }
    detected.add(i);
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }
}
