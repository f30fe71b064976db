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
 * methods marked "under the monitor" are called holding it; the others take it themselves. Three
 * exceptions take no lock: fanout arms the flush with a CAS ({@link #armFlushUnlocked}), a typing
 * event to a receiver with nothing pending claims its call with a CAS ({@link
 * #claimForTypingUnlocked}), and a sink call that returns with nothing new ends its flight with a
 * CAS ({@link #flight}). So every claim of the flight, under the monitor or not, is a CAS from
 * {@link #IDLE}. Sink calls
 * run on the delivery executor and never under the monitor. This object is the task handed to the
 * executor ({@link #run}), with the batches in flight in its fields: one call at a time per subscriber
 * means one task object suffices, and a delivery allocates no task. The exception is {@link
 * #deliverAlone}, which hands a small task of its own (see there why).
 *
 * <p>Why a chain of superclasses ({@link TimerNode}, {@link Outbox}, this, {@link RealSubscriber}):
 * a change of a user watched by 100,000 touches every watcher (once, at the window's boundary, when
 * {@link AlignedFanout} expands the audience; twice when its edge must be queued and flushed), and each
 * separate object per subscriber was one more cache miss there. One object holds
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
  /**
   * {@link #flight}: the subscriber closed and no call is in flight; final. No lock-free claim
   * ({@link #claimForTypingUnlocked}) can succeed any more, whatever it read of {@link #closed}.
   */
  private static final int CLOSED = 3;

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
   * Ticker time before which no presence batch may go out: the window boundary after the last one
   * ({@link SubscriptionHub#boundaryAfter}). A flush that falls due earlier (one that waited for a
   * running sink call) is put off until then.
   */
  private long nextBatchAt;
  /**
   * Whether a sink call is claimed: {@link #IDLE}, {@link #CALL}, {@link #CALL_MORE} or {@link
   * #CLOSED}. Claimed only by a CAS from {@code IDLE} (under the monitor or, for typing, without it);
   * the claimer owns the flight and the in-flight fields below until it gives it back. The call, when
   * it returns, ends a plain {@link #CALL} with one CAS and no lock ({@link #run}): whoever queues
   * something for after the call under the monitor first turns {@code CALL} into {@code CALL_MORE}
   * ({@link #markMore}), which sends the returning call through the monitor to pick it up. An owner
   * writes the in-flight fields before it makes the flight idle again, never after.
   */
  private volatile int flight;
  /** The batches of the call in flight: written by the flight's owner before it is handed out, read by {@link #run}. */
  private List<TypingEvent> typingInFlight;
  private List<UserPresence> presenceInFlight;
  /**
   * The call in flight was claimed for one typing event ({@link #claimForTyping}), whose caller counts
   * it among the deliveries once per fanout instead of {@link #run} once per receiver. Written with
   * the batches.
   */
  private boolean countedByCaller;
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
   * Without the monitor, after an audience's expansion ({@link AlignedFanout}) pushed an edge onto
   * the incoming stack: whether the caller must flush now (it armed the flush). A closed subscriber
   * may be armed this way; its flush does nothing.
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
   * unless a batch already went out in this window: then it waits for the window's end.
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
      if (closed || !claimOrMark(flushDue)) {
        return; // closed, or a call is in flight: its return sends what is due
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
            nextBatchAt = hub.boundaryAfter(now);
          }
        }
      }
      typingInFlight = typingBatch;
      presenceInFlight = presenceBatch;
      countedByCaller = false;
      if (typingBatch == null && presenceBatch == null) {
        // Nothing to send. Last: once idle, a claim without the monitor may write the fields above.
        // No CALL_MORE can have come meanwhile, as that takes the monitor.
        setFlight(IDLE);
      }
    }
    if (putOff) {
      hub.scheduleFlushAt(this, putOffTo);
    }
    if (typingBatch == null && presenceBatch == null) {
      return;
    }
    hand(typingBatch, presenceBatch);
  }

  /** {@link #deliverAlone}: a call was handed to the executor. */
  static final int HANDED = 1;
  /** {@link #deliverAlone}: nothing to send (already delivered, or changed back). */
  static final int NOTHING = 0;
  /** {@link #deliverAlone}: not the simple case; queue the edge and flush as usual. */
  static final int SLOW = -1;

  /**
   * The simple case of an audience's expansion at a boundary ({@link AlignedFanout}): this
   * subscriber has nothing else pending, no flush armed, no call in flight and its window open, and
   * the edge is not queued. Then the audience's latest goes out alone at once, as a flush would
   * send it, without queueing the edge and arming the flush first: one monitor hold and one claim
   * instead of six more atomic operations. Returns {@link #HANDED} (the caller counts the delivery),
   * {@link #NOTHING} or {@link #SLOW}. {@code nowNanos} and {@code boundary} are the expansion's
   * time and the boundary after it ({@link SubscriptionHub#boundaryAfter}).
   */
  final int deliverAlone(Edge edge, Audience audience, long nowNanos, long boundary) {
    List<UserPresence> batch;
    synchronized (this) {
      if (closed || flushScheduled || flushWanted || hasPresence() || hasTyping() || edge.queued
          || edge.removed || edge.pending != null || edge.forced || !edge.hasBaseline()
          || nowNanos - nextBatchAt < 0) {
        return SLOW;
      }
      UserPresence next = audience.latest();
      if (next == null || next.version() <= edge.deliveredVersion()) {
        return NOTHING;
      }
      if (!FLIGHT.compareAndSet(this, IDLE, CALL)) {
        return SLOW; // a typing call claimed it meanwhile
      }
      boolean changedBack = edge.looksDelivered(next);
      edge.deliver(next);
      if (changedBack) {
        hub.coalesced.increment(); // changed and changed back within the window
        setFlight(IDLE);
        return NOTHING;
      }
      batch = audience.alone(next);
      nextBatchAt = boundary;
    }
    // Its own task, not this object with the batch in its fields: a young object takes the batch
    // with no write barrier, where storing it into this (old) subscriber would pay one (see Edge).
    return hand(new AloneCall(this, batch), null, batch) ? HANDED : NOTHING;
  }

  /** A sink call with one audience's batch ({@link #deliverAlone}), counted by the caller. */
  private static final class AloneCall implements Runnable {
    private final SubscriberDelivery subscriber;
    private final List<UserPresence> batch;

    AloneCall(SubscriberDelivery subscriber, List<UserPresence> batch) {
      this.subscriber = subscriber;
      this.batch = batch;
    }

    @Override
    public void run() {
      try {
        GuardedSink.onPresence(subscriber.sink, batch, subscriber.hub.sinkFailures, subscriber.watcherUserId());
      } finally {
        subscriber.endCall();
      }
    }
  }

  /**
   * Under the monitor, before taking anything to send: claims the flight (a CAS, since a typing claim
   * without the monitor may race), or, if a call is in flight, marks it so that its return sends what
   * is due. Returns whether this claimed it.
   */
  private boolean claimOrMark(boolean flushDue) {
    while (!FLIGHT.compareAndSet(this, IDLE, CALL)) {
      if (markMore()) {
        flushWanted |= flushDue; // and pending typing, if that is why this runs: the call's return sends it
        return false;
      }
    }
    return true;
  }

  /**
   * Under the monitor: if nothing is pending, wanted or in flight, takes the sink's next call for
   * {@code typingBatch}, which the caller sends with {@link #sendClaimed} once it released the monitor.
   */
  boolean claimForTyping(List<TypingEvent> typingBatch) {
    if (flushWanted || hasTyping() || !FLIGHT.compareAndSet(this, IDLE, CALL)) {
      return false;
    }
    inFlight(typingBatch);
    return true;
  }

  /**
   * Without the monitor, on a fanout's thread (which holds the channel's monitor and maybe a user
   * lock): {@link #claimForTyping} for the common case, a receiver with nothing pending and no call
   * in flight, at the cost of one CAS instead of a monitor's two. Returns false whenever the slow path
   * is needed: a call in flight, the subscriber closed ({@link #CLOSED}), or something pending that
   * must go first (then the flight is given back, {@link #giveBack}). The CAS acquires what was made
   * pending before the flight last became idle (that store is a release), so pending typing of this
   * channel (queued behind a call, or put back after a rejection) is seen. What other threads queue
   * meanwhile without that ordering is other channels' typing or a flush, which this event may
   * overtake as any concurrent offer could; what they queue while this holds the flight is picked up
   * when it ends. Typing events of one channel are offered one fanout at a time (under its monitor),
   * so this never overtakes an earlier event of the same channel.
   */
  boolean claimForTypingUnlocked(List<TypingEvent> typingBatch) {
    if (flight != IDLE || !FLIGHT.compareAndSet(this, IDLE, CALL)) {
      return false;
    }
    if (flushWanted || hasTyping()) {
      giveBack(); // the caller queues behind what is pending
      return false;
    }
    inFlight(typingBatch);
    return true;
  }

  /**
   * A lock-free claim found something pending and gives the flight back, having sent nothing. If it
   * was marked meanwhile, this does what {@link #endCall} does then, except that it does not call the
   * sink on this thread, a fanout's, which holds engine locks: a close notice goes to the executor
   * ({@link #tellClosed}; kept for a thread holding no lock if the executor rejects it, as {@link
   * #takeBack} does), and what is due is dispatched, which hands it to the executor.
   */
  private void giveBack() {
    if (!FLIGHT.compareAndSet(this, CALL, IDLE)) {
      endMarkedFlight(false);
    }
  }

  /** By the flight's owner: the call is for one typing batch, counted by the caller. */
  private void inFlight(List<TypingEvent> typingBatch) {
    typingInFlight = typingBatch;
    presenceInFlight = null;
    countedByCaller = true;
  }

  /**
   * With no lock held, after {@link #claimForTyping} took the call for this batch: hands it to the
   * executor. Returns whether it was handed, which the caller then counts among the deliveries.
   */
  boolean sendClaimed(List<TypingEvent> typingBatch) {
    return hand(typingBatch, null);
  }

  /**
   * With the call claimed ({@link #flight}, its batches in the fields) and no lock held: one sink call
   * on the executor. Returns false if the executor rejected it (the batches are then put back).
   */
  private boolean hand(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch) {
    return hand(this, typingBatch, presenceBatch);
  }

  /** {@link #hand(List, List)} with the task that makes the call: this, or an {@link AloneCall}. */
  private boolean hand(Runnable task, List<TypingEvent> typingBatch, List<UserPresence> presenceBatch) {
    try {
      hub.delivery.execute(task);
      return true;
    } catch (RejectedExecutionException e) {
      boolean retry = takeBack(typingBatch, presenceBatch);
      GuardedSink.failed(sink, e, hub.sinkFailures, watcherUserId());
      if (retry) {
        hub.scheduleFlushAt(this, hub.ticker.read() + Math.max(hub.flushNanos, REJECTED_RETRY_NANOS));
      }
      return false;
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
      typingInFlight = null;
      presenceInFlight = null;
      // Last: once idle, a claim without the monitor may write the fields above. This thread owns
      // the flight, and only a monitor holder marks it, so no CAS can race this write.
      setFlight(closed ? CLOSED : IDLE);
    }
    if (notice != null) {
      // Closed while this rejected call was "in flight". The executor just refused, and this thread
      // may hold a channel's monitor (a typing claim): tell it once no engine lock is held.
      hub.deferredNotices.defer(closeNotice(notice));
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
        if (!countedByCaller) {
          hub.deliveries.add(typingBatch.size());
        }
        GuardedSink.onTyping(sink, typingBatch, hub.sinkFailures, watcherUserId());
      }
      if (presenceBatch != null) {
        hub.deliveries.add(presenceBatch.size());
        GuardedSink.onPresence(sink, presenceBatch, hub.sinkFailures, watcherUserId());
      }
    } finally {
      typingInFlight = null;
      presenceInFlight = null;
      endCall();
    }
  }

  /** By the flight's owner, after its call: ends the flight with one CAS, or through the monitor if something arrived meanwhile. */
  private void endCall() {
    if (!FLIGHT.compareAndSet(this, CALL, IDLE)) {
      // Something arrived meanwhile (CALL_MORE), or the subscriber closed: under the monitor, and a
      // close notice is told here, on the delivery thread.
      endMarkedFlight(true);
    }
  }

  /**
   * By the flight's owner, after {@link #markMore} marked it: ends the flight under the monitor, then
   * tells the close notice (on this thread if {@code onThisThread}, a delivery thread's; otherwise
   * through the executor) or dispatches what is due.
   */
  private void endMarkedFlight(boolean onThisThread) {
    boolean more;
    CloseReason notice;
    synchronized (this) {
      setFlight(closed ? CLOSED : IDLE);
      more = !closed && (flushWanted || hasTyping());
      notice = closeNotice;
      closeNotice = null;
    }
    if (notice != null) {
      if (onThisThread) {
        GuardedSink.onClosed(sink, notice, hub.sinkFailures, watcherUserId());
      } else {
        tellClosed(notice);
      }
    } else if (more) {
      dispatch(false);
    }
  }

  /**
   * By the flight's owner, under the monitor: sets {@link #flight} with a release store, not a
   * volatile one. Every other access of it holds the monitor, is a CAS (a claim, the end of a call),
   * is the call that was handed out after this store (the executor orders them), or is a read that
   * only decides whether to try a CAS ({@link #claimForTypingUnlocked}) or what to load ahead ({@link
   * #touch}); and nothing read after it needs it to be visible first. So the full fence of a volatile
   * store (one locked instruction per sink call) buys nothing.
   */
  private void setFlight(int value) {
    FLIGHT.setRelease(this, value);
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
      if (now == IDLE || now == CLOSED) {
        return false;
      }
      if (FLIGHT.compareAndSet(this, CALL, CALL_MORE)) {
        return true;
      }
    }
  }

  // ---- closing

  /**
   * Under the monitor, once, as the subscriber closes: whether the sink must be told {@code reason}
   * now ({@link #tellClosed}); while a call is in flight it is told when that call returns instead.
   * Either way the flight ends {@link #CLOSED}, now or when that call returns, so no typing claim
   * without the monitor gets in after the close.
   */
  boolean closing(CloseReason reason) {
    while (true) {
      int now = flight;
      if (now == IDLE) {
        if (FLIGHT.compareAndSet(this, IDLE, CLOSED)) {
          return reason != null;
        }
      } else if (now == CALL_MORE || FLIGHT.compareAndSet(this, CALL, CALL_MORE)) {
        closeNotice = reason; // null: the call's return only closes the flight
        return false;
      } else if (now == CLOSED) {
        return false;
      }
    }
  }

  /**
   * Tells the sink why the subscriber closed, on the delivery executor; if it rejects (a saturated
   * pool, or one already shut down), once no engine lock is held ({@link DeferredNotices}): the
   * caller may hold one (a fanout giving a claim back holds a channel's monitor, a connection's close
   * the user's lock).
   */
  void tellClosed(CloseReason reason) {
    Runnable notice = closeNotice(reason);
    try {
      hub.delivery.execute(notice);
    } catch (RejectedExecutionException e) {
      hub.deferredNotices.defer(notice);
    }
  }

  private Runnable closeNotice(CloseReason reason) {
    return () -> GuardedSink.onClosed(sink, reason, hub.sinkFailures, watcherUserId());
  }
}
