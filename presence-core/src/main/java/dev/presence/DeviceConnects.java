package dev.presence;

import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.time.InstantSource;

/**
 * Connects, for {@link DeviceLifecycle}: a new device, a takeover of the same device, or a replacement
 * past the device limit. The connection works locally at once (heartbeats, subscriptions, typing);
 * its claim in the store is queued in the user's {@link UserWrites} and the caller waits for it with no
 * lock held, at most {@code storeTimeout}. A claim the store refuses for good within that time is
 * thrown and leaves nothing; a later refusal closes the connection with {@link CloseReason#REFUSED}.
 *
 * <p>Locks: the user lock, as {@link DeviceLifecycle}.
 */
final class DeviceConnects {
  private final DeviceLifecycle lifecycle;
  private final Users users;
  private final TimerWheel wheel;
  private final Changes changes;
  private final UserWrites writes;
  private final EngineStats stats;
  private final Ticker ticker;
  private final InstantSource clock;
  private final String nodeId;
  private final long idleNanos;
  private final int maxDevices;
  private final DeviceOverflow overflow;

  DeviceConnects(
      DeviceLifecycle lifecycle,
      EngineSettings settings,
      Users users,
      TimerWheel wheel,
      Changes changes,
      UserWrites writes,
      EngineStats stats) {
    this.lifecycle = lifecycle;
    this.users = users;
    this.wheel = wheel;
    this.changes = changes;
    this.writes = writes;
    this.stats = stats;
    this.ticker = settings.ticker();
    this.clock = settings.clock();
    this.nodeId = settings.nodeId();
    this.idleNanos = settings.idleNanos();
    this.maxDevices = settings.maxDevicesPerUser();
    this.overflow = settings.deviceOverflow();
  }

  /** A connection made under the user lock and its claim, if it writes one (or null). */
  private record Connected(DeviceSession session, StoreWrite claim) {}

  /**
   * {@link Presence#connect}, ids already checked. The connection works locally at once; its claim
   * is queued, and this waits for it with no lock held, at most {@code storeTimeout} ({@link
   * UserWrites#await}). A refusal within that time is thrown and leaves nothing; a later one closes
   * the connection with {@link CloseReason#REFUSED}.
   */
  DeviceSession connect(String userId, String deviceId, DeviceInfo info, ConnectionListener listener) {
    Connected connected;
    try {
      connected = users.withLiveEntry(userId, entry -> connectLocked(entry, deviceId, info, listener));
    } finally {
      lifecycle.tellClosed();
    }
    StoreWrite claim = connected.claim();
    if (claim != null && writes.await(connected.session().user, claim) == StoreWrite.REFUSED) {
      lifecycle.tellClosed();
      throw claim.refusal;
    }
    return connected.session();
  }

  private Connected connectLocked(
      UserEntry entry, String deviceId, DeviceInfo info, ConnectionListener listener) {
    lifecycle.run.checkOpen();
    long now = ticker.read();
    DeviceSession existing = entry.find(deviceId);
    DeviceSession session = new DeviceSession(wheel.shardOf(entry), lifecycle, entry, deviceId, info, now, listener);
    StoreWrite claim;
    stats.connects.increment();
    stats.devicesConnected.increment();
    if (existing != null) {
      claim = takeOver(entry, existing, session);
    } else {
      claim = addDevice(entry, session);
    }
    return new Connected(session, claim);
  }

  /**
   * A new device of the user: added here at once, and claimed in the store, which enforces the device
   * limit across nodes. Past the limit, {@link DeviceOverflow#REPLACE_LEAST_RECENTLY_ACTIVE} replaces
   * a device of this node in the same store write, so watchers see no flicker; the victim closes
   * when that write lands.
   */
  private StoreWrite addDevice(UserEntry entry, DeviceSession session) {
    DeviceSession victim = null;
    if (entry.deviceCount() >= maxDevices) {
      if (overflow == DeviceOverflow.REJECT) {
        stats.connects.decrement();
        stats.devicesConnected.decrement();
        throw UserRecord.tooManyDevices(entry.userId, entry.deviceCount(), maxDevices);
      }
      victim = leastRecentlyActive(entry, null);
    }
    boolean absorbs = entry.allInGrace();
    session.recorded(DeviceActivity.ACTIVE);
    session.absorbed(absorbs);
    users.addDevice(entry, session);
    if (absorbs) {
      stats.reconnectsAbsorbed.increment();
    }
    wheel.schedule(session, lifecycle.nextDeadline(session));
    StoreWrite claim = new StoreWrite(session, claim(session, DeviceActivity.ACTIVE, victim), newDeviceClaim);
    claim.victim = victim;
    return writes.enqueueAwaited(entry, claim);
  }

  /** Commits a claim that landed, or undoes a connection whose claim the store refused for good. */
  private final StoreWrite.Handler newDeviceClaim = claimHandler(true);

  private final StoreWrite.Handler takeOverClaim = claimHandler(false);

  private StoreWrite.Handler claimHandler(boolean mayReplace) {
    return new StoreWrite.Handler() {
        @Override
        public void landed(UserEntry entry, StoreWrite write, StoreUpdate update) {
          DeviceSession victim = write.victim;
          if (victim != null && victim.phase != DeviceSession.CLOSED) {
            writes.dropQueuedPuts(entry, victim);
            replaced(entry, victim);
          }
          changes.applied(entry, update);
        }

        @Override
        public boolean refused(UserEntry entry, StoreWrite write, RuntimeException refusal) {
          DeviceSession session = write.session;
          if (mayReplace
              && refusal instanceof LimitExceededException
              && write.victim == null
              && overflow == DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE
              && session.phase != DeviceSession.CLOSED
              && write.mutation instanceof StoreMutation.PutDevice put) {
            // Full because of devices on other nodes: make room here, if this node holds one.
            DeviceSession victim = leastRecentlyActive(entry, session);
            if (victim != null) {
              write.victim = victim;
              write.mutation = claim(session, put.device().activity(), victim);
              return true;
            }
          }
          refuse(entry, write);
          return false;
        }
      };
  }

  /**
   * Under the user lock: the store refused a connection's claim for good. If {@code connect} still
   * waits, it throws and the connection leaves no trace; else it closes with {@link
   * CloseReason#REFUSED}.
   */
  private void refuse(UserEntry entry, StoreWrite write) {
    DeviceSession session = write.session;
    writes.dropQueuedPuts(entry, session);
    if (write.callerWaiting) {
      stats.connects.decrement();
      if (session.absorbed()) {
        stats.reconnectsAbsorbed.decrement();
      }
    }
    if (session.phase == DeviceSession.CLOSED) {
      return;
    }
    if (session.phase == DeviceSession.CONNECTED) {
      stats.devicesConnected.decrement();
      if (write.callerWaiting) {
        session.closed(new CloseStamp(CloseReason.REFUSED, 0, 0)); // nobody holds it yet: nobody to tell
      } else {
        lifecycle.connectionClosed(session, CloseReason.REFUSED);
      }
    } else {
      stats.devicesInGrace.decrement();
    }
    session.phase = DeviceSession.CLOSED;
    wheel.cancel(session);
    users.removeDevice(entry, session);
    if (entry.deviceCount() == 0) {
      stats.counted(entry.countedState(), PresenceState.OFFLINE);
      entry.countedState(PresenceState.OFFLINE);
    }
  }

  /**
   * The device of this node to replace (not {@code except}): one in grace (disconnected longest),
   * else the oldest input; null if there is none.
   */
  private static DeviceSession leastRecentlyActive(UserEntry entry, DeviceSession except) {
    DeviceSession victim = null;
    for (DeviceSession device : entry.devices()) {
      if (device == except || device.phase == DeviceSession.CLOSED) {
        continue;
      }
      if (victim == null) {
        victim = device;
      } else if ((device.phase == DeviceSession.GRACE) != (victim.phase == DeviceSession.GRACE)) {
        victim = device.phase == DeviceSession.GRACE ? device : victim;
      } else if (device.phase == DeviceSession.GRACE
          ? device.closed().atNanos() - victim.closed().atNanos() < 0
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
    users.removeDevice(entry, victim);
    if (wasConnected) {
      lifecycle.connectionClosed(victim, CloseReason.REPLACED);
    }
  }

  /**
   * The same device connects again, from grace or over an older socket: the new connection inherits
   * the device's activity, so nothing changes that others see. The new connection replaces the old
   * one at once; a claim (from grace, or if the activity differs) is queued, and if the store refuses
   * it for good the new connection goes as in {@link #refuse}.
   */
  private StoreWrite takeOver(UserEntry entry, DeviceSession old, DeviceSession session) {
    long now = ticker.read();
    session.lastActivity = old.lastActivity;
    session.clientIdle(old.clientIdle());
    session.hidden(old.hidden());
    session.statusTokens(old.statusTokens());
    // Not yet visible to other threads, so no handshake with activity() is needed here.
    session.idle = session.clientIdle() || session.hidden() || now - session.lastActivity >= idleNanos;
    DeviceActivity activity = session.idle ? DeviceActivity.IDLE : DeviceActivity.ACTIVE;
    boolean fromGrace = old.phase == DeviceSession.GRACE;
    boolean claims = fromGrace || activity != old.recorded();
    session.recorded(activity);
    session.absorbed(fromGrace);
    if (fromGrace) {
      stats.reconnectsAbsorbed.increment();
      stats.devicesInGrace.decrement();
    } else {
      stats.devicesConnected.decrement();
    }
    old.phase = DeviceSession.CLOSED;
    wheel.cancel(old);
    if (!fromGrace) {
      lifecycle.connectionClosed(old, CloseReason.TAKEN_OVER);
    }
    users.replaceDevice(entry, old, session);
    wheel.schedule(session, lifecycle.nextDeadline(session));
    if (!claims) {
      return null;
    }
    // From grace, the device may have connected to another node meanwhile, which now holds its
    // record and would remove it at the end of its own grace: this write claims it back. The
    // activity is normally unchanged, so others see nothing.
    return writes.enqueueAwaited(entry, new StoreWrite(session, claim(session, activity, null), takeOverClaim));
  }

  /**
   * The write that records a connect in the store, which enforces the device limit across nodes
   * before any change ({@link LimitExceededException}); {@code evicting} is a device of this node to
   * drop in the same write, or null.
   */
  private StoreMutation.PutDevice claim(DeviceSession session, DeviceActivity activity, DeviceSession evicting) {
    long now = clock.millis();
    return new StoreMutation.PutDevice(
        new DeviceRecord(session.deviceId, nodeId, activity, session.info.platform(), now),
        maxDevices,
        true,
        now,
        evicting == null ? null : evicting.deviceId);
  }
}
