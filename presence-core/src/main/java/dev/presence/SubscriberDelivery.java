package dev.presence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * How one subscriber's pending changes reach its sink: the flush timer and throttle window, handing
 * batches to the delivery executor one call at a time, putting back a batch the executor rejected,
 * and telling the sink why the subscriber closed after any call in flight.
 *
 * <p>Guarded by the subscriber's monitor (this object's), like the rest of the subscriber's state:
 * methods marked "under the monitor" are called holding it; the others take it themselves. Two
 * exceptions take no lock: fanout arms the flush with a CAS ({@link #armFlushUnlocked}), and a sink
 * call that returns with nothing new ends its flight with a CAS ({@link #flight}). Sink calls
 * run on the delivery executor and never under the monitor. This object is the task handed to the
 * executor ({@link #run}), with the batches in flight in its fields: one call at a time per subscriber
 * means one task object suffices, and a delivery allocates no task.
 *
 * <p>Why a chain of superclasses ({@link TimerNode}, {@link Outbox}, this, {@link RealSubscriber}):
 * a change of a user watched by 100,000 touches every watcher twice, when fanout queues it and when its
 * flush fires, and each separate object per subscriber was one more cache miss there. One object holds
 * the timer node, the pending queue, the delivery state and the watches; each class keeps one concern.
 */
abstract class SubscriberDelivery extends Outbox implements Runnable {
  /** How soon a delivery the executor rejected is tried again, at the least. */
  private static final long REJECTED_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final VarHandle FLUSH_SCHEDULED;
  private static final VarHandle FLIGHT;
  /** {@link #flight}: no sink call claimed. */
  private static final int IDLE = 0;
  /** {@link #flight}: a sink call is claimed or running, and nothing arrived for after it. */
  private static final int CALL = 1;
  /** {@link #flight}: a sink call is claimed or running, and something arrived meanwhile (see {@link #markMore}). */
  private static final int CALL_MORE = 2;

  static {
    try {
      FLUSH_SCHEDULED = MethodHandles.lookup().findVarHandle(SubscriberDelivery.class, "flushScheduled", boolean.class);
      FLIGHT = MethodHandles.lookup().findVarHandle(SubscriberDelivery.class, "flight", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final SubscriptionHub hub;
  /** Called through {@link GuardedSink}. */
  private final PresenceSink sink;
  /**
   * The flush timer is armed. Set by CAS, so fanout can arm it without the monitor ({@link
   * #armFlushUnlocked}); cleared under the monitor when the timer fires, before the queue is read.
   */
  private volatile boolean flushScheduled;
  private boolean flushWanted;
  /**
   * Ticker time before which no presence batch may go out: one flush interval after the last one.
   * A flush that falls due earlier (one that waited for a running sink call) is put off until then.
   */
  private long nextBatchAt;
  /**
   * Whether a sink call is claimed: {@link #IDLE}, {@link #CALL} or {@link #CALL_MORE}. Written under
   * the monitor, except that the call, when it returns, ends a plain {@link #CALL} with one CAS and no
   * lock ({@link #run}): whoever queues something for after the call under the monitor first turns
   * {@code CALL} into {@code CALL_MORE} ({@link #markMore}), which sends the returning call through the
   * monitor to pick it up.
   */
  private volatile int flight;
  /** The batches of the call in flight: written under the monitor before it is handed out, read by {@link #run}. */
  private List<TypingEvent> typingInFlight;
  private List<UserPresence> presenceInFlight;
  /** Why the engine closed this subscriber, while the sink is still to be told (after its call in flight). */
  private CloseReason closeNotice;
  /** Guarded by the monitor: the subscriber closed; nothing more is queued or delivered. */
  boolean closed;

  SubscriberDelivery(int shard, SubscriptionHub hub, PresenceSink sink) {
    super(shard, hub.coalesced);
    this.hub = hub;
    this.sink = sink;
    this.nextBatchAt = hub.ticker.read();
  }

  // ---- the flush timer

  /** Under the monitor: whether the caller must schedule the flush timer now. */
  boolean armFlush() {
    return !closed && armFlushUnlocked();
  }

  /**
   * Without the monitor, after fanout pushed an edge onto an empty incoming stack: whether the caller
   * must schedule the flush timer now. A closed subscriber may be armed this way; its flush does
   * nothing.
   */
  final boolean armFlushUnlocked() {
    return !flushScheduled && FLUSH_SCHEDULED.compareAndSet(this, false, true);
  }

  /**
   * Before the flush timer fires: loads this object's delivery state, the newest queued edge and the
   * sink, which the flush reads first ({@link TimerNode#touch}).
   */
  @Override
  final int touch() {
    Edge newest = incomingPeek();
    int loaded = shard + flight;
    if (newest != null && newest.queued) {
      loaded++;
    }
    if (sink.getClass() == lastSinkClass) { // a load of the sink's header the compiler cannot fold
      loaded++;
    }
    return loaded;
  }

  /** Compared with in {@link #touch}; never written after class initialisation, but not final. */
  private static Class<?> lastSinkClass = Object.class;

  /** The flush timer fired. */
  @Override
  final void onTimer(long nowNanos) {
    dispatch(true);
  }

  /** The watcher's user id, named when the sink fails. */
  abstract String watcherUserId();

  /** Under the monitor: a batch the executor rejected goes back to pending ({@link Outbox#requeue}). */
  abstract void requeue(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch);

  // ---- dispatch

  /**
   * Hands pending typing (always) and pending presence (when the flush is due) to the executor, one
   * call at a time. A flush that falls due while a call runs is remembered and done when it returns,
   * unless the last batch went out less than a flush interval ago: then it waits for the interval.
   */
  void dispatch(boolean flushDue) {
    List<TypingEvent> typingBatch = null;
    List<UserPresence> presenceBatch = null;
    boolean putOff = false;
    long putOffTo = 0;
    synchronized (this) {
      if (flushDue) {
        flushScheduled = false; // the timer fired
      }
      if (closed) {
        return;
      }
      if (flight != IDLE && markMore()) {
        flushWanted |= flushDue; // and pending typing, if that is why this runs: the call's return sends it
        return;
      }
      typingBatch = drainTyping();
      if (flushDue || flushWanted) {
        flushWanted = false;
        long now = hub.ticker.read();
        if (now - nextBatchAt < 0) {
          putOff = armFlush();
          putOffTo = nextBatchAt;
        } else {
          presenceBatch = hasPresence() ? collect(hub.publicView) : null;
          if (presenceBatch != null) {
            nextBatchAt = now + hub.flushNanos;
          }
        }
      }
      flight = typingBatch != null || presenceBatch != null ? CALL : IDLE;
      typingInFlight = typingBatch;
      presenceInFlight = presenceBatch;
    }
    if (putOff) {
      hub.scheduleFlushAt(this, putOffTo);
    }
    if (typingBatch == null && presenceBatch == null) {
      return;
    }
    hand(typingBatch, presenceBatch);
  }

  /**
   * Under the monitor: if nothing is pending, wanted or in flight, takes the sink's next call for
   * {@code typingBatch}, which the caller sends with {@link #sendClaimed} once it released the monitor.
   */
  boolean claimForTyping(List<TypingEvent> typingBatch) {
    if (flight != IDLE || flushWanted || hasTyping()) {
      return false;
    }
    flight = CALL;
    typingInFlight = typingBatch;
    presenceInFlight = null;
    return true;
  }

  /** With no lock held, after {@link #claimForTyping} took the call for this batch: hands it to the executor. */
  void sendClaimed(List<TypingEvent> typingBatch) {
    hand(typingBatch, null);
  }

  /** With the call claimed ({@link #flight}, its batches in the fields) and no lock held: one sink call on the executor. */
  private void hand(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch) {
    try {
      hub.delivery.execute(this);
    } catch (RejectedExecutionException e) {
      boolean retry = takeBack(typingBatch, presenceBatch);
      GuardedSink.failed(sink, e, hub.sinkFailures, watcherUserId());
      if (retry) {
        hub.scheduleFlushAt(this, hub.ticker.read() + Math.max(hub.flushNanos, REJECTED_RETRY_NANOS));
      }
    }
  }

  /**
   * The executor rejected a delivery: put it back so nothing is lost ({@link Outbox#requeue}).
   * Returns whether the caller must arm the flush timer.
   */
  private boolean takeBack(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch) {
    CloseReason notice;
    boolean retry = false;
    // One monitor hold: between ending the flight and putting the batch back, a claimed typing event
    // or another flush could overtake the rejected batch (a STOP after the START that followed it).
    synchronized (this) {
      notice = closeNotice;
      closeNotice = null;
      if (notice == null && !closed) {
        requeue(typingBatch, presenceBatch);
        flushWanted = false;
        retry = armFlush();
      }
      flight = IDLE; // this thread owns the flight: no CAS can race this write
      typingInFlight = null;
      presenceInFlight = null;
    }
    if (notice != null) {
      // Closed while this rejected call was "in flight": tell it here, once.
      GuardedSink.onClosed(sink, notice, hub.sinkFailures, watcherUserId());
    }
    return retry;
  }

  /**
   * On the delivery executor: one call of the sink with the batches in flight, then whatever became
   * due meanwhile. Not for other callers.
   */
  @Override
  public void run() {
    List<TypingEvent> typingBatch = typingInFlight; // written before the executor got this task
    List<UserPresence> presenceBatch = presenceInFlight;
    try {
      if (typingBatch != null) {
        hub.deliveries.add(typingBatch.size());
        GuardedSink.onTyping(sink, typingBatch, hub.sinkFailures, watcherUserId());
      }
      if (presenceBatch != null) {
        hub.deliveries.add(presenceBatch.size());
        GuardedSink.onPresence(sink, presenceBatch, hub.sinkFailures, watcherUserId());
      }
    } finally {
      typingInFlight = null;
      presenceInFlight = null;
      if (!FLIGHT.compareAndSet(this, CALL, IDLE)) {
        afterCall(); // something arrived meanwhile (CALL_MORE): under the monitor
      }
    }
  }

  /** The call returned and {@link #markMore} was called meanwhile: sends what is due, or tells the close. */
  private void afterCall() {
    boolean more;
    CloseReason notice;
    synchronized (this) {
      flight = IDLE;
      more = !closed && (flushWanted || hasTyping());
      notice = closeNotice;
      closeNotice = null;
    }
    if (notice != null) {
      GuardedSink.onClosed(sink, notice, hub.sinkFailures, watcherUserId());
    } else if (more) {
      dispatch(false);
    }
  }

  /**
   * Under the monitor, with a call seen in flight, before queueing something for after it: makes the
   * call's return take the monitor and pick it up. Returns false if the call returned meanwhile (its
   * lock-free end won): nothing is in flight any more, and the caller acts as if none had been.
   */
  private boolean markMore() {
    while (true) {
      int now = flight;
      if (now == CALL_MORE) {
        return true;
      }
      if (now == IDLE) {
        return false;
      }
      if (FLIGHT.compareAndSet(this, CALL, CALL_MORE)) {
        return true;
      }
    }
  }

  // ---- closing

  /**
   * Under the monitor, as the subscriber closes: whether the sink must be told {@code reason} now
   * ({@link #tellClosed}); while a call is in flight it is told when that call returns instead.
   */
  boolean closing(CloseReason reason) {
    if (reason == null) {
      return false;
    }
    if (flight != IDLE && markMore()) {
      closeNotice = reason;
      return false;
    }
    return true;
  }

  /** With no lock held: tells the sink why the subscriber closed, on the delivery executor. */
  void tellClosed(CloseReason reason) {
    try {
      hub.delivery.execute(() -> GuardedSink.onClosed(sink, reason, hub.sinkFailures, watcherUserId()));
    } catch (RejectedExecutionException e) {
      // The pool is gone (engine closing): tell it here rather than never.
      GuardedSink.onClosed(sink, reason, hub.sinkFailures, watcherUserId());
    }
  }
}
