package dev.presence;

import dev.presence.spi.UserRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;

/**
 * A subscriber's state: one edge per user it can see (directly or through a watched channel), the
 * edges changed since the last batch, pending typing events, and its flush timer.
 *
 * <p>The monitor guards everything here. Coalescing is the backpressure: an edge holds at most one
 * pending presence, so a slow sink costs one entry per watched user at most. Sink calls run on the
 * delivery executor, never under a lock, one at a time per subscriber.
 */
final class RealSubscriber extends TimerNode implements Subscriber {
  private final SubscriptionHub hub;
  private final String watcherUserId;
  /**
   * The watcher id's hash, read by fanout to rule out "this change is the watcher's own" without
   * touching the id string: at scale that string is a cache miss per recipient.
   */
  private final int watcherHash;
  private final GuardedSink sink;
  /** The connection this subscriber is bound to, or null for an application sink. */
  final DeviceSession connection;

  private final Map<String, Edge> edges = new HashMap<>();
  private final Set<String> channels = new HashSet<>();
  private final ArrayDeque<Edge> dirty = new ArrayDeque<>();
  /** Pending typing per channel and user (merged, see {@link PendingTyping}), in arrival order. */
  private final LinkedHashMap<String, PendingTyping> typing = new LinkedHashMap<>();
  private int directCount;
  private boolean closed;
  private boolean flushScheduled;
  private boolean flushWanted;
  /**
   * Ticker time before which no presence batch may go out: one flush interval after the last one.
   * A flush that falls due earlier (one that waited for a running sink call) is put off until then.
   */
  private long nextBatchAt;
  private boolean inFlight;
  /** Why the engine closed this subscriber, while the sink is still to be told (after its call in flight). */
  private CloseReason closeNotice;

  RealSubscriber(SubscriptionHub hub, String watcherUserId, PresenceSink sink, DeviceSession connection, int shard) {
    super(shard);
    this.hub = hub;
    this.watcherUserId = watcherUserId;
    this.watcherHash = watcherUserId.hashCode();
    this.sink = new GuardedSink(sink, hub.sinkFailures, this);
    this.connection = connection;
    this.nextBatchAt = hub.ticker.read();
  }

  /** What this subscriber knows of one user. */
  static final class Edge {
    final String userId;
    boolean direct;
    int channelRefs;
    /** What the sink has (or the snapshot gave); null until the first snapshot of the user. */
    UserPresence delivered;
    /** The latest change not yet delivered, or null. */
    UserPresence pending;
    boolean queued;
    boolean removed;
    /** The pending presence goes out even if it looks like what was delivered (visibility changed). */
    boolean forced;

    Edge(String userId) {
      this.userId = userId;
    }

    long knownVersion() {
      if (pending != null) {
        return pending.version();
      }
      return delivered != null ? delivered.version() : -1;
    }
  }

  @Override
  public String watcherUserId() {
    return watcherUserId;
  }

  /** Whether {@code userId} is the watcher's own id; reads the watcher's id only on a hash match. */
  boolean isWatcher(String userId) {
    return userId.hashCode() == watcherHash && userId.equals(watcherUserId);
  }

  // ------------------------------------------------------------ watching

  @Override
  public PresenceSnapshot watchUsers(Collection<String> userIds) {
    Objects.requireNonNull(userIds, "userIds");
    for (String id : userIds) {
      Ids.check("userId", id);
    }
    List<String> ids = List.copyOf(new java.util.LinkedHashSet<>(userIds));
    List<String> newlyWatched = new ArrayList<>();
    synchronized (this) {
      checkOpen();
      int added = 0;
      for (String id : ids) {
        Edge edge = edges.get(id);
        if (edge == null || !edge.direct) {
          added++;
        }
      }
      checkLimit(added);
      for (String id : ids) {
        Edge edge = edgeFor(id);
        if (!edge.direct) {
          edge.direct = true;
          directCount++;
          hub.addDirectWatcher(id, this);
          newlyWatched.add(id);
        }
      }
    }
    List<UserPresence> snapshot;
    try {
      snapshot = resolve(ids);
    } catch (RuntimeException e) {
      unwatchUsers(newlyWatched); // no snapshot, no baseline: undo what this call added
      throw e;
    }
    return new PresenceSnapshot(snapshot, List.of());
  }

  @Override
  public PresenceSnapshot watchChannel(String channelId) {
    Ids.check("channelId", channelId);
    boolean watchedBefore;
    synchronized (this) {
      checkOpen();
      watchedBefore = channels.contains(channelId);
      if (!watchedBefore) {
        checkLimit(1);
      }
    }
    List<String> members = hub.channels.addWatcher(channelId, this);
    List<UserPresence> snapshot;
    try {
      snapshot = resolve(members);
    } catch (RuntimeException e) {
      if (!watchedBefore) {
        hub.channels.removeWatcher(channelId, this); // no snapshot, no baseline: undo
      }
      throw e;
    }
    return new PresenceSnapshot(snapshot, hub.typing.snapshot(channelId, watcherUserId));
  }

  /** Called by the hub under the channel's monitor when this subscriber starts watching it. */
  synchronized boolean channelWatched(String channelId, Collection<String> members) {
    if (closed || channels.contains(channelId)) {
      return false;
    }
    checkLimit(1); // again, under the lock: two watches racing past the first check
    channels.add(channelId);
    for (String member : members) {
      edgeFor(member).channelRefs++;
    }
    return true;
  }

  /** Called by the hub under the channel's monitor when a member joins a watched channel. */
  synchronized void memberJoined(String memberId) {
    if (!closed) {
      edgeFor(memberId).channelRefs++;
    }
  }

  /** Called by the hub under the channel's monitor when a member leaves a watched channel. */
  synchronized void memberLeft(String memberId) {
    Edge edge = edges.get(memberId);
    if (edge != null && edge.channelRefs > 0) {
      edge.channelRefs--;
      dropIfUnused(edge);
    }
  }

  @Override
  public void unwatchUsers(Collection<String> userIds) {
    Objects.requireNonNull(userIds, "userIds");
    for (String id : userIds) {
      Ids.check("userId", id);
    }
    synchronized (this) {
      for (String id : userIds) {
        Edge edge = edges.get(id);
        if (edge != null && edge.direct) {
          edge.direct = false;
          directCount--;
          hub.removeDirectWatcher(id, this);
          dropIfUnused(edge);
        }
      }
    }
  }

  @Override
  public void unwatchChannel(String channelId) {
    Ids.check("channelId", channelId);
    hub.channels.removeWatcher(channelId, this);
  }

  /** Called by the hub under the channel's monitor. */
  synchronized boolean channelUnwatched(String channelId, Collection<String> members) {
    if (!channels.remove(channelId)) {
      return false;
    }
    for (String member : members) {
      memberLeft(member);
    }
    typing.keySet().removeIf(key -> key.startsWith(channelId + '\u0000'));
    return true;
  }

  private void checkLimit(int adding) {
    int max = hub.maxSubscriptions;
    if (adding > 0 && directCount + channels.size() + adding > max) {
      throw new LimitExceededException(
          "subscriber of "
              + Ids.shown(watcherUserId)
              + " watches "
              + (directCount + channels.size())
              + " users and channels and asked for "
              + adding
              + " more; the limit (maxSubscriptionsPerSubscriber) is "
              + max,
          "maxSubscriptionsPerSubscriber",
          max);
    }
  }

  private Edge edgeFor(String userId) {
    Edge edge = edges.get(userId);
    if (edge == null) {
      edge = new Edge(userId);
      edges.put(userId, edge);
      hub.addInterest(userId);
    }
    return edge;
  }

  private void dropIfUnused(Edge edge) {
    if (!edge.direct && edge.channelRefs == 0) {
      edges.remove(edge.userId);
      edge.removed = true;
      hub.removeInterest(edge.userId);
    }
  }

  /**
   * Reads the current records of these users and makes them the subscriber's baseline: pending
   * changes not newer than the snapshot are dropped, newer ones stay for the next batch. Edges were
   * registered before the read, so no change can fall between snapshot and stream.
   */
  private List<UserPresence> resolve(List<String> userIds) {
    List<UserRecord> records = hub.store.getAll(userIds);
    List<UserPresence> snapshot = new ArrayList<>(records.size());
    for (UserRecord record : records) {
      snapshot.add(hub.visibility.viewOf(watcherUserId, record));
    }
    boolean flush = false;
    synchronized (this) {
      for (UserPresence view : snapshot) {
        Edge edge = edges.get(view.userId());
        if (edge == null) {
          continue;
        }
        if (edge.delivered == null || view.version() > edge.delivered.version()) {
          edge.delivered = view;
        }
        if (edge.pending != null && !edge.forced && edge.pending.version() <= edge.delivered.version()) {
          edge.pending = null;
        }
        flush |= edge.pending != null;
      }
      flush = flush && armFlush();
    }
    if (flush) {
      hub.scheduleFlush(this);
    }
    return snapshot;
  }

  // ------------------------------------------------------------ delivery

  /** A change of a user this subscriber may see (visibility already checked). */
  void offer(UserPresence presence) {
    boolean flush;
    synchronized (this) {
      if (closed) {
        return;
      }
      Edge edge = edges.get(presence.userId());
      if (edge == null || presence.version() <= edge.knownVersion()) {
        return;
      }
      flush = setPending(edge, presence);
    }
    if (flush) {
      hub.scheduleFlush(this);
    }
  }

  /**
   * A member joined a watched channel and is new to this subscriber: its baseline is "unknown" and
   * its current presence goes out in the next batch (an offline member with no text sends nothing).
   */
  void memberBaseline(UserPresence presence) {
    boolean flush = false;
    synchronized (this) {
      if (closed) {
        return;
      }
      Edge edge = edges.get(presence.userId());
      if (edge == null || edge.delivered != null) {
        return;
      }
      edge.delivered = UserPresence.unknown(presence.userId());
      if (presence.version() > edge.knownVersion()) {
        flush = setPending(edge, presence);
      } else if (edge.pending != null) {
        flush = armFlush();
      }
    }
    if (flush) {
      hub.scheduleFlush(this);
    }
  }

  /**
   * The application's visibility rules about a watched user changed: {@code view} is what this
   * subscriber now sees of her, sent in the next batch even if it looks the same (a hidden user loses
   * her last seen). If she is now hidden, her typing in {@code stopIn} (her channels) stops here.
   */
  void visibilityChanged(UserPresence view, List<String> stopIn) {
    boolean flush;
    boolean typingQueued = false;
    synchronized (this) {
      if (closed) {
        return;
      }
      Edge edge = edges.get(view.userId());
      if (edge == null) {
        return;
      }
      // Version 0 is what a hidden user (or one never seen) looks like: only a switch between that
      // and her real presence is news to this subscriber.
      UserPresence known = edge.pending != null ? edge.pending : edge.delivered;
      boolean wasHidden = known == null || known.version() == 0;
      boolean nowHidden = view.version() == 0;
      if (wasHidden == nowHidden) {
        return;
      }
      edge.forced = true;
      flush = setPending(edge, view);
      for (String channelId : stopIn) {
        if (channels.contains(channelId)) {
          TypingEvent stop = new TypingEvent(channelId, view.userId(), TypingEvent.Kind.STOPPED, null);
          merge(typingKey(stop), stop);
          typingQueued = true;
        }
      }
    }
    if (flush) {
      hub.scheduleFlush(this);
    }
    if (typingQueued) {
      dispatch(false);
    }
  }

  /** Under the monitor: queues a pending change; whether the caller must schedule the flush. */
  private boolean setPending(Edge edge, UserPresence presence) {
    edge.pending = presence;
    if (!edge.queued) {
      edge.queued = true;
      dirty.add(edge);
    }
    return edge.delivered != null && armFlush();
  }

  /** Under the channel's monitor: whether this member is new to this subscriber (no baseline yet). */
  synchronized boolean needsBaseline(String memberId) {
    Edge edge = edges.get(memberId);
    return edge != null && edge.delivered == null;
  }

  /** The key of a typing event in {@link #typing}: one entry per channel and user. */
  static String typingKey(TypingEvent event) {
    return event.channelId() + '\u0000' + event.userId();
  }

  /**
   * A typing event in a watched channel (visibility already checked); {@code key} is its {@link
   * #typingKey}, made once per event by the caller rather than once per recipient.
   */
  void offerTyping(TypingEvent event, String key) {
    synchronized (this) {
      if (closed || !channels.contains(event.channelId())) {
        return;
      }
      merge(key, event);
    }
    dispatch(false);
  }

  /**
   * Under the monitor: adds a typing event to what is pending for its channel and user, keeping the
   * strongest kind, so a receiver that was busy still sees every burst begin and end.
   */
  private void merge(String key, TypingEvent event) {
    PendingTyping pending = typing.remove(key); // re-put below: the key moves to the end, in arrival order
    if (pending == null) {
      typing.put(key, new PendingTyping(event));
    } else if (pending.merge(event)) {
      typing.put(key, pending);
    }
  }

  /**
   * The typing not yet delivered for one channel and user. {@code shown} is whether the receiver shows
   * the indicator before any of it arrives: a burst that starts and stops while the receiver is busy
   * cancels out; one that starts and goes on stays a STARTED (with the newest expiry), so it is never
   * merged into a bare REFRESHED that a receiver showing indicators from STARTED would ignore.
   */
  private static final class PendingTyping {
    final boolean shown;
    TypingEvent event;

    PendingTyping(TypingEvent first) {
      this.shown = first.kind() != TypingEvent.Kind.STARTED;
      this.event = first;
    }

    /** Folds a later event in; returns false when nothing is left to send. */
    boolean merge(TypingEvent next) {
      if (next.kind() == TypingEvent.Kind.STOPPED) {
        event = next;
        return shown;
      }
      event =
          shown || next.kind() == TypingEvent.Kind.STARTED
              ? next
              : new TypingEvent(next.channelId(), next.userId(), TypingEvent.Kind.STARTED, next.expiresAt());
      return true;
    }
  }

  /** Under the monitor: whether the caller must schedule the flush timer now. */
  private boolean armFlush() {
    if (flushScheduled || closed) {
      return false;
    }
    flushScheduled = true;
    return true;
  }

  @Override
  void onTimer(long nowNanos) {
    synchronized (this) {
      flushScheduled = false;
    }
    dispatch(true);
  }

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
      if (closed) {
        return;
      }
      if (inFlight) {
        flushWanted |= flushDue;
        return;
      }
      if (!typing.isEmpty()) {
        TypingEvent[] events = new TypingEvent[typing.size()];
        int i = 0;
        for (PendingTyping pending : typing.values()) {
          events[i++] = pending.event;
        }
        typingBatch = List.of(events);
        typing.clear();
      }
      if (flushDue || flushWanted) {
        flushWanted = false;
        long now = hub.ticker.read();
        if (now - nextBatchAt < 0) {
          putOff = armFlush();
          putOffTo = nextBatchAt;
        } else {
          presenceBatch = collect();
          if (presenceBatch != null) {
            nextBatchAt = now + hub.flushNanos;
          }
        }
      }
      inFlight = typingBatch != null || presenceBatch != null;
    }
    if (putOff) {
      hub.scheduleFlushAt(this, putOffTo);
    }
    if (typingBatch == null && presenceBatch == null) {
      return;
    }
    List<TypingEvent> typingToSend = typingBatch;
    List<UserPresence> presenceToSend = presenceBatch;
    try {
      hub.delivery.execute(() -> deliver(typingToSend, presenceToSend));
    } catch (RejectedExecutionException e) {
      boolean retry = requeue(typingToSend, presenceToSend);
      sink.failed(e);
      if (retry) {
        hub.scheduleFlushAt(this, hub.ticker.read() + Math.max(hub.flushNanos, REJECTED_RETRY_NANOS));
      }
    }
  }

  /** How soon a delivery the executor rejected is tried again, at the least. */
  private static final long REJECTED_RETRY_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);

  /**
   * The executor rejected a delivery: put it back so nothing is lost. A batch entry is pending
   * again unless something newer came meanwhile; its baseline becomes "unknown", so it is sent even
   * if it equals what the sink last got. Returns whether the caller must arm the flush timer.
   */
  private synchronized boolean requeue(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch) {
    inFlight = false;
    if (closed) {
      return false;
    }
    if (typingBatch != null) {
      for (TypingEvent event : typingBatch) {
        // The receiver never got these: they come first, and whatever arrived meanwhile folds in.
        String key = typingKey(event);
        PendingTyping later = typing.remove(key);
        typing.put(key, new PendingTyping(event));
        if (later != null) {
          merge(key, later.event);
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
        if (!edge.queued) {
          edge.queued = true;
          dirty.add(edge);
        }
      }
    }
    flushWanted = false;
    return armFlush();
  }

  /** Under the monitor: the batch of changed users, leaving out changes that were reversed. */
  private List<UserPresence> collect() {
    UserPresence first = null; // a batch of one, the common case, is a singleton list
    List<UserPresence> batch = null;
    int waiting = 0;
    for (int i = dirty.size(); i > 0; i--) {
      Edge edge = dirty.poll();
      if (edge.removed || edge.pending == null) {
        edge.queued = false;
        continue;
      }
      if (edge.delivered == null) {
        dirty.add(edge); // its snapshot is still being read
        waiting++;
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
    return batch != null ? Collections.unmodifiableList(batch) : first != null ? Collections.singletonList(first) : null;
  }

  private void deliver(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch) {
    try {
      if (typingBatch != null) {
        sink.onTyping(typingBatch);
      }
      if (presenceBatch != null) {
        sink.onPresence(presenceBatch);
      }
    } finally {
      boolean more;
      CloseReason notice;
      synchronized (this) {
        inFlight = false;
        more = !closed && (flushWanted || !typing.isEmpty());
        notice = closeNotice;
        closeNotice = null;
      }
      if (notice != null) {
        tellSink(notice);
      } else if (more) {
        dispatch(false);
      }
    }
  }

  // ------------------------------------------------------------ lifecycle

  @Override
  public synchronized boolean isOpen() {
    return !closed;
  }

  @Override
  public void close() {
    close(null);
  }

  /**
   * Closed by the engine (its connection closed, or the engine did): like {@link #close()}, and the
   * sink is told why, after any call in flight, so its calls still never overlap.
   */
  void closeBy(CloseReason reason) {
    close(Objects.requireNonNull(reason, "reason"));
  }

  private void close(CloseReason reason) {
    List<String> watchedChannels;
    boolean tellNow = false;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true; // from here on, a racing watchChannel or member join adds nothing
      if (reason != null) {
        if (inFlight) {
          closeNotice = reason;
        } else {
          tellNow = true;
        }
      }
      watchedChannels = List.copyOf(channels);
    }
    for (String channelId : watchedChannels) {
      hub.channels.removeWatcher(channelId, this);
    }
    synchronized (this) {
      for (Edge edge : edges.values()) {
        edge.removed = true;
        if (edge.direct) {
          hub.removeDirectWatcher(edge.userId, this);
        }
        hub.removeInterest(edge.userId);
      }
      edges.clear();
      channels.clear();
      dirty.clear();
      typing.clear();
    }
    if (connection != null) {
      synchronized (connection.user) {
        if (connection.subscribers != null) {
          connection.subscribers.remove(this);
        }
      }
    }
    hub.subscriberClosed(this);
    if (tellNow) {
      try {
        hub.delivery.execute(() -> tellSink(reason));
      } catch (RejectedExecutionException e) {
        tellSink(reason); // the pool is gone (engine closing): tell it here rather than never
      }
    }
  }

  private void tellSink(CloseReason reason) {
    sink.onClosed(reason);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this subscriber is closed");
    }
  }

  @Override
  public String toString() {
    return "Subscriber{watcher=" + watcherUserId + (connection != null ? ", " + connection : "") + "}";
  }
}
