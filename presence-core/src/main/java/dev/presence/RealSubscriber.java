package dev.presence;

import dev.presence.spi.UserRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A subscriber's state: one edge per user it can see (directly or through a watched channel), the
 * edges changed since the last batch, pending typing events, and its flush timer.
 *
 * <p>The monitor guards everything here and in the superclasses, {@link SubscriberDelivery} and
 * {@link Outbox} (one object per subscriber; {@link SubscriberDelivery} says why). Coalescing is the
 * backpressure: an edge holds at most one pending presence, so a slow sink costs one entry per
 * watched user at most. Sink calls run on the delivery executor, never under a lock,
 * one at a time per subscriber. Lock order: a channel's monitor may be held when this monitor is
 * taken, never the reverse; under this monitor only the hub's index and bus interest are touched.
 */
final class RealSubscriber extends SubscriberDelivery implements Subscriber {
  private final String watcherUserId;
  /**
   * The watcher id's hash, read by fanout to rule out "this change is the watcher's own" without
   * touching the id string: at scale that string is a cache miss per recipient.
   */
  private final int watcherHash;
  /** The connection this subscriber is bound to, or null for an application sink. */
  final DeviceSession connection;

  private final Map<String, Edge> edges;
  private final Set<String> channels;
  private int directCount;

  RealSubscriber(SubscriptionHub hub, String watcherUserId, PresenceSink sink, DeviceSession connection, int shard) {
    super(shard, hub, sink);
    this.watcherUserId = watcherUserId;
    this.watcherHash = watcherUserId.hashCode();
    this.connection = connection;
    this.edges = new HashMap<>();
    this.channels = new HashSet<>();
  }

  @Override
  public String watcherUserId() {
    return watcherUserId;
  }

  /** Whether {@code userId} is the watcher's own id; reads the watcher's id only on a hash match. */
  boolean isWatcher(String userId) {
    return userId.hashCode() == watcherHash && userId.equals(watcherUserId);
  }

  // ---- watching

  @Override
  public PresenceSnapshot watchUsers(Collection<String> userIds) {
    Objects.requireNonNull(userIds, "userIds");
    for (String id : userIds) {
      Ids.check("userId", id);
    }
    List<String> ids = List.copyOf(new LinkedHashSet<>(userIds));
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
          hub.addDirectWatcher(edge);
          newlyWatched.add(id);
        }
      }
    }
    awaitConfirmation(ids);
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
    awaitConfirmation(members);
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
          hub.removeDirectWatcher(edge);
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
    dropTypingIn(channelId);
    return true;
  }

  private void checkLimit(int adding) {
    int max = hub.maxSubscriptions;
    if (adding > 0 && directCount + channels.size() + adding > max) {
      hub.limitRejections.increment();
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

  /**
   * Waits, with no lock held and at most the store timeout, until the bus confirmed its watch of
   * these users, so the snapshot read next misses no change. A watch confirmed later re-reads its
   * users then ({@link SubscriptionHub#resyncWhenConfirmed}), so nothing is lost either way.
   */
  private void awaitConfirmation(List<String> userIds) {
    List<CompletableFuture<Void>> pending = null;
    for (String userId : userIds) {
      CompletableFuture<Void> confirmed = hub.confirmation(userId);
      if (!confirmed.isDone()) {
        if (pending == null) {
          pending = new ArrayList<>();
        }
        pending.add(confirmed);
      }
    }
    if (pending == null) {
      return;
    }
    try {
      CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
          .get(hub.busWatchTimeoutNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Read the snapshot anyway: the users are re-read once the bus confirms (or the failure counted).
    }
    hub.resyncWhenConfirmed(userIds);
  }

  private Edge edgeFor(String userId) {
    Edge edge = edges.get(userId);
    if (edge == null) {
      edge = new Edge(userId, this);
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
        if (!edge.hasBaseline() || view.version() > edge.deliveredVersion()) {
          edge.deliver(view);
        }
        if (edge.pending != null && !edge.forced && edge.pending.version() <= edge.deliveredVersion()) {
          edge.pending = null;
        }
        flush |= edge.queued; // its audience's latest may be newer than the snapshot
      }
      flush = flush && armFlush();
    }
    if (flush) {
      hub.scheduleFlush(this);
    }
    return snapshot;
  }

  // ---- delivery

  /** A change of a user this subscriber may see (visibility already checked). */
  void offer(UserPresence presence) {
    offer(null, presence);
  }

  /** {@link #offer(UserPresence)} to a known edge of this subscriber ({@code edge}), or to the user's if null. */
  void offer(Edge known, UserPresence presence) {
    if (offerUnarmed(known, presence)) {
      hub.scheduleFlush(this);
    }
  }

  /** {@link #offer(Edge, UserPresence)}, but returns whether the caller must schedule the flush. */
  synchronized boolean offerUnarmed(Edge known, UserPresence presence) {
    Edge edge = known != null ? known : edges.get(presence.userId());
    if (closed || edge == null || edge.removed || presence.version() <= edge.knownVersion()) {
      return false;
    }
    return setPending(edge, presence);
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
      if (edge == null || edge.hasBaseline()) {
        return;
      }
      edge.deliver(UserPresence.unknown(presence.userId()));
      if (presence.version() > edge.knownVersion()) {
        flush = setPending(edge, presence);
      } else if (edge.queued) {
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
      long known = edge.knownVersion(); // -1: no baseline
      boolean wasHidden = known <= 0;
      boolean nowHidden = view.version() == 0;
      if (wasHidden == nowHidden) {
        return;
      }
      edge.forced = true;
      flush = setPending(edge, view);
      for (String channelId : stopIn) {
        if (channels.contains(channelId)) {
          TypingEvent stop = new TypingEvent(channelId, view.userId(), TypingEvent.Kind.STOPPED, null);
          mergeTyping(Outbox.typingKey(stop), stop);
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
    queue(edge, presence);
    return edge.hasBaseline() && armFlush();
  }

  /** Under the channel's monitor: whether this member is new to this subscriber (no baseline yet). */
  synchronized boolean needsBaseline(String memberId) {
    Edge edge = edges.get(memberId);
    return edge != null && !edge.hasBaseline();
  }

  /**
   * A typing event in a watched channel, visibility checked; {@code key} and {@code alone} (as a
   * batch) are per event. {@code watching}: the caller holds the channel's monitor and found this
   * subscriber among its watchers, so it watches the channel for sure (no lookup of its channel set).
   * Returns whether the event went straight to the executor as a call of its own, which the caller
   * counts among the deliveries (once per fanout, not once per receiver); otherwise it is pending and
   * counted when its batch goes out.
   */
  boolean offerTyping(TypingEvent event, String key, List<TypingEvent> alone, boolean watching) {
    if (watching && claimForTypingUnlocked(alone)) {
      return sendClaimed(alone); // the common case: nothing pending, no call in flight, no lock
    }
    boolean direct;
    synchronized (this) {
      if (closed || !(watching || channels.contains(event.channelId()))) {
        return false;
      }
      direct = claimForTyping(alone);
      if (!direct) {
        mergeTyping(key, event);
      }
    }
    if (direct) {
      return sendClaimed(alone);
    }
    dispatch(false);
    return false;
  }

  @Override
  void requeue(List<TypingEvent> typingBatch, List<UserPresence> presenceBatch) {
    requeue(typingBatch, presenceBatch, edges);
  }

  // ---- lifecycle

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
      tellNow = closing(reason);
      watchedChannels = List.copyOf(channels);
    }
    for (String channelId : watchedChannels) {
      hub.channels.removeWatcher(channelId, this);
    }
    synchronized (this) {
      for (Edge edge : edges.values()) {
        edge.removed = true;
        if (edge.direct) {
          hub.removeDirectWatcher(edge);
        }
        hub.removeInterest(edge.userId);
      }
      edges.clear();
      channels.clear();
      clear();
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
      tellClosed(reason);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this subscriber is closed");
    }
  }

  @Override
  public String toString() {
    return "Subscriber{watcher=" + Ids.shown(watcherUserId) + (connection != null ? ", " + connection : "") + "}";
  }
}
