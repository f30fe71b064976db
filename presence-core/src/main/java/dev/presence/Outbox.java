package dev.presence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one subscriber has still to deliver: the edges with a pending presence, in the order they
 * changed, and the pending typing, merged per channel and user in arrival order. Coalescing is the
 * backpressure: an edge is queued once however often it changes, so a slow sink costs one entry per
 * watched user at most. Guarded by the subscriber's monitor and every method is called under it,
 * except {@link #push}: an audience's expansion ({@link AlignedFanout}) queues an edge without the
 * monitor, onto a lock-free stack ({@link #incoming}) that the flush takes whole. Part of the
 * subscriber's one object (see {@link SubscriberDelivery} for why).
 */
abstract class Outbox extends TimerNode {
  private static final VarHandle INCOMING;

  static {
    try {
      INCOMING = MethodHandles.lookup().findVarHandle(Outbox.class, "incoming", Edge.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Edges queued since the last flush, newest first, linked through {@link Edge#nextDirty}: a Treiber
   * stack, pushed with one CAS by whoever won the edge's {@link Edge#tryQueue} (an audience's
   * expansion with no lock, or a path under the monitor), taken whole by {@link #collect}. Every
   * queueing goes through it, so a batch keeps the order in which its users were queued.
   */
  private volatile Edge incoming;
  /**
   * Edges the last collect kept queued (their snapshot was still being read): older than anything
   * incoming, so they go first. Under the monitor.
   */
  private Edge dirtyHead;
  private Edge dirtyTail;
  /**
   * Pending typing per channel and user (merged, see {@link PendingTyping}), in arrival order; made
   * on first use, as most subscribers never watch a channel.
   */
  private LinkedHashMap<String, PendingTyping> typing;
  /** Counts presence changes that never went out: replaced by a newer one, or changed back. */
  private final LongAdder coalesced;
  /**
   * Such changes since the last batch, added to {@link #coalesced} once per batch: a plain field under
   * the monitor, so an offer that replaces a pending change costs no atomic operation.
   */
  private long coalescedHere;

  Outbox(int shard, LongAdder coalesced) {
    super(shard);
    this.coalesced = coalesced;
  }

  /** The key of a typing event here: one entry per channel and user. */
  static String typingKey(TypingEvent event) {
    return event.channelId() + '\u0000' + event.userId();
  }

  // ---- presence

  /** Makes {@code presence} the edge's pending change and queues the edge. */
  void queue(Edge edge, UserPresence presence) {
    if (edge.pending != null) {
      coalescedHere++; // the change still pending is replaced before it went out
    }
    edge.pending = presence;
    enqueue(edge);
  }

  /** Whether some edge is queued. */
  boolean hasPresence() {
    return dirtyHead != null || incoming != null;
  }

  private void enqueue(Edge edge) {
    if (edge.tryQueue()) {
      push(edge);
    }
  }

  /**
   * With or without the monitor, by the caller that won {@code edge}'s {@link Edge#tryQueue}: links
   * it into the incoming stack. Returns whether the stack was empty. An empty stack is not the only
   * case without an armed flush (an edge waiting for its snapshot is queued without one), so a caller
   * without the monitor arms whenever none is armed ({@link SubscriberDelivery#armFlushUnlocked}).
   */
  final boolean push(Edge edge) {
    while (true) {
      Edge head = incoming;
      edge.nextDirty = head;
      if (INCOMING.compareAndSet(this, head, edge)) {
        return head == null;
      }
    }
  }

  /** The newest edge of the incoming stack, or null; a racy peek, for {@link TimerNode#touch}. */
  final Edge incomingPeek() {
    return incoming;
  }

  /** The incoming stack taken whole, oldest first. */
  private Edge takeIncoming() {
    Edge newest = (Edge) INCOMING.getAndSet(this, (Edge) null);
    Edge oldest = null;
    while (newest != null) {
      Edge next = newest.nextDirty;
      newest.nextDirty = oldest;
      oldest = newest;
      newest = next;
    }
    return oldest;
  }

  private void append(Edge edge) {
    edge.nextDirty = null;
    if (dirtyTail == null) {
      dirtyHead = edge;
    } else {
      dirtyTail.nextDirty = edge;
    }
    dirtyTail = edge;
  }

  /**
   * The batch of changed users, leaving out changes that were reversed; null if there is none. With
   * {@code publicView} (every watcher may see every user), an edge's change may also be its {@link
   * Audience}'s latest, which fanout left there instead of in the edge: {@code queued} is cleared
   * before that is read (the handshake in {@link Audience}).
   */
  List<UserPresence> collect(boolean publicView) {
    UserPresence first = null; // a batch of one, the common case, is a singleton list
    Audience firstFrom = null; // the audience whose latest is first, which shares its singleton
    List<UserPresence> batch = null;
    Edge edge = dirtyHead;
    Edge arrived = takeIncoming();
    if (edge == null) {
      edge = arrived;
    } else {
      dirtyTail.nextDirty = arrived;
    }
    dirtyHead = null;
    dirtyTail = null;
    while (edge != null) {
      Edge following = edge.nextDirty;
      if (!edge.hasBaseline() && !edge.removed) {
        append(edge); // its snapshot is still being read: it stays queued, and the watch arms the flush
        edge = following;
        continue;
      }
      edge.nextDirty = null;
      edge.queued = false; // before reading the audience's latest: the handshake in Audience
      UserPresence next = edge.pending;
      Audience audience = edge.audience;
      Audience from = null;
      if (publicView && audience != null && !edge.own) {
        UserPresence latest = audience.latest();
        if (latest != null && (next == null || latest.version() >= next.version())) {
          next = latest;
          from = audience;
        }
      }
      if (edge.removed || next == null) {
        edge.pending = null;
        edge = following;
        continue;
      }
      edge.pending = null;
      if (next.version() <= edge.deliveredVersion() && !edge.forced) {
        edge = following; // already delivered (or the snapshot was newer)
        continue;
      }
      boolean changedBack = edge.looksDelivered(next);
      edge.deliver(next);
      boolean forced = edge.forced;
      edge.forced = false;
      edge = following;
      if (!forced && changedBack) {
        coalescedHere++;
        continue; // changed and changed back within the window: nothing to tell
      }
      if (first == null) {
        first = next;
        firstFrom = from;
        continue;
      }
      if (batch == null) {
        batch = new ArrayList<>();
        batch.add(first);
      }
      batch.add(next);
    }
    publishCoalesced();
    if (batch != null) {
      return Collections.unmodifiableList(batch);
    }
    if (first == null) {
      return null;
    }
    return firstFrom != null ? firstFrom.alone(first) : Collections.singletonList(first);
  }

  // ---- typing

  /** Adds a typing event to what is pending for its channel and user, keeping the strongest kind. */
  void mergeTyping(String key, TypingEvent event) {
    if (typing == null) {
      typing = new LinkedHashMap<>();
    }
    PendingTyping pending = typing.remove(key); // re-put below: the key moves to the end, in arrival order
    if (pending == null) {
      typing.put(key, new PendingTyping(event));
    } else if (pending.merge(event)) {
      typing.put(key, pending);
    }
  }

  boolean hasTyping() {
    return typing != null && !typing.isEmpty();
  }

  /** Takes every pending typing event, in arrival order; null if there is none. */
  List<TypingEvent> drainTyping() {
    if (typing == null || typing.isEmpty()) {
      return null;
    }
    TypingEvent[] events = new TypingEvent[typing.size()];
    int i = 0;
    for (PendingTyping pending : typing.values()) {
      events[i++] = pending.event;
    }
    typing.clear();
    return List.of(events);
  }

  /** Drops the pending typing of a channel no longer watched. */
  void dropTypingIn(String channelId) {
    if (typing == null) {
      return;
    }
    typing.keySet().removeIf(key -> key.startsWith(channelId + '\u0000'));
  }

  // ---- failed deliveries and closing

  /**
   * The executor rejected a delivery: put it back so nothing is lost. A batch entry is pending again
   * unless something newer came meanwhile; its baseline becomes "unknown", so it is sent even if it
   * equals what the sink last got. Typing the receiver never got comes first, and whatever arrived
   * meanwhile folds in.
   */
  void requeue(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch, Map<String, Edge> edges) {
    if (typingBatch != null) {
      if (typing == null) {
        typing = new LinkedHashMap<>();
      }
      for (TypingEvent event : typingBatch) {
        String key = typingKey(event);
        PendingTyping later = typing.remove(key);
        typing.put(key, new PendingTyping(event));
        if (later != null) {
          mergeTyping(key, later.event);
        }
      }
    }
    if (presenceBatch != null) {
      for (UserPresence presence : presenceBatch) {
        Edge edge = edges.get(presence.userId());
        if (edge == null) {
          continue;
        }
        edge.deliver(UserPresence.unknown(presence.userId()));
        edge.forced = true; // sent even if it equals the unknown baseline (an offline change would be dropped)
        if (edge.pending == null) {
          edge.pending = presence;
        }
        enqueue(edge);
      }
    }
  }

  private void publishCoalesced() {
    if (coalescedHere != 0) {
      coalesced.add(coalescedHere);
      coalescedHere = 0;
    }
  }

  void clear() {
    publishCoalesced();
    incoming = null; // a fanout racing the close may still push an edge: the closed subscriber ignores it
    dirtyHead = null;
    dirtyTail = null;
    if (typing != null) {
      typing.clear();
    }
  }
}
