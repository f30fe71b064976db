package dev.presence;

import dev.presence.spi.PresenceBus;
import dev.presence.spi.UserRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interest-based fanout: who watches which user (directly or through a channel), channel membership,
 * and typing bursts. A change reaches only the subscribers that watch its user, so its cost follows
 * its watchers, not everyone connected.
 *
 * <p>Lock order, to stay deadlock-free: user lock, then channel monitor, then subscriber monitor,
 * then a user's {@link Interest} monitor (innermost; the bus is told of interest under it).
 * The only user lock taken here is for starting a typing burst, before the channel's monitor. Sinks
 * run under no lock (unless the delivery executor is direct); the visibility policy may run under a
 * user or channel lock, as its contract says.
 */
final class SubscriptionHub {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);

  final PresenceEngine engine;
  final Executor delivery;
  private final ExecutorService ownedDelivery;
  private final GuardedVisibility visibility;
  final int maxSubscriptions;
  final long flushNanos;
  private final long typingTimeoutNanos;
  private final long typingRefreshNanos;
  private final int maxTypingChannels;

  /** User id → subscribers that watch it directly. */
  private final ConcurrentHashMap<String, Set<SubscriberImpl>> directWatchers = new ConcurrentHashMap<>();
  /** User id → channels it is a member of. */
  private final ConcurrentHashMap<String, Set<String>> memberships = new ConcurrentHashMap<>();
  /** Channel id → its members, watchers and typing here; package-private for tests. */
  final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();
  /** User id → its subscriber edges on this node; the bus watches the users in here. */
  private final ConcurrentHashMap<String, Interest> interest = new ConcurrentHashMap<>();
  /** User id → channels it is typing in now. */
  private final ConcurrentHashMap<String, Set<String>> typingByUser = new ConcurrentHashMap<>();

  /** Every open subscriber, so closing the engine closes them. */
  private final Set<SubscriberImpl> open = ConcurrentHashMap.newKeySet();
  /** Counts sink failures, for the subscribers' {@link GuardedSink}s. */
  final LongAdder sinkFailures;

  SubscriptionHub(PresenceEngine engine, EngineSettings settings, EngineStats stats) {
    this.engine = engine;
    this.sinkFailures = stats.sinkFailures;
    this.delivery = settings.delivery();
    this.ownedDelivery = settings.ownedDelivery();
    this.visibility = new GuardedVisibility(settings.visibility(), stats.visibilityFailures);
    this.maxSubscriptions = settings.maxSubscriptionsPerSubscriber();
    this.flushNanos = settings.flushNanos();
    this.typingTimeoutNanos = settings.typingTimeoutNanos();
    this.typingRefreshNanos = settings.typingRefreshNanos();
    this.maxTypingChannels = settings.maxTypingChannelsPerUser();
  }

  // ------------------------------------------------------------ subscribers

  SubscriberImpl subscribe(String watcherUserId, PresenceSink sink, DeviceSession connection) {
    SubscriberImpl subscriber =
        new SubscriberImpl(this, watcherUserId, sink, connection, engine.wheel.shardFor(System.identityHashCode(sink)));
    open.add(subscriber);
    if (engine.run.closed) {
      subscriber.closeBy(CloseReason.ENGINE_CLOSED); // the engine closed while this one was made
      engine.run.checkOpen();
    }
    return subscriber;
  }

  void subscriberClosed(SubscriberImpl subscriber) {
    engine.wheel.cancel(subscriber);
    open.remove(subscriber);
  }

  /** Closes every subscriber still open; the engine is closing. */
  void closeAll() {
    for (SubscriberImpl subscriber : open) {
      subscriber.closeBy(CloseReason.ENGINE_CLOSED);
    }
  }

  void addDirectWatcher(String userId, SubscriberImpl subscriber) {
    addTo(directWatchers, userId, subscriber);
  }

  /**
   * Adds to a set in a map whose empty sets are removed: the add happens inside the map's atomic
   * section, or a concurrent removal of the emptied set would swallow it.
   */
  private static <T> void addTo(ConcurrentHashMap<String, Set<T>> map, String key, T value) {
    map.compute(
        key,
        (id, set) -> {
          Set<T> target = set != null ? set : ConcurrentHashMap.newKeySet();
          target.add(value);
          return target;
        });
  }

  void removeDirectWatcher(String userId, SubscriberImpl subscriber) {
    directWatchers.computeIfPresent(
        userId,
        (id, set) -> {
          set.remove(subscriber);
          return set.isEmpty() ? null : set;
        });
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
          engine.busWatchUser(userId);
        }
        return;
      }
    }
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
        engine.busUnwatchUser(userId);
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
    /** Guarded by this: subscriber edges to the user. */
    int count;
    /** Guarded by this: the count fell to zero and the entry left the map; start over with a new one. */
    boolean retired;
  }

  /** Adds a watcher to a channel; returns the members it now sees. */
  List<String> addChannelWatcher(String channelId, SubscriberImpl subscriber) {
    while (true) {
      Channel channel = channelFor(channelId);
      synchronized (channel) {
        if (channel.retired) {
          continue;
        }
        List<String> members = List.copyOf(channel.members);
        boolean added;
        try {
          added = subscriber.channelWatched(channelId, members);
        } catch (RuntimeException e) {
          retireIfUnused(channel); // a rejected watch must not leave an empty channel behind
          throw e;
        }
        if (added) {
          if (channel.watchers.isEmpty()) {
            engine.busWatchChannel(channelId);
          }
          channel.watchers.add(subscriber);
        } else {
          retireIfUnused(channel); // the subscriber closed meanwhile: leave no empty channel behind
        }
        return members;
      }
    }
  }

  void removeChannelWatcher(String channelId, SubscriberImpl subscriber) {
    Channel channel = channels.get(channelId);
    if (channel == null) {
      return;
    }
    synchronized (channel) {
      if (channel.watchers.remove(subscriber)) {
        subscriber.channelUnwatched(channelId, List.copyOf(channel.members));
        if (channel.watchers.isEmpty()) {
          engine.busUnwatchChannel(channelId);
        }
        retireIfUnused(channel);
      }
    }
  }

  void scheduleFlush(SubscriberImpl subscriber) {
    if (flushNanos == 0) {
      subscriber.onTimer(engine.ticker.read());
    } else {
      engine.wheel.schedule(subscriber, engine.ticker.read() + flushNanos);
    }
  }

  /** Arms a subscriber's flush timer for a given ticker time (a flush put off to keep the window). */
  void scheduleFlushAt(SubscriberImpl subscriber, long deadlineNanos) {
    engine.wheel.schedule(subscriber, deadlineNanos);
  }

  // ------------------------------------------------------------ visibility

  /** What {@code watcher} may see of a user, from the user's record. */
  UserPresence viewOf(String watcher, UserRecord record) {
    String target = record.userId();
    if (watcher.equals(target)) {
      UserPresence shown = record.presence();
      return new UserPresence(target, record.selfState(), record.customText(), shown.lastSeen(), shown.version());
    }
    if (!canSee(watcher, target)) {
      return UserPresence.unknown(target);
    }
    return record.presence();
  }

  boolean canSee(String watcher, String target) {
    if (watcher.equals(target)) {
      return true;
    }
    return canSeeOther(watcher, target);
  }

  /** {@link #canSee} for a watcher already known not to be the target; fails closed. */
  private boolean canSeeOther(String watcher, String target) {
    return visibility.canSee(watcher, target);
  }

  /**
   * The application's visibility rules about {@code target} changed (for one watcher, or for all if
   * {@code watcher} is null): each affected subscriber gets what it now sees, forced into its next
   * batch. The store is read once, outside every lock.
   */
  void visibilityChanged(String watcher, String target) {
    List<SubscriberImpl> affected = new ArrayList<>();
    Set<SubscriberImpl> direct = directWatchers.get(target);
    if (direct != null) {
      affected.addAll(direct);
    }
    Set<String> memberOf = memberships.get(target);
    List<String> targetChannels = memberOf == null ? List.of() : List.copyOf(memberOf);
    for (String channelId : targetChannels) {
      Channel channel = channels.get(channelId);
      if (channel != null) {
        affected.addAll(channel.watchers);
      }
    }
    affected.removeIf(s -> s.isWatcher(target) || (watcher != null && !s.watcherUserId().equals(watcher)));
    if (affected.isEmpty()) {
      return;
    }
    UserRecord record = engine.store.get(target);
    for (SubscriberImpl subscriber : new java.util.LinkedHashSet<>(affected)) {
      boolean visible = canSeeOther(subscriber.watcherUserId(), target);
      UserPresence view = visible ? record.presence() : UserPresence.unknown(target);
      subscriber.visibilityChanged(view, visible ? List.of() : targetChannels);
    }
  }

  // ------------------------------------------------------------ presence fanout

  /**
   * Fans a change out to its watchers. {@code record} is the user's record after the change when it
   * was made here, or null when it came from another node.
   */
  void onChange(PresenceChange change, UserRecord record) {
    String userId = change.userId();
    Set<SubscriberImpl> direct = directWatchers.get(userId);
    if (direct != null) {
      for (SubscriberImpl subscriber : direct) {
        offer(subscriber, change, record);
      }
    }
    Set<String> memberOf = memberships.get(userId);
    if (memberOf != null) {
      for (String channelId : memberOf) {
        Channel channel = channels.get(channelId);
        if (channel != null) {
          for (SubscriberImpl subscriber : channel.watchers) {
            offer(subscriber, change, record);
          }
        }
      }
    }
  }

  private void offer(SubscriberImpl subscriber, PresenceChange change, UserRecord record) {
    String watcher = subscriber.watcherUserId();
    String target = change.userId();
    if (subscriber.isWatcher(target)) {
      UserRecord own = record;
      if (own == null) {
        try {
          own = engine.store.get(target); // a remote change carries only what others see
        } catch (RuntimeException e) {
          log.warn("reading the own view of {} failed; sending the public one", Ids.shown(target), e);
          subscriber.offer(change.current());
          return;
        }
      }
      if (own.version() >= change.version()) {
        subscriber.offer(viewOf(watcher, own));
      }
      return;
    }
    if (canSeeOther(watcher, target)) {
      subscriber.offer(change.current());
    }
  }

  // ------------------------------------------------------------ channels

  void join(String channelId, String userId) {
    while (true) {
      Channel channel = channelFor(channelId);
      synchronized (channel) {
        if (channel.retired) {
          continue;
        }
        if (!channel.members.add(userId)) {
          return;
        }
        addTo(memberships, userId, channelId);
        List<SubscriberImpl> needBaseline = new ArrayList<>();
        for (SubscriberImpl watcher : channel.watchers) {
          watcher.memberJoined(userId);
          if (watcher.needsBaseline(userId)) {
            needBaseline.add(watcher);
          }
        }
        if (!needBaseline.isEmpty()) {
          UserRecord record;
          try {
            record = engine.store.get(userId);
          } catch (RuntimeException e) {
            removeMember(channel, userId); // with no baseline its watchers would never see it: undo
            retireIfUnused(channel);
            throw e;
          }
          for (SubscriberImpl watcher : needBaseline) {
            if (watcher.watcherUserId().equals(userId) || canSee(watcher.watcherUserId(), userId)) {
              watcher.memberBaseline(viewOf(watcher.watcherUserId(), record));
            } else {
              watcher.memberBaseline(UserPresence.unknown(userId));
            }
          }
        }
        return;
      }
    }
  }

  void leave(String channelId, String userId) {
    Channel channel = channels.get(channelId);
    if (channel == null) {
      return;
    }
    synchronized (channel) {
      if (!removeMember(channel, userId)) {
        return;
      }
      TypingBurst burst = channel.typing.get(userId);
      if (burst != null) {
        endBurst(burst, true);
      }
      retireIfUnused(channel);
    }
  }

  /** Under the channel's monitor: removes a member and its watchers' edges; whether it was one. */
  private boolean removeMember(Channel channel, String userId) {
    if (!channel.members.remove(userId)) {
      return false;
    }
    memberships.computeIfPresent(
        userId,
        (id, set) -> {
          set.remove(channel.id);
          return set.isEmpty() ? null : set;
        });
    for (SubscriberImpl watcher : channel.watchers) {
      watcher.memberLeft(userId);
    }
    return true;
  }

  /** Whether the user is a member of the channel on this node. */
  boolean isMember(String userId, String channelId) {
    Set<String> memberOf = memberships.get(userId);
    return memberOf != null && memberOf.contains(channelId);
  }

  /** Whether nothing is held: no channel, membership, watcher, interest or typing. For tests. */
  boolean isEmpty() {
    return channels.isEmpty()
        && memberships.isEmpty()
        && directWatchers.isEmpty()
        && interest.isEmpty()
        && typingByUser.isEmpty();
  }

  Set<String> members(String channelId) {
    Channel channel = channels.get(channelId);
    return channel == null ? Set.of() : Set.copyOf(channel.members);
  }

  private Channel channelFor(String channelId) {
    Channel channel = channels.get(channelId);
    return channel != null ? channel : channels.computeIfAbsent(channelId, Channel::new);
  }

  /** Under the channel's monitor. */
  private void retireIfUnused(Channel channel) {
    if (channel.isUnused()) {
      channel.retired = true;
      channels.remove(channel.id, channel);
    }
  }

  // ------------------------------------------------------------ typing

  /**
   * A keystroke. Continuing a burst takes only the channel's monitor; starting one also takes the
   * user lock, under which the connection closes and the user's mode changes, so a keystroke racing
   * a disconnect or a switch to invisible either comes first (and its burst is ended by them) or
   * sees them (and starts nothing).
   */
  boolean typing(DeviceSession session, String channelId) {
    if (!session.isOpen() || !isMember(session.user.userId, channelId)) {
      return false;
    }
    Channel channel = channels.get(channelId);
    if (channel != null) {
      synchronized (channel) {
        TypingBurst burst = channel.typing.get(session.user.userId);
        if (burst != null) {
          return continueBurst(burst, session);
        }
      }
    }
    return startBurst(session, channelId);
  }

  private boolean startBurst(DeviceSession session, String channelId) {
    UserEntry user = session.user;
    synchronized (user) {
      if (session.phase != DeviceSession.CONNECTED) {
        return false;
      }
      StatusMode mode = storedMode(user);
      user.mode = mode; // under the user lock: the store is the truth, also for a mode set elsewhere
      if (mode == StatusMode.INVISIBLE) {
        return true; // an invisible user's typing goes nowhere
      }
      while (true) {
        Channel channel = channelFor(channelId);
        synchronized (channel) {
          if (channel.retired) {
            continue;
          }
          if (!channel.members.contains(user.userId)) {
            retireIfUnused(channel);
            return false; // left the channel meanwhile
          }
          TypingBurst burst = channel.typing.get(user.userId);
          if (burst != null) {
            return continueBurst(burst, session); // another device of the user started it meanwhile
          }
          long now = engine.ticker.read();
          try {
            reserveTypingChannel(user.userId, channelId);
          } catch (LimitExceededException e) {
            retireIfUnused(channel); // a rejected keystroke leaves no channel behind
            throw e;
          }
          burst = new TypingBurst(this, channel, session, now);
          channel.typing.put(user.userId, burst);
          engine.wheel.schedule(burst, now + typingTimeoutNanos);
          fanoutTyping(channel, event(burst, TypingEvent.Kind.STARTED, now), true);
          return true;
        }
      }
    }
  }

  /** Under the channel's monitor: a keystroke in a burst that is on. */
  private boolean continueBurst(TypingBurst burst, DeviceSession session) {
    if (session.phase != DeviceSession.CONNECTED) {
      return false; // closed meanwhile; its close ends the bursts it typed last
    }
    if (session.user.mode == StatusMode.INVISIBLE) {
      endBurst(burst, true); // went invisible meanwhile
      return true;
    }
    long now = engine.ticker.read();
    burst.device = session;
    burst.lastSignal = now;
    if (now - burst.lastSent >= typingRefreshNanos) {
      if (storedMode(session.user) == StatusMode.INVISIBLE) {
        endBurst(burst, true); // went invisible through another node
        return true;
      }
      burst.lastSent = now;
      fanoutTyping(burst.channel, event(burst, TypingEvent.Kind.REFRESHED, now), true);
    }
    return true;
  }

  /**
   * The user's chosen status as the store has it, read when a burst starts or refreshes (not on
   * every keystroke): this node only learns of a mode set through another node from the store,
   * since what travels on the bus is what others see, and an invisible user looks merely offline.
   * If the store cannot be read, the mode this node last applied is used.
   */
  private StatusMode storedMode(UserEntry user) {
    try {
      return engine.store.get(user.userId).mode();
    } catch (RuntimeException e) {
      log.warn("reading the status of {} failed; using the last one applied here", Ids.shown(user.userId), e);
      return user.mode;
    }
  }

  private void reserveTypingChannel(String userId, String channelId) {
    boolean[] rejected = new boolean[1];
    int[] count = new int[1];
    typingByUser.compute(
        userId,
        (id, set) -> {
          Set<String> channelsTyped = set != null ? set : ConcurrentHashMap.newKeySet();
          if (channelsTyped.size() >= maxTypingChannels) {
            rejected[0] = true;
            count[0] = channelsTyped.size();
          } else {
            channelsTyped.add(channelId);
          }
          return channelsTyped;
        });
    if (rejected[0]) {
      throw new LimitExceededException(
          "user "
              + Ids.shown(userId)
              + " is already typing in "
              + count[0]
              + " channels; the limit (maxTypingChannelsPerUser) is "
              + maxTypingChannels,
          "maxTypingChannelsPerUser",
          maxTypingChannels);
    }
  }

  /** Ends the user's typing in a channel (stop or message sent). */
  void stopTyping(DeviceSession session, String channelId) {
    Channel channel = channels.get(channelId);
    if (channel == null) {
      return;
    }
    synchronized (channel) {
      TypingBurst burst = channel.typing.get(session.user.userId);
      if (burst != null) {
        endBurst(burst, true);
      }
    }
  }

  void typingTimer(TypingBurst burst, long now) {
    Channel channel = burst.channel;
    synchronized (channel) {
      if (burst.ended) {
        return;
      }
      if (now - burst.lastSignal >= typingTimeoutNanos) {
        endBurst(burst, true);
      } else {
        engine.wheel.schedule(burst, burst.lastSignal + typingTimeoutNanos);
      }
    }
  }

  /**
   * Ends every burst of a user (all of its connections if {@code session} is null, else only the
   * ones that connection typed last). Called under the user lock.
   */
  void endTypingOf(String userId, DeviceSession session) {
    Set<String> typed = typingByUser.get(userId);
    if (typed == null) {
      return;
    }
    for (String channelId : List.copyOf(typed)) {
      Channel channel = channels.get(channelId);
      if (channel == null) {
        continue;
      }
      synchronized (channel) {
        TypingBurst burst = channel.typing.get(userId);
        if (burst != null && (session == null || burst.device == session)) {
          endBurst(burst, true);
        }
      }
    }
  }

  /** Under the channel's monitor. */
  private void endBurst(TypingBurst burst, boolean announce) {
    Channel channel = burst.channel;
    burst.ended = true;
    channel.typing.remove(burst.userId, burst);
    engine.wheel.cancel(burst);
    typingByUser.computeIfPresent(
        burst.userId,
        (id, set) -> {
          set.remove(channel.id);
          return set.isEmpty() ? null : set;
        });
    if (announce) {
      fanoutTyping(channel, new TypingEvent(channel.id, burst.userId, TypingEvent.Kind.STOPPED, null), true);
    }
    retireIfUnused(channel);
  }

  private TypingEvent event(TypingBurst burst, TypingEvent.Kind kind, long now) {
    return new TypingEvent(burst.channel.id, burst.userId, kind, expiry(now));
  }

  private Instant expiry(long fromNanos) {
    long ahead = fromNanos + typingTimeoutNanos - engine.ticker.read();
    return Instant.ofEpochMilli(engine.clock.millis() + TimeUnit.NANOSECONDS.toMillis(ahead));
  }

  /** Sends a typing event to the channel's watchers here, never back to the typist. */
  private void fanoutTyping(Channel channel, TypingEvent event, boolean publish) {
    String key = null;
    for (SubscriberImpl watcher : channel.watchers) {
      if (!watcher.isWatcher(event.userId()) && canSeeOther(watcher.watcherUserId(), event.userId())) {
        if (key == null) {
          key = SubscriberImpl.typingKey(event);
        }
        watcher.offerTyping(event, key);
      }
    }
    if (publish) {
      engine.busPublishTyping(event);
    }
  }

  /** A typing event from another node. */
  void onRemoteTyping(TypingEvent event) {
    Channel channel = channels.get(event.channelId());
    if (channel != null) {
      fanoutTyping(channel, event, false);
    }
  }

  /** Who is typing in a channel now, as {@code watcher} may see it. */
  List<TypingEvent> typingSnapshot(String channelId, String watcher) {
    Channel channel = channels.get(channelId);
    if (channel == null) {
      return List.of();
    }
    List<TypingEvent> result = new ArrayList<>();
    synchronized (channel) {
      for (TypingBurst burst : channel.typing.values()) {
        if (!burst.userId.equals(watcher) && canSee(watcher, burst.userId)) {
          result.add(event(burst, TypingEvent.Kind.STARTED, burst.lastSignal));
        }
      }
    }
    return result;
  }

  // ------------------------------------------------------------ lifecycle and stats

  long subscriberCount() {
    return open.size();
  }

  void close() {
    if (ownedDelivery != null) {
      ownedDelivery.shutdown();
    }
  }
}
