package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.NodeFencedException;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every store write of this node, queued per user: one write in flight per user, the next sent when
 * the previous one completed, so a user's changes land in the order this node made them. Writes go
 * through {@link PresenceStore#applyAsync}, handed to the store executor (inline for the in-memory
 * store), so no thread holding a user lock waits on the store. A completed write is committed under
 * the user lock by its {@link StoreWrite.Handler}.
 *
 * <p>A write that failed for a store reason ({@link PresenceStoreException}, including {@link
 * NodeFencedException}, which asks the lease to renew at once) stays at the head of the queue and is
 * sent again from a timer after 1 s, then 2 s, 3 s … at most 10 s, counted in {@link
 * PresenceStats#storeFailures()}. A write the store rejects for good ({@code IllegalArgumentException})
 * is dropped and its handler told. After {@code close()} nothing more is sent or committed.
 *
 * <p>Callers that need the outcome ({@code connect}, {@code setStatus}) wait with no lock held, at
 * most {@code storeTimeout}, and stop early when the user's queue is held up by a store failure.
 */
final class UserWrites {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  private static final long FIRST_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final PresenceStore store;
  private final AggregationPolicy policy;
  private final Executor storeCalls;
  private final TimerWheel wheel;
  private final Ticker ticker;
  private final Users users;
  private final RunState run;
  private final LongAdder failures;
  private final EngineStats.StoreCallTimer callTimes;
  private final long timeoutNanos;
  /** What to run when the store fenced this node (renew the lease now); set once by the engine. */
  private volatile Runnable onFenced = () -> {};
  /** What to run with no lock held after a write completed later (tell closed connections). */
  private volatile Runnable afterCommit = () -> {};

  UserWrites(
      EngineSettings settings,
      TimerWheel wheel,
      Users users,
      RunState run,
      LongAdder failures,
      EngineStats.StoreCallTimer callTimes) {
    this.store = settings.store();
    this.policy = settings.policy();
    this.storeCalls = settings.storeCalls();
    this.ticker = settings.ticker();
    this.timeoutNanos = settings.storeTimeoutNanos();
    this.wheel = wheel;
    this.users = users;
    this.run = run;
    this.failures = failures;
    this.callTimes = callTimes;
  }

  void wire(Runnable onFenced, Runnable afterCommit) {
    this.onFenced = onFenced;
    this.afterCommit = afterCommit;
  }

  /**
   * A user's store writes not yet landed, head first, and once the head failed, the timer that
   * sends it again. One object, made when a write is queued and dropped when none is left, so a user
   * with nothing queued (most of them, most of the time) keeps neither. Guarded by the user lock.
   */
  static final class Queue extends ArrayDeque<StoreWrite> {
    /** The retry timer and failure count, made at the head's first failure; or null. */
    Retry retry;

    Queue() {
      super(2);
    }
  }

  /** The timer that sends a user's failed head write again. */
  static final class Retry extends TimerNode {
    final UserWrites writes;
    final UserEntry entry;
    /** Guarded by the user lock: store failures of the head write in a row, for the back-off. */
    int failures;

    Retry(UserWrites writes, UserEntry entry) {
      super(writes.wheel.shardOf(entry));
      this.writes = writes;
      this.entry = entry;
    }

    @Override
    void onTimer(long nowNanos) {
      writes.retryFired(entry);
    }
  }

  /**
   * Under the user lock: queues a write and sends it if none of the user's is in flight. With a
   * store whose stage completes at once (the in-memory store), it is committed before this returns.
   */
  StoreWrite enqueue(UserEntry entry, StoreWrite write) {
    if (entry.writes == null) {
      entry.writes = new Queue();
    }
    entry.writes.add(write);
    pump(entry);
    return write;
  }

  /** {@link #enqueue} for a caller that waits for the outcome ({@link #await}). */
  StoreWrite enqueueAwaited(UserEntry entry, StoreWrite write) {
    write.callerWaiting = true;
    return enqueue(entry, write);
  }

  /** Under the user lock: drops the queued (not in flight) device writes of a connection. */
  void dropQueuedPuts(UserEntry entry, DeviceSession session) {
    if (entry.writes == null) {
      return;
    }
    Iterator<StoreWrite> it = entry.writes.iterator();
    boolean first = true;
    while (it.hasNext()) {
      StoreWrite write = it.next();
      boolean inFlight = first && entry.writeInFlight();
      first = false;
      if (!inFlight && write.session == session && write.mutation instanceof StoreMutation.PutDevice) {
        it.remove();
      }
    }
  }

  /**
   * Under the user lock: the record this node expects once its queued writes land: the last one it
   * applied with each queued mutation applied in order ({@link UserRecord#apply}).
   */
  UserRecord predicted(UserEntry entry) {
    UserRecord record = entry.lastRecord != null ? entry.lastRecord : UserRecord.empty(entry.userId);
    if (entry.writes != null) {
      for (StoreWrite write : entry.writes) {
        try {
          record = record.apply(write.mutation, policy);
        } catch (RuntimeException rejected) {
          // the store would refuse it too
        }
      }
    }
    return record;
  }

  /**
   * With no lock held: waits until the write is settled, failed once for a store reason, or {@code
   * storeTimeout} passed; then stops the caller waiting. Returns the write's state then.
   */
  int await(UserEntry entry, StoreWrite write) {
    CompletableFuture<Void> woken;
    synchronized (entry) {
      if (write.state != StoreWrite.PENDING || write.failedOnce || entry.retryPending()) {
        // settled, or the user's queue waits on a store failure: the store is out, no point waiting
        write.callerWaiting = false;
        return write.state;
      }
      woken = write.woken = new CompletableFuture<>();
    }
    try {
      woken.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // still queued
    }
    synchronized (entry) {
      write.callerWaiting = false;
      return write.state;
    }
  }

  private void pump(UserEntry entry) {
    while (!entry.writeInFlight() && !entry.retryPending() && entry.writes != null && !entry.writes.isEmpty()) {
      if (run.closed) {
        entry.writes.clear();
        return;
      }
      StoreWrite write = entry.writes.peek();
      entry.writeInFlight(true);
      write.inline = false;
      entry.dispatching(true);
      try {
        send(entry, write);
      } finally {
        entry.dispatching(false);
      }
      if (!write.inline) {
        return; // completes later, on another thread
      }
      entry.writeInFlight(false);
      settle(entry, write, write.inlineUpdate, write.inlineError);
    }
    if (!entry.writeInFlight() && entry.writes != null && entry.writes.isEmpty()) {
      entry.writes = null; // most users have nothing queued most of the time: keep no deque for them
    }
  }

  private void send(UserEntry entry, StoreWrite write) {
    StoreMutation mutation = write.mutation;
    Runnable call =
        () -> {
          CompletionStage<StoreUpdate> stage;
          long sent = ticker.read();
          try {
            stage = store.applyAsync(entry.userId, mutation, policy);
          } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
          }
          CompletableFuture<StoreUpdate> result = stage.toCompletableFuture();
          if (result.isDone()) {
            callTimes.record(ticker.read() - sent);
            result.whenComplete((update, error) -> completed(entry, write, update, error));
          } else {
            // Timed on the store's thread, where it completed; committing takes the user lock and
            // calls listeners: never on the store's own I/O thread.
            result.whenComplete((update, error) -> callTimes.record(ticker.read() - sent));
            result.whenCompleteAsync((update, error) -> completed(entry, write, update, error), storeCalls);
          }
        };
    try {
      storeCalls.execute(call);
    } catch (RejectedExecutionException e) {
      completed(entry, write, null, new PresenceStoreException("the store executor rejected a write", e));
    }
  }

  private void completed(UserEntry entry, StoreWrite write, StoreUpdate update, Throwable error) {
    try {
      synchronized (entry) {
        if (entry.dispatching()) { // completed inline, on the thread sending it: it settles the write
          write.inline = true;
          write.inlineUpdate = update;
          write.inlineError = error;
          return;
        }
        entry.writeInFlight(false);
        settle(entry, write, update, error);
        pump(entry);
        users.retireIfUnused(entry);
      }
      afterCommit.run();
    } catch (RuntimeException e) {
      log.error("committing a store write of user {} failed", Ids.shown(entry.userId), e);
    }
  }

  /** Under the user lock: the head write completed. */
  private void settle(UserEntry entry, StoreWrite write, StoreUpdate update, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (run.closed) {
      entry.writes.clear(); // close() does not wait: what was sent may land, nothing more is sent
      write.wake();
      return;
    }
    if (cause == null) {
      entry.writes.poll();
      resetFailures(entry);
      write.state = StoreWrite.LANDED;
      write.update = update;
      try {
        write.handler.landed(entry, write, update);
      } finally {
        write.wake();
      }
    } else if (cause instanceof IllegalArgumentException refusal) {
      entry.writes.poll();
      resetFailures(entry);
      boolean again;
      try {
        again = write.handler.refused(entry, write, refusal);
      } catch (RuntimeException e) {
        again = false;
        log.error("handling a refused store write of user {} failed", Ids.shown(entry.userId), e);
      }
      if (again) {
        entry.writes.addFirst(write);
        return;
      }
      write.state = StoreWrite.REFUSED;
      write.refusal = refusal;
      if (!write.callerWaiting) {
        log.warn("the store refused a write of user {} for good; dropped", Ids.shown(entry.userId), refusal);
      }
      write.wake();
    } else {
      // A store reason (or anything unexpected): the write stays at the head and is sent again.
      failures.increment();
      if (cause instanceof NodeFencedException) {
        onFenced.run();
      }
      if (entry.writes.retry == null) {
        entry.writes.retry = new Retry(this, entry);
      }
      int failed = ++entry.writes.retry.failures;
      long delay = Math.min(MAX_RETRY_NANOS, FIRST_RETRY_NANOS * failed);
      if (failed == 1) {
        log.warn("a store write of user {} failed; retrying in order", Ids.shown(entry.userId), cause);
      }
      entry.retryPending(true);
      wheel.schedule(entry.writes.retry, ticker.read() + delay);
      write.failedOnce = true;
      for (StoreWrite queued : entry.writes) {
        queued.wake(); // the store is out: waiting callers (of this write or those behind it) go on
      }
    }
  }

  /** Under the user lock: the head write settled, so the back-off starts again from its first step. */
  private static void resetFailures(UserEntry entry) {
    if (entry.writes.retry != null) {
      entry.writes.retry.failures = 0;
    }
  }

  private void retryFired(UserEntry entry) {
    synchronized (entry) {
      entry.retryPending(false);
      if (run.closed) {
        if (entry.writes != null) {
          entry.writes.clear();
        }
        return;
      }
      pump(entry);
      users.retireIfUnused(entry);
    }
    afterCommit.run();
  }
}
