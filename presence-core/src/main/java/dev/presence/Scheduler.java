package dev.presence;

import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task once after a delay. The engine uses it only to drive its timer wheel (one task per
 * tick), never one task per deadline.
 *
 * <p>Implementations must be thread-safe. Tests inject a manual scheduler that runs due tasks when
 * its clock advances.
 */
@FunctionalInterface
public interface Scheduler {

  /**
   * Schedules {@code task} to run once after {@code delay}.
   *
   * @param task the task
   * @param delay the delay, in {@code unit}
   * @param unit the delay's unit
   * @return a future that cancels the task
   * @throws java.util.concurrent.RejectedExecutionException if the scheduler is shut down
   */
  Future<?> schedule(Runnable task, long delay, TimeUnit unit);

  /**
   * A scheduler backed by the given executor service; the caller owns its lifecycle.
   *
   * @param executor the executor service that runs the tasks
   * @return a scheduler that delegates to it
   * @throws NullPointerException if {@code executor} is null
   */
  static Scheduler of(ScheduledExecutorService executor) {
    Objects.requireNonNull(executor, "executor");
    return executor::schedule;
  }
}
