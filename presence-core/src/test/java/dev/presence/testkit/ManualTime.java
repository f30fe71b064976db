package dev.presence.testkit;

import dev.presence.Scheduler;
import dev.presence.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A manual clock for tests: one object that is the engine's {@link Ticker}, wall clock and {@link
 * Scheduler}. Time moves only when a test calls {@link #advance}, which runs every task that falls
 * due, in due order, on the calling thread. Nothing sleeps.
 *
 * <p>Thread-safe: the engine may schedule from any thread; {@link #advance} runs tasks with no lock
 * held.
 */
public final class ManualTime implements Ticker, InstantSource, Scheduler {
  private final Object lock = new Object();
  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos ? Long.compare(a.dueNanos, b.dueNanos) : Long.compare(a.sequence, b.sequence));
  private final long wallOriginMillis;
  /** Written under {@code lock}; read without it, so reading the time is as cheap as possible. */
  private volatile long nanos;
  private long sequence;

  /** Starts at ticker 0 and wall time 2026-01-01T00:00:00Z. */
  public ManualTime() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /** Starts at ticker 0 and the given wall time (millisecond precision). */
  public ManualTime(Instant wallStart) {
    this.wallOriginMillis = wallStart.toEpochMilli();
  }

  @Override
  public long read() {
    return nanos;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public long millis() {
    return wallOriginMillis + TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** Elapsed time since the start. */
  public Duration elapsed() {
    return Duration.ofNanos(read());
  }

  @Override
  public Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
    synchronized (lock) {
      Task scheduled = new Task(nanos + Math.max(0, unit.toNanos(delay)), sequence++, task);
      tasks.add(scheduled);
      return scheduled;
    }
  }

  /** Moves time forward by {@code duration}, running each task as its due time is reached. */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("time cannot go back: " + duration);
    }
    long target;
    synchronized (lock) {
      target = nanos + duration.toNanos();
    }
    while (true) {
      Task next;
      synchronized (lock) {
        next = tasks.peek();
        if (next == null || next.dueNanos > target) {
          nanos = target;
          return;
        }
        tasks.poll();
        nanos = Math.max(nanos, next.dueNanos);
      }
      if (!next.cancelled) {
        next.runnable.run();
      }
    }
  }

  /** Moves time forward in nanoseconds. */
  public void advanceNanos(long nanos) {
    advance(Duration.ofNanos(nanos));
  }

  /** Moves time forward in milliseconds. */
  public void advanceMillis(long millis) {
    advance(Duration.ofMillis(millis));
  }

  /** Moves time forward in seconds. */
  public void advanceSeconds(long seconds) {
    advance(Duration.ofSeconds(seconds));
  }

  private static final class Task implements Future<Object> {
    final long dueNanos;
    final long sequence;
    final Runnable runnable;
    volatile boolean cancelled;

    Task(long dueNanos, long sequence, Runnable runnable) {
      this.dueNanos = dueNanos;
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
    public Object get() throws InterruptedException, ExecutionException {
      throw new UnsupportedOperationException("manual tasks are not awaited");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("manual tasks are not awaited");
    }
  }
}
