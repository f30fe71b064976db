package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.WheelHarness;
import dev.presence.benchmarks.support.Cursor;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * Brief §5 row 2, timer part: schedule plus cancel with N timers pending, the engine's {@code
 * TimerWheel} against a {@code ScheduledThreadPoolExecutor} (the seed's {@code setTimeout} in Java,
 * and the brief's floor of ≈ 1.1 µs).
 *
 * <ul>
 *   <li>{@code scheduleThenCancel}: a timer not yet pending is scheduled 10 s ahead (a grace) and
 *       cancelled (the reconnect).
 *   <li>{@code reschedule}: a pending timer moves to a new deadline 10 s ahead (a disconnect moving
 *       a device's timer); the executor has no move, so it cancels and schedules anew.
 * </ul>
 *
 * <p>Pending deadlines are spread uniformly over 45 s (the heartbeat TTL), in 16 shards at the
 * engine's default 100 ms tick. The wheel is never advanced. The executor uses
 * {@code setRemoveOnCancelPolicy(true)} so its queue stays at N (with the default policy cancelled
 * tasks pile up until their time); its pending tasks sit one hour ahead so none runs, which keeps
 * the heap's shape the same as "now plus up to 45 s".
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TimerBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class TimerBenchmark {
  private static final long TICK = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long HORIZON = TimeUnit.SECONDS.toNanos(45);
  private static final long GRACE = TimeUnit.SECONDS.toNanos(10);
  private static final long STPE_OFFSET = TimeUnit.HOURS.toNanos(1);
  private static final Runnable NOTHING = () -> {};

  @Param({"10000", "1000000"})
  int devices;

  @Param({"wheel", "stpe"})
  String impl;

  private WheelHarness wheel;
  private ScheduledThreadPoolExecutor stpe;
  private ScheduledFuture<?>[] pending;

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "wheel", "stpe");
    Params.atLeast("devices", devices, 1);
    if (impl.equals("wheel")) {
      wheel = new WheelHarness(devices, HORIZON, TICK, 16, 42);
    } else {
      stpe = new ScheduledThreadPoolExecutor(1);
      stpe.setRemoveOnCancelPolicy(true);
      stpe.prestartAllCoreThreads();
      SplittableRandom random = new SplittableRandom(42);
      pending = new ScheduledFuture<?>[devices];
      for (int i = 0; i < devices; i++) {
        pending[i] =
            stpe.schedule(NOTHING, STPE_OFFSET + random.nextLong(HORIZON), TimeUnit.NANOSECONDS);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    long size = wheel != null ? wheel.size() : stpe.getQueue().size();
    System.out.printf("%nTIMER impl=%s devices=%d pendingAtEnd=%d%n", impl, devices, size);
    if (stpe != null) {
      stpe.shutdownNow();
    }
  }

  @Benchmark
  public void scheduleThenCancel(Cursor cursor) {
    int i = cursor.next(1024);
    if (wheel != null) {
      wheel.scheduleThenCancel(i, GRACE);
    } else {
      stpe.schedule(NOTHING, STPE_OFFSET + GRACE, TimeUnit.NANOSECONDS).cancel(false);
    }
  }

  @Benchmark
  public void reschedule(Cursor cursor) {
    int i = cursor.next(devices);
    if (wheel != null) {
      wheel.reschedule(i, GRACE + i);
    } else {
      pending[i].cancel(false);
      pending[i] = stpe.schedule(NOTHING, STPE_OFFSET + GRACE + i, TimeUnit.NANOSECONDS);
    }
  }
}
