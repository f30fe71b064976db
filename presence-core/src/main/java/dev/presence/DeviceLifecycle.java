package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.NodeFencedException;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Devices on this node, from connect to gone: connect (a new device, a takeover of the same device, or
 * a replacement past the device limit), heartbeats and client reports, disconnect into grace, and the
 * device timer that ends grace, expires a silent device or marks it idle.
 *
 * <p>Threads: connects, reports and disconnects run on the caller's thread; the device timer fires on
 * the timer thread and its work (which may write the store) runs on the store executor, as do
 * re-asserts and sweeps. Locks: the user lock ({@link UserEntry}'s monitor) guards every change of a user's
 * devices; under it this class may take a channel monitor (ending typing) and a subscriber monitor
 * (closing subscribers bound to a connection), in the order of {@link SubscriptionHub}. Heartbeats and
 * input on an active device take no lock (see {@link #refreshActivity}). A connection's listener is
 * told why it closed after the user lock is released ({@link #tellClosed}).
 */
final class DeviceLifecycle {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  /** How soon a timer retries a store write that failed. */
  private static final long STORE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** For {@link DeviceSession}, which forwards its typing and status calls. */
  final SubscriptionHub hub;
  final StatusControl status;
  final RunState run;

  private final Users users;
  private final Changes changes;
  private final EngineStats stats;
  private final GuardedListeners listeners;
  private final TimerWheel wheel;
  private final Ticker ticker;
  private final InstantSource clock;
  private final PresenceStore store;
  private final AggregationPolicy policy;
  private final String nodeId;
  private final long graceNanos;
  private final long ttlNanos;
  private final long idleNanos;
  private final int maxDevices;
  private final DeviceOverflow overflow;
  /** Runs timer work that may write the store, off the timer thread (inline for the in-memory store). */
  /** Called when the store refused a write of this node (fencing); set once by the engine. */
  private volatile Runnable onFenced = () -> {};
  private final Executor storeCalls;

  /** Connections closed under a user lock whose listeners are told once the lock is released. */
  private final ConcurrentLinkedQueue<DeviceSession> closedToTell = new ConcurrentLinkedQueue<>();
  /** Ticker time at the last tick; see {@link #coarseNow}. */
  private volatile long coarseNanos;

  DeviceLifecycle(
      EngineSettings settings,
      Users users,
      TimerWheel wheel,
      Changes changes,
      StatusControl status,
      SubscriptionHub hub,
      GuardedListeners listeners,
      EngineStats stats,
      RunState run) {
    this.users = users;
    this.wheel = wheel;
    this.changes = changes;
    this.status = status;
    this.hub = hub;
    this.listeners = listeners;
    this.stats = stats;
    this.run = run;
    this.ticker = settings.ticker();
    this.clock = settings.clock();
    this.store = settings.store();
    this.policy = settings.policy();
    this.nodeId = settings.nodeId();
    this.graceNanos = settings.graceNanos();
    this.ttlNanos = settings.ttlNanos();
    this.idleNanos = settings.idleNanos();
    this.maxDevices = settings.maxDevicesPerUser();
    this.overflow = settings.deviceOverflow();
    this.coarseNanos = ticker.read();
    this.storeCalls = settings.storeCalls();
  }

  // ---- connect

  /** {@link Presence#connect}, ids already checked. */
  DeviceSession connect(String userId, String deviceId, DeviceInfo info, ConnectionListener listener) {
    try {
      return users.withLiveEntry(userId, entry -> connectLocked(entry, deviceId, info, listener));
    } finally {
      tellClosed();
    }
  }

  private DeviceSession connectLocked(
      UserEntry entry, String deviceId, DeviceInfo info, ConnectionListener listener) {
    run.checkOpen();
    long now = ticker.read();
    DeviceSession existing = entry.find(deviceId);
    DeviceSession session = new DeviceSession(this, entry, deviceId, info, now, listener);
    if (existing != null) {
      takeOver(entry, existing, session);
    } else {
      addDevice(entry, session);
    }
    stats.connects.increment();
    stats.devicesConnected.increment();
    wheel.schedule(session, nextDeadline(session));
    return session;
  }

  /**
   * A new device of the user: recorded in the store, which enforces the device limit across nodes.
   * Past the limit, {@link DeviceOverflow#REPLACE_LEAST_RECENTLY_ACTIVE} replaces a device of this
   * node in the same store write, so watchers see no flicker.
   */
  private void addDevice(UserEntry entry, DeviceSession session) {
    DeviceSession victim = null;
    if (entry.devices.length >= maxDevices) {
      if (overflow == DeviceOverflow.REJECT) {
        throw UserRecord.tooManyDevices(entry.userId, entry.devices.length, maxDevices);
      }
      victim = leastRecentlyActive(entry);
    }
    boolean absorbs = entry.allInGrace();
    StoreUpdate update;
    try {
      update = claim(entry, session, DeviceActivity.ACTIVE, victim);
    } catch (LimitExceededException full) {
      // Full because of devices on other nodes: make room here, if this node holds one.
      if (victim != null || overflow == DeviceOverflow.REJECT || entry.devices.length == 0) {
        throw full;
      }
      victim = leastRecentlyActive(entry);
      update = claim(entry, session, DeviceActivity.ACTIVE, victim);
    }
    session.recorded = DeviceActivity.ACTIVE;
    if (victim != null) {
      replaced(entry, victim);
    }
    entry.add(session);
    if (absorbs) {
      stats.reconnectsAbsorbed.increment();
    }
    changes.applied(entry, update);
  }

  /** The device of this node to replace: one in grace (disconnected longest), else the oldest input. */
  private static DeviceSession leastRecentlyActive(UserEntry entry) {
    DeviceSession victim = null;
    for (DeviceSession device : entry.devices) {
      if (victim == null) {
        victim = device;
      } else if ((device.phase == DeviceSession.GRACE) != (victim.phase == DeviceSession.GRACE)) {
        victim = device.phase == DeviceSession.GRACE ? device : victim;
      } else if (device.phase == DeviceSession.GRACE
          ? device.disconnectedAt - victim.disconnectedAt < 0
          : device.lastActivity - victim.lastActivity < 0) {
        victim = device;
      }
    }
    return victim;
  }

  /** Under the user lock: a device the store already dropped to make room for a new one. */
  private void replaced(UserEntry entry, DeviceSession victim) {
    boolean wasConnected = victim.phase == DeviceSession.CONNECTED;
    if (wasConnected) {
      stats.devicesConnected.decrement();
    } else {
      stats.devicesInGrace.decrement();
    }
    victim.phase = DeviceSession.CLOSED;
    wheel.cancel(victim);
    entry.remove(victim);
    if (wasConnected) {
      connectionClosed(victim, CloseReason.REPLACED);
    }
  }

  /**
   * The same device connects again, from grace or over an older socket: the new connection inherits
   * the device's activity, so nothing changes that others see. Any store write happens before local
   * state changes, so a failed write leaves the old connection exactly as it was.
   */
  private void takeOver(UserEntry entry, DeviceSession old, DeviceSession session) {
    long now = ticker.read();
    session.lastActivity = old.lastActivity;
    session.clientIdle = old.clientIdle;
    session.hidden = old.hidden;
    session.statusTokens = old.statusTokens;
    // Not yet visible to other threads, so no handshake with activity() is needed here.
    session.idle = session.clientIdle || session.hidden || now - session.lastActivity >= idleNanos;
    DeviceActivity activity = session.idle ? DeviceActivity.IDLE : DeviceActivity.ACTIVE;
    boolean fromGrace = old.phase == DeviceSession.GRACE;
    StoreUpdate update = null;
    if (fromGrace || activity != old.recorded) {
      // From grace, the device may have connected to another node meanwhile, which now holds its
      // record and would remove it at the end of its own grace: this write claims it back. The
      // activity is normally unchanged, so others see nothing.
      update = claim(entry, session, activity, null);
    }
    session.recorded = activity;
    if (fromGrace) {
      stats.reconnectsAbsorbed.increment();
      stats.devicesInGrace.decrement();
    } else {
      stats.devicesConnected.decrement();
    }
    old.phase = DeviceSession.CLOSED;
    wheel.cancel(old);
    if (!fromGrace) {
      connectionClosed(old, CloseReason.TAKEN_OVER);
    }
    entry.replace(old, session);
    if (update != null) {
      changes.applied(entry, update);
    }
  }

  /**
   * Records a connect in the store, which enforces the device limit across nodes before any change
   * ({@link LimitExceededException}); {@code evicting} is a device of this node to drop in the same
   * write, or null.
   */
  private StoreUpdate claim(
      UserEntry entry, DeviceSession session, DeviceActivity activity, DeviceSession evicting) {
    long now = clock.millis();
    return store.apply(
        entry.userId,
        new StoreMutation.PutDevice(
            new DeviceRecord(session.deviceId, nodeId, activity, session.info.platform(), now),
            maxDevices,
            true,
            now,
            evicting == null ? null : evicting.deviceId),
        policy);
  }

  // ---- heartbeats and client reports

  /**
   * The ticker time as of the last timer tick (at most one tick old), for heartbeats and input:
   * reading the real ticker costs more than the rest of a heartbeat, and deadlines are only checked
   * on ticks anyway. Never earlier than the session's own last heartbeat, so a stalled timer thread
   * cannot move a device's timestamps backwards.
   */
  long coarseNow(DeviceSession session) {
    long coarse = coarseNanos;
    long last = session.lastHeartbeat;
    return coarse - last > 0 ? coarse : last;
  }

  /** The timer ticked at {@code now}: heartbeats and input read this from now on. */
  void ticked(long now) {
    coarseNanos = now;
  }

  /** Input on a device: a timestamp write unless the device must leave idle. */
  boolean activity(DeviceSession session) {
    if (session.phase != DeviceSession.CONNECTED || run.closed) {
      return false;
    }
    long now = coarseNow(session);
    session.lastActivity = now;
    session.lastHeartbeat = now;
    if (!session.idle) {
      return true;
    }
    return signal(session, DeviceSession.Signal.ACTIVE);
  }

  /** A client report that may change the device's activity; under the user lock. */
  boolean signal(DeviceSession session, DeviceSession.Signal signal) {
    UserEntry entry = session.user;
    synchronized (entry) {
      if (session.phase != DeviceSession.CONNECTED || run.closed) {
        return false;
      }
      long now = ticker.read();
      switch (signal) {
        case IDLE -> session.clientIdle = true;
        case ACTIVE -> {
          session.clientIdle = false;
          session.lastActivity = now;
        }
        case HIDDEN -> session.hidden = true;
        case VISIBLE -> {
          session.hidden = false;
          session.lastActivity = now;
        }
      }
      session.lastHeartbeat = now;
      refreshActivity(session, now);
      wheel.schedule(session, nextDeadline(session));
      return true;
    }
  }

  /**
   * Decides whether a connected device is idle and records a change in the store. Under the user
   * lock. Pairs with the lock-free {@link #activity(DeviceSession)}: it publishes {@code idle} first
   * and then re-reads {@code lastActivity}, while activity writes {@code lastActivity} first and then
   * reads {@code idle}, so at least one of them sees the other and an input is never lost.
   */
  private void refreshActivity(DeviceSession session, long now) {
    boolean idle =
        session.clientIdle || session.hidden || now - session.lastActivity >= idleNanos;
    if (idle && !session.idle) {
      session.idle = true;
      if (!session.clientIdle && !session.hidden && now - session.lastActivity < idleNanos) {
        session.idle = false;
        idle = false;
      }
    } else if (!idle) {
      session.idle = false;
    }
    DeviceActivity activity = idle ? DeviceActivity.IDLE : DeviceActivity.ACTIVE;
    if (activity != session.recorded) {
      // Recorded only once the store took it, so a failed write is retried by the next check.
      StoreUpdate update =
          store.apply(session.user.userId, putDevice(session, activity, clock.millis()), policy);
      session.recorded = activity;
      changes.applied(session.user, update);
    }
  }

  private long nextDeadline(DeviceSession session) {
    long deadline = session.lastHeartbeat + ttlNanos;
    if (!session.idle) {
      deadline = Math.min(deadline, session.lastActivity + idleNanos);
    }
    return deadline;
  }

  private StoreMutation.PutDevice putDevice(DeviceSession session, DeviceActivity activity, long atMillis) {
    return new StoreMutation.PutDevice(
        new DeviceRecord(session.deviceId, nodeId, activity, session.info.platform(), atMillis),
        maxDevices,
        false,
        atMillis);
  }

  // ---- disconnect and the device timer

  boolean disconnect(DeviceSession session) {
    boolean done = disconnectLocked(session);
    tellClosed();
    return done;
  }

  private boolean disconnectLocked(DeviceSession session) {
    UserEntry entry = session.user;
    synchronized (entry) {
      if (session.phase != DeviceSession.CONNECTED || run.closed) {
        return false;
      }
      session.phase = DeviceSession.GRACE;
      session.disconnectedAt = ticker.read();
      session.disconnectedAtMillis = clock.millis();
      stats.devicesConnected.decrement();
      stats.devicesInGrace.increment();
      stats.disconnects.increment();
      wheel.schedule(session, session.disconnectedAt + graceNanos);
      connectionClosed(session, CloseReason.DISCONNECTED);
      return true;
    }
  }

  /**
   * A device's timer fired on the timer thread. What it does may write the store, so it runs on the
   * store executor: a slow store delays neither other timers nor subscriber flushes.
   */
  void timerFired(DeviceSession session) {
    try {
      storeCalls.execute(() -> deviceTimer(session, ticker.read()));
    } catch (RejectedExecutionException e) {
      if (!run.closed) {
        log.warn("the store executor rejected the timer work of {}; retrying in 1 s", session, e);
        wheel.schedule(session, ticker.read() + STORE_RETRY_NANOS);
      }
    }
  }

  /** A device's timer work: grace over, TTL passed, idle reached, or just a deadline that moved. */
  void deviceTimer(DeviceSession session, long now) {
    deviceTimerLocked(session, now);
    tellClosed();
  }

  private void deviceTimerLocked(DeviceSession session, long now) {
    UserEntry entry = session.user;
    synchronized (entry) {
      try {
        if (session.phase == DeviceSession.GRACE) {
          if (now - session.disconnectedAt >= graceNanos) {
            removeDevice(entry, session, session.disconnectedAtMillis);
          } else {
            wheel.schedule(session, session.disconnectedAt + graceNanos);
          }
        } else if (session.phase == DeviceSession.CONNECTED) {
          long silentFor = now - session.lastHeartbeat;
          if (silentFor >= ttlNanos) {
            stats.expiries.increment();
            long lastHeard = clock.millis() - TimeUnit.NANOSECONDS.toMillis(silentFor);
            removeDevice(entry, session, lastHeard);
          } else {
            refreshActivity(session, now);
            wheel.schedule(session, nextDeadline(session));
          }
        }
      } catch (RuntimeException e) {
        // A store outage, or a failing policy: keep the timer alive and check again later.
        stats.storeFailures.increment();
        if (e instanceof NodeFencedException) {
          onFenced.run(); // this node's lease ran out or was claimed: renew (or re-join) now
        }
        log.warn("timer work for {} failed; retrying in 1 s", session, e);
        wheel.schedule(session, now + STORE_RETRY_NANOS);
      } finally {
        users.retireIfUnused(entry);
      }
    }
  }

  private void removeDevice(UserEntry entry, DeviceSession session, long lastSeenMillis) {
    StoreUpdate update =
        store.apply(
            entry.userId, new StoreMutation.RemoveDevice(session.deviceId, nodeId, lastSeenMillis), policy);
    boolean wasConnected = session.phase == DeviceSession.CONNECTED;
    if (wasConnected) {
      stats.devicesConnected.decrement();
    } else {
      stats.devicesInGrace.decrement();
    }
    session.phase = DeviceSession.CLOSED;
    wheel.cancel(session);
    entry.remove(session);
    if (wasConnected) {
      connectionClosed(session, CloseReason.EXPIRED);
    }
    changes.applied(entry, update);
  }

  // ---- many servers: sweeps and re-assert

  /** Wires what happens when the store refuses a write of this node: an early lease renewal. */
  void onFenced(Runnable renewSoon) {
    this.onFenced = renewSoon;
  }

  /**
   * A lease sweep (of a dead node, or of this node's previous life) changed a user's record: commit
   * it like a write of this node, under the user's lock if this node holds the user.
   */
  void swept(StoreUpdate update) {
    UserEntry entry = users.get(update.current().userId());
    if (entry != null) {
      synchronized (entry) {
        UserRecord last = entry.lastRecord;
        // The sweep's change is told after the store made it: a write of this node may have been
        // committed since. Only a record newer than the last one applied may move local state.
        if (!entry.retired && (last == null || update.current().version() > last.version())) {
          changes.applied(entry, update);
          return;
        }
      }
    }
    changes.emit(update);
  }

  /**
   * This node's lease was lost (claimed while it was paused or cut off, or lost with the store's
   * data) and is held again: puts back, user by user, the chosen status this node knows and then
   * every device it holds (connected or in grace), as updates that claim nothing. A device that
   * moved to another node meanwhile stays there, and this node's stale connection to it closes
   * ({@link CloseReason#TAKEN_OVER}).
   *
   * @return whether every user was re-asserted; if not, the caller tries again later
   */
  boolean reassert() {
    boolean complete = true;
    for (UserEntry entry : users.all()) {
      synchronized (entry) {
        if (entry.retired) {
          continue;
        }
        try {
          reassertLocked(entry);
        } catch (RuntimeException e) {
          complete = false;
          stats.storeFailures.increment();
          log.warn("re-asserting user {} failed; trying again at the next renewal", Ids.shown(entry.userId), e);
        } finally {
          users.retireIfUnused(entry);
        }
      }
    }
    tellClosed();
    return complete;
  }

  private void reassertLocked(UserEntry entry) {
    UserRecord known = entry.statusRecord;
    if (known != null && known.statusSetAtMillis() != 0) {
      // Status first, so an invisible user is invisible again before a device could show her.
      StoreMutation status =
          new StoreMutation.SetStatus(
              known.mode(), known.customText(), known.statusExpiresAtMillis(), known.statusSetAtMillis(), true);
      changes.applied(entry, store.apply(entry.userId, status, policy));
    }
    for (DeviceSession session : entry.devices) {
      if (session.phase == DeviceSession.CLOSED) {
        continue;
      }
      DeviceActivity activity = session.recorded != null ? session.recorded : DeviceActivity.ACTIVE;
      StoreUpdate update;
      try {
        update = store.apply(entry.userId, putDevice(session, activity, clock.millis()), policy);
      } catch (LimitExceededException full) {
        // Other nodes filled the user's devices meanwhile: this connection cannot stay.
        dropStale(entry, session, CloseReason.REPLACED);
        if (entry.devices.length == 0) {
          stats.counted(entry.countedState, PresenceState.OFFLINE);
          entry.countedState = PresenceState.OFFLINE;
        }
        continue;
      }
      DeviceRecord held = update.current().device(session.deviceId);
      if (held == null || !held.nodeId().equals(nodeId)) {
        dropStale(entry, session, CloseReason.TAKEN_OVER); // reconnected through another node meanwhile
      }
      changes.applied(entry, update);
    }
  }

  /** Under the user lock: a device this node holds that the store gives to no one here any more. */
  private void dropStale(UserEntry entry, DeviceSession session, CloseReason reason) {
    if (session.phase == DeviceSession.CONNECTED) {
      stats.devicesConnected.decrement();
      connectionClosed(session, reason);
    } else {
      stats.devicesInGrace.decrement();
    }
    session.phase = DeviceSession.CLOSED;
    wheel.cancel(session);
    entry.remove(session);
  }

  // ---- closing connections

  /**
   * The engine is closing: every connection closes ({@link CloseReason#ENGINE_CLOSED}), timers stop,
   * and the gauges drop to zero. The devices stay in the store. Listeners are told by {@link
   * #tellClosed}.
   */
  void closeAll() {
    for (UserEntry entry : users.all()) {
      synchronized (entry) {
        for (DeviceSession session : entry.devices) {
          if (session.phase == DeviceSession.CONNECTED) {
            stats.devicesConnected.decrement();
            connectionClosed(session, CloseReason.ENGINE_CLOSED);
          } else if (session.phase == DeviceSession.GRACE) {
            stats.devicesInGrace.decrement();
          }
          session.phase = DeviceSession.CLOSED;
          wheel.cancel(session);
        }
        stats.counted(entry.countedState, PresenceState.OFFLINE);
        entry.countedState = PresenceState.OFFLINE;
      }
    }
  }

  /**
   * Under the user lock, once a connection stops being open: its subscribers and typing end, and its
   * listener is told once the lock is released ({@link #tellClosed}).
   */
  private void connectionClosed(DeviceSession session, CloseReason reason) {
    session.closeReason = reason;
    List<RealSubscriber> bound = session.subscribers;
    session.subscribers = null;
    if (bound != null) {
      for (RealSubscriber subscriber : bound) {
        subscriber.closeBy(reason);
      }
    }
    hub.typing.endTypingOf(session.user.userId, session);
    if (session.listener != null) {
      closedToTell.add(session);
    }
  }

  /** Tells the listeners of connections closed meanwhile; called with no lock held. */
  void tellClosed() {
    DeviceSession session;
    while ((session = closedToTell.poll()) != null) {
      listeners.onClosed(session.listener, session, session.closeReason);
    }
  }
}
