package dev.presence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Flush windows aligned on the engine's clock, and the fanout of public changes done once per window
 * at its boundary instead of once per change.
 *
 * <p><b>Boundaries.</b> Every subscriber's flush falls due at the next boundary, a multiple of the
 * flush interval after the engine's origin, and a subscriber gets at most one presence batch between
 * two boundaries ({@link #boundaryAfter}). So a change waits at most one interval (and one timer
 * tick), half of one on average, and every subscriber flushes on the same tick.
 *
 * <p><b>Deferred fanout.</b> With the public view, a change of a user watched directly is written
 * once into her {@link Audience} ({@link Audience#publish}) and the audience is marked dirty: one CAS
 * per change, whatever the audience's size. At the boundary's tick ({@link #atTick}) each dirty
 * audience is expanded: each of its edges is queued in its subscriber ({@link Edge#tryQueue}, {@link
 * Outbox#push}), and a subscriber with no flush armed has its flush armed, to be dispatched on this
 * tick. The largest dirty audience goes last and in one pass: its subscribers that need a flush are
 * dispatched as their edges are queued, so each is touched once per change (queueing and flushing a
 * subscriber watched by 100,000 are each a cache miss when done in two passes). That is safe only
 * for the last audience: a subscriber dispatched while an audience expanded after it still had to
 * queue an edge in it would have to wait a whole window for that edge.
 *
 * <p>The handshake with the subscribers' flushes extends {@link Audience}'s: fanout publishes the
 * latest presence, then reads the dirty flag; the expansion clears the flag, then queues the edges,
 * whose flushes clear {@code queued} and then read the latest. So a change either finds its audience
 * still to be expanded (and its subscribers read it at their flush) or marks it dirty again.
 *
 * <p>Thread-safety: {@link #defer} from any thread (lock-free); {@link #atTick} and {@link
 * #afterTick} on the timer thread only, one tick at a time; {@link #expandNow} (flush interval zero)
 * on any thread.
 */
final class AlignedFanout {
  /** Edges loaded before any of them is queued: their cache misses overlap (see {@link TimerNode#touch}). */
  private static final int AHEAD = 32;
  /** From this many edges an expansion loads a chunk ahead; a smaller audience is likely cached. */
  private static final int AHEAD_FROM = 1024;
  private static final VarHandle DIRTY;

  static {
    try {
      DIRTY = MethodHandles.lookup().findVarHandle(AlignedFanout.class, "dirty", Audience.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long origin;
  private final long flushNanos;
  private final Ticker ticker;
  /** Counts changes that a queued edge's flush picks up from its audience instead of a queueing. */
  private final LongAdder coalesced;
  /** Counts what expansions hand to sinks themselves ({@link SubscriberDelivery#deliverAlone}). */
  private final LongAdder deliveries;
  /** Dirty audiences, newest first, linked through {@link Audience#nextDirty}: a Treiber stack. */
  @SuppressWarnings("unused") // through DIRTY
  private volatile Audience dirty;
  /**
   * The first boundary whose tick has not finished yet: flushes armed now fall due then. Written by
   * the timer thread once the boundary's tick has fired its timers ({@link #afterTick}).
   */
  private volatile long nextBoundary;
  /** Timer thread only: the dirty audiences of one tick, and the subscribers armed while expanding them. */
  private final List<Audience> expanding = new ArrayList<>();
  private final List<RealSubscriber> armed = new ArrayList<>();
  /** What the loads ahead returned, folded, so the compiler keeps them. */
  private int touched;

  AlignedFanout(long originNanos, long flushNanos, Ticker ticker, LongAdder coalesced, LongAdder deliveries) {
    this.origin = originNanos;
    this.flushNanos = flushNanos;
    this.ticker = ticker;
    this.coalesced = coalesced;
    this.deliveries = deliveries;
    this.nextBoundary = flushNanos == 0 ? originNanos : originNanos + flushNanos;
  }

  /** The first boundary strictly after {@code nowNanos}; {@code nowNanos} itself with a zero interval. */
  long boundaryAfter(long nowNanos) {
    if (flushNanos == 0) {
      return nowNanos;
    }
    return origin + (Math.floorDiv(nowNanos - origin, flushNanos) + 1) * flushNanos;
  }

  /** When a flush armed now falls due: the next boundary whose tick has not finished. */
  long flushDeadline() {
    return nextBoundary;
  }

  /**
   * After {@code audience} published a change (with the public view and a non-zero interval): marks
   * it for expansion at the next boundary, unless it is marked already. Returns whether it was not
   * (false: the change replaces one still waiting). Lock-free; any thread.
   */
  boolean defer(Audience audience) {
    if (!audience.markDirty()) {
      return false; // its expansion is still to come, and will read this change instead of the one before
    }
    while (true) {
      Audience head = dirty;
      audience.nextDirty = head;
      if (DIRTY.compareAndSet(this, head, audience)) {
        return true;
      }
    }
  }

  /**
   * On the timer thread, before the wheel fires this tick's timers: if a boundary passed, expands the
   * dirty audiences (see the class comment). Their subscribers' flushes run here; those armed for
   * this boundary by other paths fire right after, with the wheel's, and so do those armed while this
   * runs: the next boundary is published only by {@link #afterTick}. {@code onFailure} gets what a
   * flush threw; the others still run.
   */
  void atTick(long nowNanos, Consumer<Throwable> onFailure) {
    if (flushNanos == 0 || nowNanos - nextBoundary < 0) {
      return;
    }
    Audience audience = (Audience) DIRTY.getAndSet(this, (Audience) null);
    if (audience == null) {
      return;
    }
    Audience largest = null;
    for (; audience != null; audience = audience.nextDirty) {
      if (largest == null || audience.size() > largest.size()) {
        largest = audience;
      }
      expanding.add(audience);
    }
    try {
      for (Audience each : expanding) {
        each.nextDirty = null;
        each.clearDirty(); // before reading its edges: a change after this marks it dirty again
      }
      for (Audience each : expanding) {
        if (each != largest) {
          expandGuarded(each, false, onFailure);
        }
      }
      expandGuarded(largest, true, onFailure);
    } finally {
      try {
        for (RealSubscriber subscriber : armed) {
          flush(subscriber, onFailure); // even if an expansion threw: an armed flush with no timer would stall
        }
      } finally {
        expanding.clear();
        armed.clear();
      }
    }
  }

  /** {@link #expand}, whose failure goes to {@code onFailure}: the other audiences are still expanded. */
  private void expandGuarded(Audience audience, boolean dispatch, Consumer<Throwable> onFailure) {
    try {
      expand(audience, dispatch, onFailure);
    } catch (RuntimeException | Error e) {
      onFailure.accept(e);
    }
  }

  /**
   * On the timer thread, after the wheel fired this tick's timers: if a boundary passed, flushes
   * armed from now on fall due at the next one. Not before: a flush armed while the boundary's tick
   * runs (a channel change during the expansion, say) must still fire on this tick, or the change
   * it shares a batch with would wait a second window.
   */
  void afterTick(long nowNanos) {
    if (flushNanos != 0 && nowNanos - nextBoundary >= 0) {
      nextBoundary = boundaryAfter(nowNanos);
    }
  }

  /**
   * With a zero flush interval, on the fanout's thread: queues the change in every watcher of {@code
   * audience} and flushes each at once. If a flush throws, the others still run, and the first
   * failure is thrown at the end, to the fanout's caller, as an offer's would be.
   */
  void expandNow(Audience audience) {
    Throwable[] first = new Throwable[1];
    expand(audience, true, e -> {
      if (first[0] == null) {
        first[0] = e;
      } else if (e != first[0]) { // the same instance twice (a reused error) cannot suppress itself
        first[0].addSuppressed(e);
      }
    });
    if (first[0] instanceof RuntimeException e) {
      throw e;
    } else if (first[0] instanceof Error e) {
      throw e;
    }
  }

  /**
   * Queues the audience's latest in each of its edges' subscribers (but a user's own edge, which
   * fanout offered her own view under her monitor). With {@code dispatch}, a subscriber with nothing
   * else pending gets it at once ({@link SubscriberDelivery#deliverAlone}), and one whose flush this
   * arms is flushed here; without, the latter is listed in {@link #armed} for after the last expansion.
   */
  private void expand(Audience audience, boolean dispatch, Consumer<Throwable> onFailure) {
    int n = audience.size(); // before the slots, as Audience requires
    Edge[] slots = audience.slots();
    n = Math.min(n, slots.length);
    boolean ahead = n >= AHEAD_FROM;
    int replaced = 0;
    int handed = 0;
    try {
      for (int start = 0; start < n; start += AHEAD) {
        int end = Math.min(n, start + AHEAD);
        // The time once per chunk, not per tick: a long expansion may outlast its window, and a
        // subscriber it reaches after the next boundary must not get a second batch in that window.
        long now = dispatch ? ticker.read() : 0;
        long boundary = dispatch ? boundaryAfter(now) : 0; // only deliverAlone reads them
        int loaded = 0;
        for (int i = start; ahead && i < end; i++) {
          Edge edge = slots[i];
          if (edge != null) {
            loaded += edge.subscriber.touch() + (int) edge.deliveredVersion(); // loads only: their misses overlap
          }
        }
        touched += loaded;
        for (int i = start; i < end; i++) {
          Edge edge = slots[i];
          if (edge == null || edge.own) {
            continue;
          }
          RealSubscriber subscriber = edge.subscriber;
          if (dispatch && !edge.queued) {
            int sent;
            try {
              sent = subscriber.deliverAlone(edge, audience, now, boundary);
            } catch (RuntimeException | Error e) {
              onFailure.accept(e);
              continue;
            }
            if (sent != SubscriberDelivery.SLOW) {
              handed += sent;
              continue;
            }
          }
          if (!edge.tryQueue()) {
            if (edge.pending == null) {
              replaced++; // still queued from an earlier change, which this one replaces: its flush reads the latest
            }
            continue;
          }
          // Arm whenever no flush is armed, not only after a push onto an empty stack: a monitor path
          // pushes an edge with no baseline yet without arming, so a non-empty stack may have no flush.
          subscriber.push(edge);
          if (subscriber.armFlushUnlocked()) {
            if (dispatch) {
              flush(subscriber, onFailure);
            } else {
              armed.add(subscriber);
            }
          }
        }
      }
    } finally {
      if (replaced > 0) {
        coalesced.add(replaced);
      }
      if (handed > 0) {
        deliveries.add(handed);
      }
    }
  }

  /** Flushes a subscriber whose flush this armed; what it throws goes to {@code onFailure}. */
  private static void flush(RealSubscriber subscriber, Consumer<Throwable> onFailure) {
    try {
      subscriber.onTimer(0);
    } catch (RuntimeException | Error e) {
      onFailure.accept(e);
    }
  }
}
