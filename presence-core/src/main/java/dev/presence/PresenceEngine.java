package dev.presence;

import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link Presence}, a facade: it checks arguments and hands each call to the part
 * that owns the concern. See the interface for the contract.
 *
 * <ul>
 *   <li>{@link DeviceLifecycle}: connect, heartbeats and reports, disconnect, the device timer.
 *   <li>{@link StatusControl}: chosen status, its rate limit and its expiry.
 *   <li>{@link Changes}: the single commit point after each store write (gauges, listeners, local
 *       fanout, bus).
 *   <li>{@link SubscriptionHub}: subscribers, channels, visibility and typing.
 *   <li>{@link Users}, {@link EngineStats}, {@link RealPresenceView}, and the {@code Guarded*} wrappers
 *       around user and SPI code.
 * </ul>
 *
 * <p>Threads: API calls run on the caller's thread; one scheduler task per tick ({@link #tick})
 * drives every timer on the scheduler's thread; sink calls run on the delivery executor. Lock order
 * (no part takes them in another order): user lock ({@link UserEntry}), channel monitor, subscriber
 * monitor, a user's bus-interest monitor; a timer wheel shard lock is taken alone. {@code tickLock}
 * here guards only scheduling the next tick against {@link #close()}.
 */
final class PresenceEngine implements Presence {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  private static final int TIMER_SHARDS = 16;

  final Ticker ticker;
  final PresenceStore store;
  final TimerWheel wheel;
  final Users users;
  final SubscriptionHub hub;
  final RunState run = new RunState();
  private final String nodeId;
  private final Scheduler scheduler;
  private final ScheduledExecutorService ownedExecutor;
  private final PresenceBus ownedBus;
  private final GuardedBus bus;
  private final EngineStats stats = new EngineStats();
  private final DeviceLifecycle devices;
  private final StatusControl status;
  private final NodeLease lease;
  private final ExecutorService ownedStoreThread;

  private final Object tickLock = new Object();
  private final Runnable tickTask = this::tick;
  /** Guarded by tickLock. */
  private Future<?> nextTick;

  PresenceEngine(EngineSettings settings) {
    this.ticker = settings.ticker();
    this.store = settings.store();
    this.nodeId = settings.nodeId();
    this.scheduler = settings.scheduler();
    this.ownedExecutor = settings.ownedTimerThread();
    this.ownedBus = settings.ownsBus() ? settings.bus() : null;
    this.wheel = new TimerWheel(ticker.read(), settings.tickNanos(), TIMER_SHARDS);
    this.users = new Users();
    GuardedListeners listeners = new GuardedListeners(settings.listeners(), stats.listenerFailures);
    // The bus delivers only what this node watches, and nothing is watched before the first
    // subscriber; a bus that calls back during join anyway finds no hub yet and is ignored.
    PresenceBus.Connection connection;
    try {
      connection =
          settings.bus()
              .join(
                  nodeId,
                  new PresenceBus.Listener() {
                    @Override
                    public void onPresenceChange(PresenceChange change) {
                      listeners.onChange(change); // made on another node: no store write here
                      SubscriptionHub current = hub;
                      if (current != null) {
                        current.onChange(change, null);
                      }
                    }

                    @Override
                    public void onTyping(TypingEvent event) {
                      SubscriptionHub current = hub;
                      if (current != null) {
                        current.typing.onRemote(event);
                      }
                    }

                    @Override
                    public void onResync(Collection<String> userIds) {
                      SubscriptionHub current = hub;
                      if (current != null) {
                        current.resync(userIds);
                      }
                    }
                  });
    } catch (RuntimeException e) {
      shutDown(settings); // a node id already on the bus, say: stop the threads made for this engine
      throw e;
    }
    this.bus = new GuardedBus(connection, stats.busFailures);
    this.hub = new SubscriptionHub(settings, wheel, bus, stats, run);
    Changes changes = new Changes(stats, listeners, hub, bus, store.publishesChanges());
    UserWrites writes = new UserWrites(settings, wheel, users, run, stats.storeFailures, stats.storeCalls);
    this.status = new StatusControl(users, wheel, changes, writes, run, settings, stats.limitRejections);
    changes.follow(status);
    this.devices = new DeviceLifecycle(settings, users, wheel, changes, status, writes, hub, listeners, stats, run);
    this.ownedStoreThread = settings.ownedStoreThread();
    this.lease =
        new NodeLease(
            store,
            nodeId,
            settings.lease(),
            Duration.ofNanos(settings.graceNanos()),
            settings.leaseRenewNanos(),
            settings.policy(),
            wheel,
            ticker,
            settings.storeCalls(),
            new NodeLease.Host() {
              @Override
              public void swept(StoreUpdate update) {
                devices.swept(update);
              }

              @Override
              public boolean reassert() {
                return devices.reassert();
              }

              @Override
              public void afterRenewal() {
                devices.tellClosed();
              }
            },
            stats.storeFailures);
    writes.wire(lease::renewSoon, devices::tellClosed);
    try {
      lease.start(); // sweeps what a previous life of this node left, before anything is served
    } catch (RuntimeException e) {
      releaseOwned();
      throw e;
    }
    scheduleTick();
  }

  // ---- connections

  @Override
  public DeviceConnection connect(String userId, String deviceId, DeviceInfo info) {
    return connect(userId, deviceId, info, null);
  }

  @Override
  public DeviceConnection connect(
      String userId, String deviceId, DeviceInfo info, ConnectionListener listener) {
    Ids.check("userId", userId);
    Ids.check("deviceId", deviceId);
    Objects.requireNonNull(info, "info");
    run.checkOpen();
    try {
      return devices.connect(userId, deviceId, info, listener);
    } catch (LimitExceededException e) {
      stats.limitRejections.increment();
      throw e;
    }
  }

  @Override
  public boolean heartbeat(String userId, String deviceId) {
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.heartbeat();
  }

  @Override
  public boolean activity(String userId, String deviceId) {
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.activity();
  }

  @Override
  public boolean setIdle(String userId, String deviceId, boolean idle) {
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.setIdle(idle);
  }

  @Override
  public boolean setVisible(String userId, String deviceId, boolean visible) {
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.setVisible(visible);
  }

  @Override
  public boolean disconnect(String userId, String deviceId) {
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.disconnect();
  }

  /** The device's current session, or null; no lock, no allocation. */
  private DeviceSession lookup(String userId, String deviceId) {
    if (userId == null || deviceId == null) {
      Ids.check("userId", userId);
      Ids.check("deviceId", deviceId);
    }
    run.checkOpen();
    DeviceSession session = users.device(userId, deviceId);
    if (session == null) {
      // Only ids that passed validation at connect are found, so validate only on a miss: a bad id
      // still gets its IllegalArgumentException, and a heartbeat pays for no scan of its ids.
      Ids.check("userId", userId);
      Ids.check("deviceId", deviceId);
    }
    return session;
  }

  // ---- status and queries

  @Override
  public UserPresence setStatus(String userId, StatusMode mode, String customText, Duration expiresAfter) {
    return status.setStatus(userId, mode, customText, expiresAfter);
  }

  @Override
  public UserPresence get(String userId) {
    Ids.check("userId", userId);
    run.checkOpen();
    return store.get(userId).presence();
  }

  @Override
  public List<UserPresence> getAll(Collection<String> userIds) {
    return new RealPresenceView.PresenceList(RealPresenceView.readAll(userIds, store, run));
  }

  @Override
  public PresenceView viewAs(String viewerUserId) {
    Ids.check("viewerUserId", viewerUserId);
    run.checkOpen();
    return new RealPresenceView(viewerUserId, store, hub.visibility, run);
  }

  // ---- subscriptions, channels and typing

  @Override
  public Subscriber subscribe(DeviceConnection connection, PresenceSink sink) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(sink, "sink");
    run.checkOpen();
    if (!(connection instanceof DeviceSession session) || session.lifecycle != devices) {
      throw new IllegalArgumentException(connection + " is not a connection of this engine");
    }
    synchronized (session.user) {
      if (session.phase != DeviceSession.CONNECTED) {
        throw new IllegalStateException(session + " is no longer open");
      }
      RealSubscriber subscriber = hub.subscribe(session.user.userId, sink, session);
      if (session.subscribers == null) {
        session.subscribers = new ArrayList<>(1);
      }
      session.subscribers.add(subscriber);
      return subscriber;
    }
  }

  @Override
  public Subscriber subscribe(String watcherUserId, PresenceSink sink) {
    Ids.check("watcherUserId", watcherUserId);
    Objects.requireNonNull(sink, "sink");
    run.checkOpen();
    return hub.subscribe(watcherUserId, sink, null);
  }

  @Override
  public void joinChannel(String channelId, String userId) {
    Ids.check("channelId", channelId);
    Ids.check("userId", userId);
    run.checkOpen();
    hub.channels.join(channelId, userId, hub.typing);
  }

  @Override
  public void leaveChannel(String channelId, String userId) {
    Ids.check("channelId", channelId);
    Ids.check("userId", userId);
    run.checkOpen();
    hub.channels.leave(channelId, userId, hub.typing);
  }

  @Override
  public Set<String> channelMembers(String channelId) {
    Ids.check("channelId", channelId);
    run.checkOpen();
    return hub.channels.members(channelId);
  }

  @Override
  public boolean typing(String userId, String deviceId, String channelId) {
    Ids.check("channelId", channelId);
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.typing(channelId);
  }

  @Override
  public boolean stopTyping(String userId, String deviceId, String channelId) {
    Ids.check("channelId", channelId);
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.stopTyping(channelId);
  }

  @Override
  public boolean messageSent(String userId, String deviceId, String channelId) {
    Ids.check("channelId", channelId);
    DeviceSession session = lookup(userId, deviceId);
    return session != null && session.messageSent(channelId);
  }

  @Override
  public void visibilityChanged(String targetUserId) {
    Ids.check("targetUserId", targetUserId);
    run.checkOpen();
    hub.visibilityChanged(null, targetUserId);
  }

  @Override
  public void visibilityChanged(String watcherUserId, String targetUserId) {
    Ids.check("watcherUserId", watcherUserId);
    Ids.check("targetUserId", targetUserId);
    run.checkOpen();
    hub.visibilityChanged(watcherUserId, targetUserId);
  }

  // ---- stats, timers and lifecycle

  @Override
  public PresenceStats stats() {
    return stats.snapshot(hub.subscriberCount());
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  private void scheduleTick() {
    synchronized (tickLock) {
      if (run.closed) {
        return;
      }
      try {
        nextTick = scheduler.schedule(tickTask, wheel.tickNanos(), TimeUnit.NANOSECONDS);
      } catch (RuntimeException e) {
        // Nothing else drives the timers: say so loudly. Calls keep working; deadlines stop.
        log.error("the scheduler rejected the presence timer tick; grace, TTL, idle and delivery stop", e);
      }
    }
  }

  private void tick() {
    try {
      long now = ticker.read();
      devices.ticked(now);
      try {
        hub.atTick(now, e -> log.error("a presence flush failed", e)); // before the wheel: see AlignedFanout
      } catch (RuntimeException e) {
        log.error("fanning out at a window boundary failed", e); // the wheel's timers still run
      }
      try {
        wheel.advance(now, e -> log.error("a presence timer failed", e));
      } finally {
        hub.afterTick(now);
      }
    } catch (RuntimeException e) {
      log.error("advancing the presence timers failed", e);
    } finally {
      try {
        hub.deferredNotices.tell();
      } catch (RuntimeException e) {
        log.error("telling deferred close notices failed", e);
      } finally {
        scheduleTick();
      }
    }
  }

  /**
   * Closes every connection (listeners told {@link CloseReason#ENGINE_CLOSED}) and every subscriber
   * (sinks told), and stops the timers. The devices stay in the store for crash cleanup.
   */
  @Override
  public void close() {
    synchronized (tickLock) {
      if (run.closed) {
        return;
      }
      run.closed = true;
      if (nextTick != null) {
        nextTick.cancel(false);
      }
    }
    devices.closeAll();
    hub.closeAll();
    devices.tellClosed();
    hub.deferredNotices.tellAndFinish();
    lease.leave(); // the devices stay in grace: reconnects elsewhere move them with no change
    releaseOwned();
  }

  /** Before the engine exists: stops what the settings made for it. */
  private static void shutDown(EngineSettings settings) {
    if (settings.ownsBus()) {
      settings.bus().close();
    }
    if (settings.ownedTimerThread() != null) {
      settings.ownedTimerThread().shutdownNow();
    }
    if (settings.ownedDelivery() != null) {
      settings.ownedDelivery().shutdown();
    }
    if (settings.ownedStoreThread() != null) {
      settings.ownedStoreThread().shutdown();
    }
  }

  /** Leaves the bus and stops what this engine made for itself. */
  private void releaseOwned() {
    bus.close();
    hub.close();
    if (ownedBus != null) {
      ownedBus.close();
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
    if (ownedStoreThread != null) {
      ownedStoreThread.shutdown();
    }
  }

  @Override
  public String toString() {
    return "Presence{node=" + nodeId + ", users=" + users.size() + "}";
  }
}
