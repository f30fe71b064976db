package dev.presence;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one subscriber has still to deliver: the edges with a pending presence, in the order they
 * changed, and the pending typing, merged per channel and user in arrival order. Coalescing is the
 * backpressure: an edge is queued once however often it changes, so a slow sink costs one entry per
 * watched user at most. Guarded by the subscriber's monitor; every method is called under it.
 */
final class Outbox {
  /** Edges with a pending presence, each at most once ({@link Edge#queued}). */
  private final ArrayDeque<Edge> dirty = new ArrayDeque<>();
  /** Pending typing per channel and user (merged, see {@link PendingTyping}), in arrival order. */
  private final LinkedHashMap<String, PendingTyping> typing = new LinkedHashMap<>();
  /** Counts presence changes that never went out: replaced by a newer one, or changed back. */
  private final LongAdder coalesced;
  /**
   * Such changes since the last batch, added to {@link #coalesced} once per batch: a plain field under
   * the monitor, so an offer that replaces a pending change costs no atomic operation.
   */
  private long coalescedHere;

  Outbox(LongAdder coalesced) {
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

  private void enqueue(Edge edge) {
    if (!edge.queued) {
      edge.queued = true;
      dirty.add(edge);
    }
  }

  /** The batch of changed users, leaving out changes that were reversed; null if there is none. */
  List<UserPresence> collect() {
    UserPresence first = null; // a batch of one, the common case, is a singleton list
    List<UserPresence> batch = null;
    for (int i = dirty.size(); i > 0; i--) {
      Edge edge = dirty.poll();
      if (edge.removed || edge.pending == null) {
        edge.queued = false;
        continue;
      }
      if (edge.delivered == null) {
        dirty.add(edge); // its snapshot is still being read
        continue;
      }
      edge.queued = false;
      UserPresence next = edge.pending;
      edge.pending = null;
      UserPresence previous = edge.delivered;
      edge.delivered = next;
      boolean forced = edge.forced;
      edge.forced = false;
      if (!forced && next.state() == previous.state() && Objects.equals(next.customText(), previous.customText())) {
        coalescedHere++;
        continue; // changed and changed back within the window: nothing to tell
      }
      if (first == null) {
        first = next;
        continue;
      }
      if (batch == null) {
        batch = new ArrayList<>();
        batch.add(first);
      }
      batch.add(next);
    }
    publishCoalesced();
    return batch != null ? Collections.unmodifiableList(batch) : first != null ? Collections.singletonList(first) : null;
  }

  // ---- typing

  /** Adds a typing event to what is pending for its channel and user, keeping the strongest kind. */
  void mergeTyping(String key, TypingEvent event) {
    PendingTyping pending = typing.remove(key); // re-put below: the key moves to the end, in arrival order
    if (pending == null) {
      typing.put(key, new PendingTyping(event));
    } else if (pending.merge(event)) {
      typing.put(key, pending);
    }
  }

  boolean hasTyping() {
    return !typing.isEmpty();
  }

  /** Takes every pending typing event, in arrival order; null if there is none. */
  List<TypingEvent> drainTyping() {
    if (typing.isEmpty()) {
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
        edge.delivered = UserPresence.unknown(presence.userId());
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
    dirty.clear();
    typing.clear();
  }
}
