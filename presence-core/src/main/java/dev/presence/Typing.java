package dev.presence;

import dev.presence.spi.PresenceStore;
import dev.presence.spi.UserRecord;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typing indicators: one {@link TypingBurst} per channel and user, from the first keystroke until
 * stop, message sent, the typing connection closing, the user turning invisible, or the timeout after
 * the last keystroke. Receivers get STARTED, REFRESHED only when the expiry they hold would otherwise
 * lapse before a later keystroke's refresh could reach them, and STOPPED.
 *
 * <p>Each start or refresh at ticker time {@code t} tells receivers to drop the indicator at {@code t
 * + timeout + refresh interval + margin}, where the margin ({@link #marginNanos}) covers the delivery
 * of a later refresh (flush interval, one timer tick, bus and scheduling slack). A keystroke at
 * {@code k} sends a refresh only when that expiry is less than {@code timeout + margin} ahead: if the
 * typist stopped at {@code k}, the burst would last until {@code k + timeout}, and a keystroke just
 * before then needs the margin to get its refresh across. So the indicator never lapses at a
 * receiver during a burst, a steady burst refreshes once per refresh interval, and after a crash (no
 * STOPPED ever comes) a stale indicator goes within {@code timeout + refresh interval + margin}.
 *
 * <p>Locks: a burst is guarded by its channel's monitor. Starting one also takes the user lock first
 * (user lock, then channel monitor), because disconnects and mode changes happen under it; ending the
 * bursts of a user runs under her user lock and takes each channel's monitor. Keystrokes run on the
 * caller's thread, the burst timer on the timer thread; sinks are reached through the subscribers'
 * queues, never called under these locks.
 */
final class Typing {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  /**
   * Part of the margin a refresh may take to arrive beyond the flush interval and a tick: a bus hop
   * (Redis pub/sub p99 is tens of ms here), a busy delivery executor, a GC pause.
   */
  static final long DELIVERY_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private final Channels channels;
  private final Visibility visibility;
  /** Every watcher may see every typist ({@link Visibility#everyone}): fanout asks no policy. */
  private final boolean everyone;
  private final PresenceStore store;
  private final GuardedBus bus;
  private final TimerWheel wheel;
  private final Ticker ticker;
  private final InstantSource clock;
  private final long timeoutNanos;
  /** Delivery latency a refresh is allowed: flush interval, one tick and {@link #DELIVERY_SLACK_NANOS}. */
  private final long marginNanos;
  /** How far ahead of its sending each start or refresh puts its expiry. */
  private final long expiryNanos;
  private final int maxChannels;
  private final LongAdder limitRejections;
  /** The engine's count of entries handed to sinks: typing sent as calls of their own, counted per fanout. */
  private final LongAdder deliveries;
  /** User id → channels it is typing in now. */
  private final ConcurrentHashMap<String, Set<String>> typingByUser = new ConcurrentHashMap<>();

  Typing(
      Channels channels,
      Visibility visibility,
      GuardedBus bus,
      TimerWheel wheel,
      EngineSettings settings,
      LongAdder limitRejections,
      LongAdder deliveries) {
    this.channels = channels;
    this.visibility = visibility;
    this.everyone = visibility.everyone();
    this.store = settings.store();
    this.bus = bus;
    this.wheel = wheel;
    this.ticker = settings.ticker();
    this.clock = settings.clock();
    this.timeoutNanos = settings.typingTimeoutNanos();
    this.marginNanos = settings.flushNanos() + settings.tickNanos() + DELIVERY_SLACK_NANOS;
    this.expiryNanos = timeoutNanos + settings.typingRefreshNanos() + marginNanos;
    this.maxChannels = settings.maxTypingChannelsPerUser();
    this.limitRejections = limitRejections;
    this.deliveries = deliveries;
  }

  // ---- keystrokes

  /**
   * A keystroke. Continuing a burst takes only the channel's monitor; starting one also takes the
   * user lock, under which the connection closes and the user's mode changes, so a keystroke racing
   * a disconnect or a switch to invisible either comes first (and its burst is ended by them) or
   * sees them (and starts nothing).
   */
  boolean typing(DeviceSession session, String channelId) {
    // The caller (DeviceSession.typing) refused non-members already, before counting the keystroke as input.
    if (!session.isOpen()) {
      return false;
    }
    Channel channel = channels.get(channelId);
    if (channel != null) {
      synchronized (channel) {
        TypingBurst burst = channel.typing.get(session.user.userId);
        if (burst != null && !refreshDue(burst, ticker.read())) {
          return continueBurst(burst, session, null);
        }
      }
      // A refresh re-reads the user's mode, with no lock held (the store may be remote).
      StatusMode stored = storedMode(session.user);
      synchronized (channel) {
        TypingBurst burst = channel.typing.get(session.user.userId);
        if (burst != null) {
          return continueBurst(burst, session, stored);
        }
      }
    }
    return startBurst(session, channelId, readRecord(session.user));
  }

  /**
   * Whether the expiry receivers hold would lapse before a keystroke that could still come in this
   * burst (up to the timeout from {@code now}) got its refresh to them.
   */
  private boolean refreshDue(TypingBurst burst, long now) {
    return burst.receiverExpiry - now < timeoutNanos + marginNanos;
  }

  private boolean startBurst(DeviceSession session, String channelId, UserRecord read) {
    UserEntry user = session.user;
    synchronized (user) {
      if (session.phase != DeviceSession.CONNECTED) {
        return false;
      }
      StatusMode mode = freshestMode(user, read);
      user.mode(mode); // under the user lock: also a mode set through another node counts
      if (mode == StatusMode.INVISIBLE) {
        return true; // an invisible user's typing goes nowhere
      }
      while (true) {
        Channel channel = channels.channelFor(channelId);
        synchronized (channel) {
          if (channel.retired) {
            continue;
          }
          if (!channel.members.contains(user.userId)) {
            channels.retireIfUnused(channel);
            return false; // left the channel meanwhile
          }
          TypingBurst burst = channel.typing.get(user.userId);
          if (burst != null) {
            return continueBurst(burst, session, null); // another device of the user started it meanwhile
          }
          long now = ticker.read();
          try {
            reserveTypingChannel(user.userId, channelId);
          } catch (LimitExceededException e) {
            channels.retireIfUnused(channel); // a rejected keystroke leaves no channel behind
            throw e;
          }
          burst = new TypingBurst(this, channel, session, now);
          channel.typing.put(user.userId, burst);
          wheel.schedule(burst, now + timeoutNanos);
          fanout(channel, event(burst, TypingEvent.Kind.STARTED, now), true);
          return true;
        }
      }
    }
  }

  /**
   * Under the channel's monitor: a keystroke in a burst that is on. {@code stored} is the mode just
   * read from the store when a refresh is due, or null.
   */
  private boolean continueBurst(TypingBurst burst, DeviceSession session, StatusMode stored) {
    if (session.phase != DeviceSession.CONNECTED) {
      return false; // closed meanwhile; its close ends the bursts it typed last
    }
    if (session.user.mode() == StatusMode.INVISIBLE) {
      endBurst(burst); // went invisible meanwhile
      return true;
    }
    long now = ticker.read();
    burst.device = session;
    burst.lastSignal = now;
    if (refreshDue(burst, now) && stored != null) {
      if (stored == StatusMode.INVISIBLE) {
        endBurst(burst); // went invisible through another node
        return true;
      }
      fanout(burst.channel, event(burst, TypingEvent.Kind.REFRESHED, now), true);
    }
    return true;
  }

  /**
   * The user's record as the store has it, read with no lock held when a burst starts, or null if it
   * cannot be read: this node only learns of a mode set through another node from the store, since
   * what travels on the bus is what others see, and an invisible user looks merely offline.
   */
  private UserRecord readRecord(UserEntry user) {
    try {
      return store.get(user.userId);
    } catch (RuntimeException e) {
      log.warn("reading the status of {} failed; using the last one applied here", Ids.shown(user.userId), e);
      return null;
    }
  }

  /** The mode of a record read when a refresh is due, or the mode this node last applied. */
  private StatusMode storedMode(UserEntry user) {
    UserRecord read = readRecord(user);
    return read != null ? read.mode() : user.mode();
  }

  /**
   * Under the user lock: the mode of the newer chosen status ({@link UserEntry#newerStatus}) of the
   * record read from the store before the lock and the newest this node knows; if neither is newer,
   * invisibility wins, failing closed. After the store lost its data a record nobody re-asserted yet says "AUTO, never
   * set", so an invisible user's known status still wins over it.
   */
  private static StatusMode freshestMode(UserEntry user, UserRecord read) {
    if (read == null) {
      return user.mode();
    }
    UserRecord known = user.statusRecord;
    int newer = known == null ? 1 : UserEntry.newerStatus(read, known);
    if (newer != 0) {
      return newer > 0 ? read.mode() : known.mode();
    }
    return known.mode() == StatusMode.INVISIBLE || read.mode() == StatusMode.INVISIBLE
        ? StatusMode.INVISIBLE
        : known.mode();
  }

  private void reserveTypingChannel(String userId, String channelId) {
    boolean[] rejected = new boolean[1];
    int[] count = new int[1];
    typingByUser.compute(
        userId,
        (id, set) -> {
          Set<String> channelsTyped = set != null ? set : ConcurrentHashMap.newKeySet();
          if (channelsTyped.size() >= maxChannels) {
            rejected[0] = true;
            count[0] = channelsTyped.size();
          } else {
            channelsTyped.add(channelId);
          }
          return channelsTyped;
        });
    if (rejected[0]) {
      limitRejections.increment();
      throw new LimitExceededException(
          "user "
              + Ids.shown(userId)
              + " is already typing in "
              + count[0]
              + " channels; the limit (maxTypingChannelsPerUser) is "
              + maxChannels,
          "maxTypingChannelsPerUser",
          maxChannels);
    }
  }

  // ---- ending bursts

  /** Ends the user's typing in a channel (stop or message sent). */
  void stopTyping(DeviceSession session, String channelId) {
    Channel channel = channels.get(channelId);
    if (channel == null) {
      return;
    }
    synchronized (channel) {
      TypingBurst burst = channel.typing.get(session.user.userId);
      if (burst != null) {
        endBurst(burst);
      }
    }
  }

  /** A burst's timer fired: ends it if the timeout passed since the last keystroke. Timer thread. */
  void timer(TypingBurst burst, long now) {
    Channel channel = burst.channel;
    synchronized (channel) {
      if (burst.ended) {
        return;
      }
      if (now - burst.lastSignal >= timeoutNanos) {
        endBurst(burst);
      } else {
        wheel.schedule(burst, burst.lastSignal + timeoutNanos);
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
          endBurst(burst);
        }
      }
    }
  }

  /** Under the channel's monitor: ends a burst and tells its receivers STOPPED. */
  void endBurst(TypingBurst burst) {
    Channel channel = burst.channel;
    burst.ended = true;
    channel.typing.remove(burst.userId, burst);
    wheel.cancel(burst);
    typingByUser.computeIfPresent(
        burst.userId,
        (id, set) -> {
          set.remove(channel.id);
          return set.isEmpty() ? null : set;
        });
    fanout(channel, new TypingEvent(channel.id, burst.userId, TypingEvent.Kind.STOPPED, null), true);
    channels.retireIfUnused(channel);
  }

  // ---- receivers

  /** Under the channel's monitor: a start or refresh sent now, moving the expiry receivers hold. */
  private TypingEvent event(TypingBurst burst, TypingEvent.Kind kind, long now) {
    burst.receiverExpiry = now + expiryNanos;
    return new TypingEvent(burst.channel.id, burst.userId, kind, expiry(burst.receiverExpiry));
  }

  private Instant expiry(long atNanos) {
    long ahead = atNanos - ticker.read();
    return Instant.ofEpochMilli(clock.millis() + TimeUnit.NANOSECONDS.toMillis(ahead));
  }

  /**
   * Sends a typing event to the channel's watchers here, never back to the typist. A local event
   * ({@code publish}) is sent under the channel's monitor, which its watchers change under: each of
   * them watches the channel for sure, and they are walked as an array; a remote one is not.
   */
  private void fanout(Channel channel, TypingEvent event, boolean publish) {
    RealSubscriber[] array = channel.watcherArray(publish);
    // Calls of their own handed to the executor, counted once here, after the fanout: on a pool a
    // sink may get the event a few microseconds before the statistics count it.
    int handed = 0;
    try {
      if (array == null || array.length > 0) {
        String key = Outbox.typingKey(event);
        List<TypingEvent> alone = List.of(event); // immutable: one batch shared by every receiver
        if (array != null) {
          for (RealSubscriber watcher : array) {
            if (offerTo(watcher, event, key, alone, publish)) {
              handed++;
            }
          }
        } else {
          for (RealSubscriber watcher : channel.watchers) {
            if (offerTo(watcher, event, key, alone, false)) {
              handed++;
            }
          }
        }
      }
    } finally {
      if (handed > 0) {
        deliveries.add(handed);
      }
    }
    if (publish) {
      bus.publishTyping(event);
    }
  }

  private boolean offerTo(RealSubscriber watcher, TypingEvent event, String key, List<TypingEvent> alone, boolean watching) {
    String typist = event.userId();
    return !watcher.isWatcher(typist)
        && (everyone || visibility.canSeeOther(watcher.watcherUserId(), typist))
        && watcher.offerTyping(event, key, alone, watching);
  }

  /** A typing event from another node. */
  void onRemote(TypingEvent event) {
    Channel channel = channels.get(event.channelId());
    if (channel != null) {
      fanout(channel, event, false);
    }
  }

  /** Who is typing in a channel now, as {@code watcher} may see it. */
  List<TypingEvent> snapshot(String channelId, String watcher) {
    Channel channel = channels.get(channelId);
    if (channel == null) {
      return List.of();
    }
    List<TypingEvent> result = new ArrayList<>();
    synchronized (channel) {
      for (TypingBurst burst : channel.typing.values()) {
        if (!burst.userId.equals(watcher) && visibility.canSee(watcher, burst.userId)) {
          // The expiry the other receivers hold: the next refresh comes before it, as for them.
          result.add(new TypingEvent(channelId, burst.userId, TypingEvent.Kind.STARTED, expiry(burst.receiverExpiry)));
        }
      }
    }
    return result;
  }

  /** Whether nobody types here. For tests. */
  boolean isEmpty() {
    return typingByUser.isEmpty();
  }
}
