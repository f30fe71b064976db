package dev.presence;

import java.util.SplittableRandom;

/**
 * The engine's {@link TimerWheel} with a given number of pending timers, for the timer benchmark.
 * Public so the benchmark in {@code dev.presence.benchmarks} can drive the package-private wheel.
 */
public final class WheelHarness {
  private static final int SPARE = 1024;

  private final TimerWheel wheel;
  private final Node[] pending;
  private final Node[] spare;

  /**
   * A wheel with {@code pendingCount} timers at random deadlines in {@code [0, horizonNanos)}, on
   * {@code shards} shards and the given tick; time stays at 0 (the wheel is never advanced, so
   * nothing fires).
   */
  public WheelHarness(int pendingCount, long horizonNanos, long tickNanos, int shards, long seed) {
    wheel = new TimerWheel(0, tickNanos, shards);
    SplittableRandom random = new SplittableRandom(seed);
    pending = new Node[pendingCount];
    for (int i = 0; i < pendingCount; i++) {
      pending[i] = new Node(wheel.shardFor(random.nextInt()));
      wheel.schedule(pending[i], random.nextLong(horizonNanos));
    }
    spare = new Node[SPARE];
    for (int i = 0; i < SPARE; i++) {
      spare[i] = new Node(wheel.shardFor(random.nextInt()));
    }
  }

  /** Schedules a timer that is not pending, then cancels it: what a grace timer does on reconnect. */
  public void scheduleThenCancel(int index, long deadlineNanos) {
    Node node = spare[index & (SPARE - 1)];
    wheel.schedule(node, deadlineNanos);
    wheel.cancel(node);
  }

  /** Moves pending timer {@code index} to a new deadline: what a disconnect does to a device's timer. */
  public void reschedule(int index, long deadlineNanos) {
    wheel.schedule(pending[index], deadlineNanos);
  }

  /** Timers pending. */
  public long size() {
    return wheel.size();
  }

  private static final class Node extends TimerNode {
    Node(int shard) {
      super(shard);
    }

    @Override
    void onTimer(long nowNanos) {}
  }
}
