package dev.presence.benchmarks.support;

import dev.presence.Scheduler;
import dev.presence.Ticker;
import java.time.Instant;
import java.time.InstantSource;
import java.util.PriorityQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Simulated time for benchmarks: one object that is a {@link Ticker}, a wall clock and a {@link
 * Scheduler}, like {@code dev.presence.testkit.ManualTime} in presence-core's test jar (which this
 * module does not depend on). Time moves only in {@link #advanceNanos}, which runs the tasks that
 * fall due, in order, on the calling thread.
 *
 * <p>Unlike the test kit's clock, {@link #read()} is a plain volatile read, so a benchmark that
 * leaves time frozen pays about as little for the ticker as possible; benchmarks whose hot path
 * reads the clock use the system ticker instead (see each benchmark's javadoc).
 */
public final class SimTime implements Ticker, InstantSource, Scheduler {
  private static final long WALL_ORIGIN_MILLIS = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

  private final Object lock = new Object();
  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>(
          (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.sequence, b.sequence));
  private volatile long nanos;
  private long sequence;

  @Override
  public long read() {
    return nanos;
  }

  @Override
  public long millis() {
    return WALL_ORIGIN_MILLIS + nanos / 1_000_000;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
    synchronized (lock) {
      Task scheduled = new Task(nanos + Math.max(0, unit.toNanos(delay)), sequence++, task);
      tasks.add(scheduled);
      return scheduled;
    }
  }

  /** Moves time forward, running each task when its due time is reached. */
  public void advanceNanos(long delta) {
    long target = nanos + delta;
    while (true) {
      Task next;
      synchronized (lock) {
        next = tasks.peek();
        if (next == null || next.due > target) {
          nanos = target;
          return;
        }
        tasks.poll();
        nanos = Math.max(nanos, next.due);
      }
      if (!next.cancelled) {
        next.runnable.run();
      }
    }
  }

  /** Moves time forward by {@code millis}. */
  public void advanceMillis(long millis) {
    advanceNanos(TimeUnit.MILLISECONDS.toNanos(millis));
  }

  private static final class Task implements Future<Object> {
    final long due;
    final long sequence;
    final Runnable runnable;
    volatile boolean cancelled;

    Task(long due, long sequence, Runnable runnable) {
      this.due = due;
      this.sequence = sequence;
      this.runnable = runnable;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return cancelled;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException("simulated tasks are not awaited");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("simulated tasks are not awaited");
    }
  }
}
