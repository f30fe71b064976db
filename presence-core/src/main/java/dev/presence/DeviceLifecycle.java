package dev.presence;

import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
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
 * the timer thread and its work runs on the store executor, as do re-asserts and sweeps. Store
 * writes are queued per user in {@link UserWrites} and never waited for under a lock; local state
 * changes at once and each write commits through {@link Changes} when it lands. Locks: the user lock ({@link UserEntry}'s monitor) guards every change of a user's
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
  private final String nodeId;
  private final long graceNanos;
  private final long ttlNanos;
  private final long idleNanos;
  private final int maxDevices;
  /** Runs timer work off the timer thread (inline for the in-memory store). */
  private final Executor storeCalls;
  /** Every store write, queued per user. */
  final UserWrites writes;
  /** Connects: new devices, takeovers, replacements, and their claims. */
  private final DeviceConnects connects;

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
      UserWrites writes,
      SubscriptionHub hub,
      GuardedListeners listeners,
      EngineStats stats,
      RunState run) {
    this.users = users;
    this.wheel = wheel;
    this.changes = changes;
    this.status = status;
    this.writes = writes;
    this.hub = hub;
    this.listeners = listeners;
    this.stats = stats;
    this.run = run;
    this.ticker = settings.ticker();
    this.clock = settings.clock();
    this.nodeId = settings.nodeId();
    this.graceNanos = settings.graceNanos();
    this.ttlNanos = settings.ttlNanos();
    this.idleNanos = settings.idleNanos();
    this.maxDevices = settings.maxDevicesPerUser();
    this.coarseNanos = ticker.read();
    this.storeCalls = settings.storeCalls();
    this.connects = new DeviceConnects(this, settings, users, wheel, changes, writes, stats);
  }

  // ---- connect

  /** {@link Presence#connect}, ids already checked: see {@link DeviceConnects#connect}. */
  DeviceSession connect(String userId, String deviceId, DeviceInfo info, ConnectionListener listener) {
    return connects.connect(userId, deviceId, info, listener);
  }

  /** Commits a write that landed; a refusal is only logged (by {@link UserWrites}). */
  private final StoreWrite.Handler commit = (entry, write, update) -> applied(entry, update);

  private void applied(UserEntry entry, StoreUpdate update) {
    changes.applied(entry, update);
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
        case IDLE -> session.clientIdle(true);
        case ACTIVE -> {
          session.clientIdle(false);
          session.lastActivity = now;
        }
        case HIDDEN -> session.hidden(true);
        case VISIBLE -> {
          session.hidden(false);
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
        session.clientIdle() || session.hidden() || now - session.lastActivity >= idleNanos;
    if (idle && !session.idle) {
      session.idle = true;
      if (!session.clientIdle() && !session.hidden() && now - session.lastActivity < idleNanos) {
        session.idle = false;
        idle = false;
      }
    } else if (!idle) {
      session.idle = false;
    }
    DeviceActivity activity = idle ? DeviceActivity.IDLE : DeviceActivity.ACTIVE;
    if (activity != session.recorded()) {
      // Queued: a write that fails is retried in order by the user's write queue.
      session.recorded(activity);
      writes.enqueue(session.user, new StoreWrite(session, putDevice(session, activity, clock.millis()), commit));
    }
  }

  long nextDeadline(DeviceSession session) {
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
      long at = ticker.read();
      session.closed(new CloseStamp(CloseReason.DISCONNECTED, at, clock.millis()));
      stats.devicesConnected.decrement();
      stats.devicesInGrace.increment();
      stats.disconnects.increment();
      wheel.schedule(session, at + graceNanos);
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
          CloseStamp disconnected = session.closed(); // set with GRACE, under this lock
          if (now - disconnected.atNanos() >= graceNanos) {
            removeDevice(entry, session, disconnected.atMillis());
          } else {
            wheel.schedule(session, disconnected.atNanos() + graceNanos);
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
        // Unexpected (store writes are queued and never throw here): keep the timer alive.
        log.warn("timer work for {} failed; retrying in 1 s", session, e);
        wheel.schedule(session, now + STORE_RETRY_NANOS);
      } finally {
        users.retireIfUnused(entry);
      }
    }
  }

  private void removeDevice(UserEntry entry, DeviceSession session, long lastSeenMillis) {
    boolean wasConnected = session.phase == DeviceSession.CONNECTED;
    if (wasConnected) {
      stats.devicesConnected.decrement();
    } else {
      stats.devicesInGrace.decrement();
    }
    session.phase = DeviceSession.CLOSED;
    wheel.cancel(session);
    users.removeDevice(entry, session);
    if (wasConnected) {
      connectionClosed(session, CloseReason.EXPIRED);
    }
    writes.enqueue(
        entry, new StoreWrite(null, new StoreMutation.RemoveDevice(session.deviceId, nodeId, lastSeenMillis), commit));
  }

  // ---- many servers: sweeps and re-assert

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
        if (!entry.retired() && (last == null || update.current().version() > last.version())) {
          changes.applied(entry, update);
          return;
        }
      }
    }
    changes.emit(update);
  }

  /**
   * This node's lease was lost (claimed while it was paused or cut off, or lost with the store's
   * data) and is held again: queues, user by user, the chosen status this node knows and then every
   * device it holds (connected or in grace), as updates that claim nothing. A device that moved to
   * another node meanwhile stays there, and this node's stale connection to it closes ({@link
   * CloseReason#TAKEN_OVER}). The writes are queued behind the user's others and retried like them.
   *
   * @return whether every user was re-asserted (always: the write queues retry what fails)
   */
  boolean reassert() {
    for (UserEntry entry : users.all()) {
      synchronized (entry) {
        if (entry.retired()) {
          continue;
        }
        try {
          reassertLocked(entry);
        } finally {
          users.retireIfUnused(entry);
        }
      }
    }
    return true; // what this closed is told by the lease once it holds no lock (Host.afterRenewal)
  }

  private void reassertLocked(UserEntry entry) {
    UserRecord known = entry.statusRecord;
    if (known != null && known.statusSetAtMillis() != 0) {
      // Status first, so an invisible user is invisible again before a device could show her.
      StoreMutation status =
          new StoreMutation.SetStatus(
              known.mode(), known.customText(), known.statusExpiresAtMillis(), known.statusSetAtMillis(), true);
      writes.enqueue(entry, new StoreWrite(null, status, commit));
    }
    for (DeviceSession session : entry.devices()) {
      if (session.phase == DeviceSession.CLOSED) {
        continue;
      }
      DeviceActivity activity = session.recorded() != null ? session.recorded() : DeviceActivity.ACTIVE;
      writes.enqueue(entry, new StoreWrite(session, putDevice(session, activity, clock.millis()), reasserted));
    }
  }

  /** A re-asserted device: dropped here if another node holds it now or filled the user's devices. */
  private final StoreWrite.Handler reasserted =
      new StoreWrite.Handler() {
        @Override
        public void landed(UserEntry entry, StoreWrite write, StoreUpdate update) {
          DeviceSession session = write.session;
          DeviceRecord held = update.current().device(session.deviceId);
          if (session.phase != DeviceSession.CLOSED && (held == null || !held.nodeId().equals(nodeId))) {
            dropStale(entry, session, CloseReason.TAKEN_OVER); // reconnected through another node meanwhile
          }
          changes.applied(entry, update);
        }

        @Override
        public boolean refused(UserEntry entry, StoreWrite write, RuntimeException refusal) {
          DeviceSession session = write.session;
          if (refusal instanceof LimitExceededException && session.phase != DeviceSession.CLOSED) {
            // Other nodes filled the user's devices meanwhile: this connection cannot stay.
            dropStale(entry, session, CloseReason.REPLACED);
            if (entry.deviceCount() == 0) {
              stats.counted(entry.countedState(), PresenceState.OFFLINE);
              entry.countedState(PresenceState.OFFLINE);
            }
          }
          return false;
        }
      };

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
    users.removeDevice(entry, session);
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
        for (DeviceSession session : entry.devices()) {
          if (session.phase == DeviceSession.CONNECTED) {
            stats.devicesConnected.decrement();
            connectionClosed(session, CloseReason.ENGINE_CLOSED);
          } else if (session.phase == DeviceSession.GRACE) {
            stats.devicesInGrace.decrement();
          }
          session.phase = DeviceSession.CLOSED;
          wheel.cancel(session);
        }
        stats.counted(entry.countedState(), PresenceState.OFFLINE);
        entry.countedState(PresenceState.OFFLINE);
        if (entry.writes != null) {
          if (entry.writes.retry != null) {
            wheel.cancel(entry.writes.retry);
          }
          for (StoreWrite write : entry.writes) {
            write.wake(); // a caller waiting for a queued write goes on: nothing more is sent
          }
        }
      }
    }
  }

  /**
   * Under the user lock, once a connection stops being open: its subscribers and typing end, and its
   * listener is told once the lock is released ({@link #tellClosed}).
   */
  void connectionClosed(DeviceSession session, CloseReason reason) {
    CloseStamp stamp = session.closed();
    if (stamp == null) {
      session.closed(new CloseStamp(reason, 0, 0));
    } else if (stamp.reason() != reason) {
      session.closed(stamp.because(reason));
    }
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

  /**
   * Tells the listeners of connections closed meanwhile, and the sinks of their subscribers whose
   * close notices the executor rejected; called with no lock held.
   */
  void tellClosed() {
    DeviceSession session;
    while ((session = closedToTell.poll()) != null) {
      listeners.onClosed(session.listener, session, session.closed().reason());
    }
    hub.deferredNotices.tell();
  }
}
