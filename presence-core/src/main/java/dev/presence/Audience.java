package dev.presence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The subscribers on this node that watch one user directly, as their {@link Edge}s in one array, and
 * the latest public presence of the user they were offered: the user's change log, one entry deep.
 *
 * <p>Why: a change of a user watched by 100,000 must not take 100,000 locks. Fanout writes the change
 * here once ({@link #publish}) and marks the audience dirty; {@link AlignedFanout} scans the array at
 * the window's boundary (at once with a zero flush interval). An edge already queued in its
 * subscriber's batch needs nothing more, because that subscriber's flush reads {@link #latest()} when
 * it takes the edge out of its queue. The handshake is Dekker's: the scan reads {@link Edge#queued}
 * after the change was published; a flush clears {@code queued}, then reads {@code latest} (all
 * volatile), so either the flush sees the change or the scan sees the edge unqueued and queues it.
 *
 * <p>The array grows by doubling and a removed edge leaves a null that a later compaction drops, so
 * watching is amortised O(1) and readers need no lock: they read {@link #size} before {@link #slots},
 * skip nulls and may miss an edge added while they scan (its watch reads its snapshot after it was
 * added, so the change reaches it either way). Changes of the array are made inside the hub map's
 * atomic section for the user, one at a time.
 */
final class Audience {
  private static final VarHandle LATEST;
  private static final VarHandle DIRTY;
  private static final Edge[] NO_EDGES = {};

  static {
    try {
      LATEST = MethodHandles.lookup().findVarHandle(Audience.class, "latest", UserPresence.class);
      DIRTY = MethodHandles.lookup().findVarHandle(Audience.class, "dirty", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String userId;
  /** Slots in use, nulls included; written after the slot it publishes. */
  private volatile int size;
  private volatile Edge[] slots = new Edge[2];
  /** Written in the map's atomic section: the live edges. */
  private int live;
  /**
   * The edges of the user's own subscribers (she watches herself), which get her own view under
   * their monitor at fanout instead of the public one: copied on write, as they are few.
   */
  private volatile Edge[] own = NO_EDGES;
  /** A change waits for this audience's expansion at the next boundary ({@link AlignedFanout}). */
  @SuppressWarnings("unused") // through DIRTY
  private volatile boolean dirty;
  /** The next audience in {@link AlignedFanout}'s dirty stack; written by whoever marked this dirty. */
  Audience nextDirty;
  /** The newest public presence of the user fanned out here; only grows in version. */
  @SuppressWarnings("unused") // through LATEST
  private volatile UserPresence latest;

  /**
   * A batch of {@link #latest} alone, shared by every subscriber whose flush sends just that: one
   * immutable list per change instead of one per recipient. Racy on purpose: the list's element is
   * final, so a reader sees it whole, and a stale list is recognised by its element and replaced.
   */
  private List<UserPresence> latestAlone;

  Audience(String userId) {
    this.userId = userId;
  }

  // ---- changes of the array (one at a time, in the hub map's atomic section)

  void add(Edge edge) {
    Edge[] array = slots;
    int n = size;
    if (n == array.length) {
      array = compacted(array, n, Math.max(2, live * 2));
      n = live;
      slots = array;
    }
    array[n] = edge;
    edge.audienceSlot = n;
    edge.audience = this;
    live++;
    size = n + 1;
    if (edge.own) {
      Edge[] more = Arrays.copyOf(own, own.length + 1);
      more[more.length - 1] = edge;
      own = more;
    }
  }

  /** Removes the edge; returns whether the audience is now empty. */
  boolean remove(Edge edge) {
    if (edge.audience == this) {
      Edge[] array = slots;
      int slot = edge.audienceSlot;
      if (slot < array.length && array[slot] == edge) {
        array[slot] = null;
        live--;
      }
      edge.audience = null;
      if (edge.own) {
        own = Arrays.stream(own).filter(e -> e != edge).toArray(Edge[]::new);
      }
      if (live > 0 && live * 4 < size) {
        Edge[] smaller = compacted(array, size, live * 2);
        slots = smaller; // readers that read the old size skip the nulls past the live ones
        size = live;
      }
    }
    return live == 0;
  }

  private static Edge[] compacted(Edge[] from, int n, int capacity) {
    Edge[] to = new Edge[Math.max(capacity, 2)];
    int j = 0;
    for (int i = 0; i < n; i++) {
      Edge edge = from[i];
      if (edge != null) {
        edge.audienceSlot = j;
        to[j++] = edge;
      }
    }
    return to;
  }

  // ---- fanout

  /** The edges of the user's own subscribers, which fanout offers her own view. */
  Edge[] own() {
    return own;
  }

  /** The watchers that get the public view: a racy count, for statistics. */
  int publicWatchers() {
    return live - own.length;
  }

  /** Marks the audience dirty; whether this call did (and must therefore push it). */
  boolean markDirty() {
    return !dirty && DIRTY.compareAndSet(this, false, true);
  }

  /** Its expansion begins: a change from now on marks it dirty again. */
  void clearDirty() {
    dirty = false;
  }

  /** Slots in use; read before {@link #slots()}. */
  int size() {
    return size;
  }

  /** The slots: edges or nulls, at least {@code Math.min(size(), length)} of them to read. */
  Edge[] slots() {
    return slots;
  }

  /**
   * Makes {@code presence} the latest unless one as new is there already (a racing remote change, an
   * echo); returns whether it did.
   */
  boolean publish(UserPresence presence) {
    while (true) {
      UserPresence current = (UserPresence) LATEST.getVolatile(this);
      if (current != null && current.version() >= presence.version()) {
        return false;
      }
      if (LATEST.compareAndSet(this, current, presence)) {
        return true;
      }
    }
  }

  /** {@code presence} as an immutable batch of one, shared while it is this audience's latest. */
  List<UserPresence> alone(UserPresence presence) {
    List<UserPresence> batch = latestAlone;
    if (batch == null || batch.get(0) != presence) {
      batch = Collections.singletonList(presence);
      latestAlone = batch;
    }
    return batch;
  }

  /** The newest public presence fanned out to this audience, or null. */
  UserPresence latest() {
    return (UserPresence) LATEST.getVolatile(this);
  }
}
