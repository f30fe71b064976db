package dev.presence;

import dev.presence.spi.PresenceStore;
import dev.presence.spi.UserRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interest-based fanout: who watches which user directly, which users this node needs from the bus,
 * and the presence fanout, which visits only the subscribers that watch a changed user (directly or
 * through a channel), so its cost follows its watchers, not everyone connected. Its parts: {@link
 * Channels} (membership and channel watchers), {@link Typing} and {@link Visibility}.
 *
 * <p>Lock order, to stay deadlock-free: user lock, then channel monitor, then subscriber monitor,
 * then a user's {@link Interest} monitor (innermost; the bus is told of interest under it). The only
 * user lock taken here is for starting a typing burst, before the channel's monitor. Sinks run under
 * no lock (unless the delivery executor is direct); the visibility policy may run under a user or
 * channel lock, as its contract says. Fanout runs on the thread that committed the change (under its
 * user lock) or on the bus's thread for a remote change; with the public view and a non-zero flush
 * interval, its part per direct watcher runs on the timer thread at the window's boundary, under no
 * lock ({@link AlignedFanout}).
 */
final class SubscriptionHub {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);

  final Channels channels;
  final Typing typing;
  final Visibility visibility;
  /** For subscribers: where sink calls run, and the settings and clocks they read. */
  final Executor delivery;
  final int maxSubscriptions;
  final long flushNanos;
  final Ticker ticker;
  final PresenceStore store;
  /** Runs the store reads of resyncs started by a bus confirmation, off the bus's threads. */
  private final Executor storeCalls;
  /** The longest a watch waits for the bus to confirm before reading its snapshot anyway. */
  final long busWatchTimeoutNanos;
  /** Counts sink failures, for the subscribers' {@link GuardedSink}s. */
  final LongAdder sinkFailures;
  /** Counts what the hub's parts hand to sinks, coalesce away and refuse for a limit ({@link EngineStats}). */
  final LongAdder deliveries;
  final LongAdder coalesced;
  final LongAdder limitRejections;

  private final ExecutorService ownedDelivery;
  private final TimerWheel wheel;
  private final GuardedBus bus;
  private final RunState run;
  /** User id → the edges of the subscribers that watch it directly. */
  private final ConcurrentHashMap<String, Audience> directWatchers = new ConcurrentHashMap<>();
  /**
   * Whether every watcher may see every user (the default {@link VisibilityPolicy#everyone()}): then
   * a change is the same for every watcher but the user herself, and fanout may leave it in the
   * user's {@link Audience} for the subscribers' flushes to read.
   */
  final boolean publicView;
  /** User id → its subscriber edges on this node; the bus watches the users in here. */
  private final ConcurrentHashMap<String, Interest> interest = new ConcurrentHashMap<>();
  /** Close notices the delivery executor rejected, told once no engine lock is held. */
  final DeferredNotices deferredNotices;
  /** Flush windows aligned on the clock, and public fanout deferred to their boundaries. */
  private final AlignedFanout aligned;
  /** Every open subscriber, so closing the engine closes them. */
  private final Set<RealSubscriber> open = ConcurrentHashMap.newKeySet();

  SubscriptionHub(EngineSettings settings, TimerWheel wheel, GuardedBus bus, EngineStats stats, RunState run) {
    this.wheel = wheel;
    this.bus = bus;
    this.run = run;
    this.ticker = settings.ticker();
    this.store = settings.store();
    this.storeCalls = settings.storeCalls();
    this.busWatchTimeoutNanos = settings.busWatchTimeoutNanos();
    this.sinkFailures = stats.sinkFailures;
    this.deliveries = stats.deliveries;
    this.coalesced = stats.coalesced;
    this.limitRejections = stats.limitRejections;
    this.delivery = settings.delivery();
    this.deferredNotices = new DeferredNotices(delivery);
    this.ownedDelivery = settings.ownedDelivery();
    this.maxSubscriptions = settings.maxSubscriptionsPerSubscriber();
    this.flushNanos = settings.flushNanos();
    this.aligned = new AlignedFanout(wheel.origin(), flushNanos, ticker, coalesced, deliveries);
    GuardedVisibility policy = new GuardedVisibility(settings.visibility(), stats.visibilityFailures);
    this.publicView = policy.allowsEveryone();
    this.visibility = new Visibility(policy, store);
    this.channels = new Channels(store, bus, visibility, this::resyncWhenConfirmed);
    this.typing = new Typing(channels, visibility, bus, wheel, settings, limitRejections, deliveries);
  }

  // ---- subscribers

  RealSubscriber subscribe(String watcherUserId, PresenceSink sink, DeviceSession connection) {
    RealSubscriber subscriber =
        new RealSubscriber(this, watcherUserId, sink, connection, wheel.shardFor(System.identityHashCode(sink)));
    open.add(subscriber);
    if (run.closed) {
      subscriber.closeBy(CloseReason.ENGINE_CLOSED); // the engine closed while this one was made
      run.checkOpen();
    }
    return subscriber;
  }

  void subscriberClosed(RealSubscriber subscriber) {
    wheel.cancel(subscriber);
    open.remove(subscriber);
  }

  /** Closes every subscriber still open; the engine is closing. */
  void closeAll() {
    for (RealSubscriber subscriber : open) {
      subscriber.closeBy(CloseReason.ENGINE_CLOSED);
    }
  }

  long subscriberCount() {
    return open.size();
  }

  /** Arms a subscriber's flush for the next boundary (at once with a zero interval). */
  void scheduleFlush(RealSubscriber subscriber) {
    if (flushNanos == 0) {
      subscriber.onTimer(ticker.read());
    } else {
      wheel.scheduleInOrder(subscriber, aligned.flushDeadline());
    }
  }

  /** {@link #scheduleFlush} for the first {@code n} of {@code subscribers}, with one lock for all. */
  void scheduleFlushes(RealSubscriber[] subscribers, int n) {
    if (flushNanos == 0) {
      for (int i = 0; i < n; i++) {
        subscribers[i].onTimer(ticker.read());
      }
    } else {
      wheel.scheduleInOrder(subscribers, n, aligned.flushDeadline());
    }
  }

  /** The first window boundary after {@code nowNanos}: before it, a subscriber that just got a batch gets no other. */
  long boundaryAfter(long nowNanos) {
    return aligned.boundaryAfter(nowNanos);
  }

  /**
   * On the timer thread, before the wheel fires: at a boundary, the deferred public fanout ({@link
   * AlignedFanout#atTick}).
   */
  void atTick(long nowNanos, Consumer<Throwable> onFailure) {
    aligned.atTick(nowNanos, onFailure);
  }

  /**
   * On the timer thread, after the wheel fired: the next boundary, once this one's tick is done
   * ({@link AlignedFanout#afterTick}).
   */
  void afterTick(long nowNanos) {
    aligned.afterTick(nowNanos);
  }

  /** Arms a subscriber's flush timer for a given ticker time (a flush put off to keep the window). */
  void scheduleFlushAt(TimerNode subscriber, long deadlineNanos) {
    wheel.schedule(subscriber, deadlineNanos);
  }

  /** The engine is closing: stops the delivery threads it owns. */
  void close() {
    if (ownedDelivery != null) {
      ownedDelivery.shutdown();
    }
  }

  // ---- the watcher index

  /** Under the edge's subscriber's monitor: its subscriber now watches the edge's user directly. */
  void addDirectWatcher(Edge edge) {
    directWatchers.compute(
        edge.userId,
        (id, audience) -> {
          Audience target = audience != null ? audience : new Audience(id);
          target.add(edge);
          return target;
        });
  }

  /**
   * Adds to a set in a map whose empty sets are removed: the add happens inside the map's atomic
   * section, or a concurrent removal of the emptied set would swallow it. No user or SPI code runs
   * in there.
   */
  static <T> void addTo(ConcurrentHashMap<String, Set<T>> map, String key, T value) {
    map.compute(
        key,
        (id, set) -> {
          Set<T> target = set != null ? set : ConcurrentHashMap.newKeySet();
          target.add(value);
          return target;
        });
  }

  /** Under the edge's subscriber's monitor: its subscriber no longer watches the user directly. */
  void removeDirectWatcher(Edge edge) {
    directWatchers.computeIfPresent(edge.userId, (id, audience) -> audience.remove(edge) ? null : audience);
  }

  /**
   * One more subscriber edge to {@code userId}; the first makes the bus watch the user. The count
   * changes and the bus is told under the user's {@link Interest} monitor, never inside the map's
   * atomic section.
   */
  void addInterest(String userId) {
    while (true) {
      Interest entry = interest.computeIfAbsent(userId, id -> new Interest());
      synchronized (entry) {
        if (entry.retired) {
          continue; // its last edge just went: it was removed from the map, so the next try is fresh
        }
        if (entry.count++ == 0) {
          // Who needs the confirmation registers for it with no lock held (resyncWhenConfirmed).
          entry.confirmed = bus.watchUser(userId).toCompletableFuture();
        }
        return;
      }
    }
  }

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  /**
   * For users whose watch the bus has not confirmed yet: once it does, re-read them (a snapshot read
   * before may have missed a change); if it never can, count it. Called with no lock held, so a
   * confirmation that lands meanwhile may run the resync right here.
   */
  void resyncWhenConfirmed(Collection<String> userIds) {
    for (String userId : userIds) {
      CompletableFuture<Void> confirmed = confirmation(userId);
      if (!confirmed.isDone() || confirmed.isCompletedExceptionally()) {
        confirmed.whenCompleteAsync(
            (ok, failure) -> {
              if (failure == null) {
                resync(List.of(userId));
              } else {
                bus.watchFailed(userId, failure);
              }
            },
            storeCalls);
      }
    }
  }

  /** Completes once the bus confirmed its watch of the user (at once if nothing is pending). */
  CompletableFuture<Void> confirmation(String userId) {
    Interest entry = interest.get(userId);
    return entry == null ? DONE : entry.confirmed;
  }

  /** One subscriber edge to {@code userId} fewer; the last makes the bus unwatch the user. */
  void removeInterest(String userId) {
    Interest entry = interest.get(userId);
    if (entry == null) {
      return;
    }
    synchronized (entry) {
      if (entry.retired || entry.count == 0) {
        return;
      }
      if (--entry.count == 0) {
        // Unwatch before leaving the map: a racing addInterest waits on this monitor (or finds no
        // entry only after the removal), so its watch always comes after this unwatch.
        bus.unwatchUser(userId);
        entry.retired = true;
        interest.remove(userId, entry);
      }
    }
  }

  /**
   * A user's interest on this node. Its monitor orders every bus watch and unwatch of the user: the
   * count changes and the bus is told under it, and an entry leaves the map (retired) only after its
   * unwatch, so the bus watches the user iff some live entry's count is above zero.
   */
  private static final class Interest {
    /** Completes when the bus confirmed the watch; written under this, read anywhere. */
    volatile CompletableFuture<Void> confirmed = DONE;
    /** Guarded by this: subscriber edges to the user. */
    int count;
    /** Guarded by this: the count fell to zero and the entry left the map; start over with a new one. */
    boolean retired;
  }

  /** Whether nothing is held: no channel, membership, watcher, interest or typing. For tests. */
  boolean isEmpty() {
    return channels.isEmpty() && directWatchers.isEmpty() && interest.isEmpty() && typing.isEmpty();
  }

  // ---- visibility changes

  /**
   * The application's visibility rules about {@code target} changed (for one watcher, or for all if
   * {@code watcher} is null): the subscribers with an edge to her, directly or through one of her
   * channels, are re-evaluated by {@link Visibility#visibilityChanged}.
   */
  void visibilityChanged(String watcher, String target) {
    Set<String> memberOf = channels.membershipsOf(target);
    List<String> targetChannels = memberOf == null ? List.of() : List.copyOf(memberOf);
    visibility.visibilityChanged(watcher, target, watchersOf(target), targetChannels);
  }

  // ---- presence fanout

  /**
   * Fans a change out to its watchers. {@code record} is the user's record after the change when it
   * was made here, or null when it came from another node.
   */
  void onChange(PresenceChange change, UserRecord record) {
    String userId = change.userId();
    Audience audience = directWatchers.get(userId);
    if (audience != null) {
      offer(audience, change, record);
    }
    Set<String> memberOf = channels.membershipsOf(userId);
    if (memberOf != null) {
      for (String channelId : memberOf) {
        Channel channel = channels.get(channelId);
        if (channel != null) {
          for (RealSubscriber subscriber : channel.watchers) {
            offer(subscriber, change, record);
          }
        }
      }
    }
  }

  /**
   * Re-reads users from the store and offers each subscriber watching them what it may now see:
   * only what is newer than what a subscriber has goes out. For a bus that may have lost messages
   * (it reconnected or resubscribed), and for watches the bus confirmed after their snapshot.
   */
  void resync(Collection<String> userIds) {
    List<String> watched = new ArrayList<>();
    for (String userId : userIds) {
      if (interest.containsKey(userId)) {
        watched.add(userId);
      }
    }
    if (watched.isEmpty()) {
      return;
    }
    List<UserRecord> records;
    try {
      records = store.getAll(watched);
    } catch (RuntimeException e) {
      log.warn("resyncing {} users from the store failed", watched.size(), e);
      return;
    }
    for (UserRecord record : records) {
      for (RealSubscriber subscriber : watchersOf(record.userId())) {
        String watcher = subscriber.watcherUserId();
        if (subscriber.isWatcher(record.userId())) {
          subscriber.offer(visibility.viewOf(watcher, record));
        } else if (visibility.canSeeOther(watcher, record.userId())) {
          subscriber.offer(record.presence());
        }
      }
    }
  }

  /** The subscribers with an edge to a user, directly or through one of her channels. */
  private Set<RealSubscriber> watchersOf(String userId) {
    Set<RealSubscriber> result = new java.util.LinkedHashSet<>();
    Audience audience = directWatchers.get(userId);
    if (audience != null) {
      int size = audience.size(); // before the slots, as Audience requires: a compaction between would hide edges
      Edge[] slots = audience.slots();
      for (int i = 0, n = Math.min(size, slots.length); i < n; i++) {
        Edge edge = slots[i];
        if (edge != null) {
          result.add(edge.subscriber);
        }
      }
    }
    Set<String> memberOf = channels.membershipsOf(userId);
    if (memberOf != null) {
      for (String channelId : memberOf) {
        Channel channel = channels.get(channelId);
        if (channel != null) {
          result.addAll(channel.watchers);
        }
      }
    }
    return result;
  }

  /**
   * Fans a change out to the user's direct watchers. With the public view it is written once into the
   * audience, her own subscribers get her own view under their monitors, and the rest waits for the
   * audience's expansion at the next boundary ({@link AlignedFanout}); with a zero interval the
   * expansion runs at once. Otherwise each watcher is offered its own view under its monitor.
   */
  private void offer(Audience audience, PresenceChange change, UserRecord record) {
    if (publicView) {
      // Published before dirty or queued is read (the handshake in AlignedFanout), and deferred (or
      // expanded) before her own view is offered, so that nothing her own subscribers do can keep it
      // from the others.
      boolean newest = audience.publish(change.current());
      if (flushNanos != 0 && !aligned.defer(audience) && newest) {
        coalesced.add(audience.publicWatchers()); // the change it replaces never goes out
      }
      try {
        if (flushNanos == 0) {
          aligned.expandNow(audience);
        }
      } finally {
        for (Edge edge : audience.own()) {
          if (offer(edge.subscriber, edge, change, record)) { // her own view
            scheduleFlush(edge.subscriber);
          }
        }
      }
      return;
    }
    int n = audience.size();
    Edge[] slots = audience.slots();
    n = Math.min(n, slots.length);
    FlushArmer armer = new FlushArmer(this, n);
    try {
      for (int i = 0; i < n; i++) {
        Edge edge = slots[i];
        if (edge != null && offer(edge.subscriber, edge, change, record)) {
          armer.arm(edge.subscriber, n - i);
        }
      }
    } finally {
      armer.flush(); // even if an offer threw: a subscriber marked armed but never scheduled would stall
    }
  }

  private void offer(RealSubscriber subscriber, PresenceChange change, UserRecord record) {
    if (offer(subscriber, null, change, record)) {
      scheduleFlush(subscriber);
    }
  }

  /**
   * Offers a change to one subscriber, through a known edge of it or (if null) the one for the user;
   * returns whether the caller must schedule the subscriber's flush.
   */
  private boolean offer(RealSubscriber subscriber, Edge edge, PresenceChange change, UserRecord record) {
    String watcher = subscriber.watcherUserId();
    String target = change.userId();
    if (subscriber.isWatcher(target)) {
      UserRecord own = record;
      if (own == null) {
        try {
          own = store.get(target); // a remote change carries only what others see
        } catch (RuntimeException e) {
          log.warn("reading the own view of {} failed; sending the public one", Ids.shown(target), e);
          return subscriber.offerUnarmed(edge, change.current());
        }
      }
      return own.version() >= change.version() && subscriber.offerUnarmed(edge, visibility.viewOf(watcher, own));
    }
    return (publicView || visibility.canSeeOther(watcher, target)) && subscriber.offerUnarmed(edge, change.current());
  }
}
