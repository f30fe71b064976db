package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The engine behind {@link Presence}. See the interface for the contract. */
final class PresenceEngine implements Presence {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  private static final int TIMER_SHARDS = 16;
  /** How soon a timer retries a store write that failed. */
  private static final long STORE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Longer status expiries are capped to this, which keeps nanosecond deadlines from overflowing. */
  private static final Duration MAX_STATUS_EXPIRY = Duration.ofDays(100 * 365);

  final Ticker ticker;
  final InstantSource clock;
  private final Scheduler scheduler;
  private final ScheduledExecutorService ownedExecutor;
  final TimerWheel wheel;
  private final long graceNanos;
  private final long ttlNanos;
  private final long idleNanos;
  private final int maxDevices;
  private final DeviceOverflow overflow;
  private final String nodeId;
  private final AggregationPolicy policy;
  final PresenceStore store;
  private final PresenceBus ownedBus;
  private final GuardedBus bus;
  private final GuardedListeners listeners;
  final SubscriptionHub hub;
  private final int statusChangesPerWindow;
  private final long statusChangeWindowNanos;
  final ConcurrentHashMap<String, UserEntry> users = new ConcurrentHashMap<>();

  private final LongAdder devicesConnected = new LongAdder();
  private final LongAdder devicesInGrace = new LongAdder();
  private final LongAdder usersOnline = new LongAdder();
  private final LongAdder usersIdle = new LongAdder();
  private final LongAdder usersDnd = new LongAdder();
  private final LongAdder connects = new LongAdder();
  private final LongAdder disconnects = new LongAdder();
  private final LongAdder reconnectsAbsorbed = new LongAdder();
  private final LongAdder expiries = new LongAdder();
  private final LongAdder listenerFailures = new LongAdder();
  private final LongAdder busFailures = new LongAdder();
  /** Connections closed under a user lock whose listeners are told once the lock is released. */
  private final java.util.concurrent.ConcurrentLinkedQueue<DeviceSession> closedToTell =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final Object tickLock = new Object();
  private final Runnable tickTask = this::tick;
  /** Ticker time at the last tick; see {@link #coarseNow}. */
  private volatile long coarseNanos;
  volatile boolean closed;
  private Future<?> nextTick;

  PresenceEngine(EngineSettings settings) {
    this.ticker = settings.ticker();
    this.clock = settings.clock();
    this.scheduler = settings.scheduler();
    this.ownedExecutor = settings.ownedTimerThread();
    this.graceNanos = settings.graceNanos();
    this.ttlNanos = settings.ttlNanos();
    this.idleNanos = settings.idleNanos();
    this.maxDevices = settings.maxDevicesPerUser();
    this.overflow = settings.deviceOverflow();
    this.nodeId = settings.nodeId();
    this.policy = settings.policy();
    this.store = settings.store();
    this.ownedBus = settings.ownsBus() ? settings.bus() : null;
    this.listeners = new GuardedListeners(settings.listeners(), listenerFailures);
    this.wheel = new TimerWheel(ticker.read(), settings.tickNanos(), TIMER_SHARDS);
    this.coarseNanos = ticker.read();
    this.statusChangesPerWindow = settings.statusChangesPerWindow();
    this.statusChangeWindowNanos = settings.statusChangeWindowNanos();
    this.hub = new SubscriptionHub(this, settings);
    PresenceBus.Connection connection =
        settings.bus()
            .join(
                nodeId,
                new PresenceBus.Listener() {
                  @Override
                  public void onPresenceChange(PresenceChange change) {
                    listeners.onChange(change);
                    hub.onChange(change, null);
                  }

                  @Override
                  public void onTyping(TypingEvent event) {
                    hub.onRemoteTyping(event);
                  }
                });
    this.bus = new GuardedBus(connection, busFailures);
    scheduleTick();
  }

  // ---------------------------------------------------------------- connections

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
    checkOpen();
    try {
      while (true) {
        UserEntry entry = entryFor(userId);
        synchronized (entry) {
          if (!entry.retired) {
            return connectLocked(entry, deviceId, info, listener);
          }
        }
      }
    } finally {
      tellClosed();
    }
  }

  private DeviceSession connectLocked(
      UserEntry entry, String deviceId, DeviceInfo info, ConnectionListener listener) {
    if (closed) {
      throw new IllegalStateException("this presence engine is closed");
    }
    long now = ticker.read();
    DeviceSession existing = entry.find(deviceId);
    DeviceSession session = new DeviceSession(this, entry, deviceId, info, now, listener);
    try {
      if (existing != null) {
        takeOver(entry, existing, session);
      } else {
        addDevice(entry, session, now);
      }
    } finally {
      if (entry.isUnused()) {
        retire(entry);
      }
    }
    connects.increment();
    devicesConnected.increment();
    wheel.schedule(session, nextDeadline(session));
    return session;
  }

  /**
   * A new device of the user: recorded in the store, which enforces the device limit across nodes.
   * Past the limit, {@link DeviceOverflow#REPLACE_LEAST_RECENTLY_ACTIVE} replaces a device of this
   * node in the same store write, so watchers see no flicker.
   */
  private void addDevice(UserEntry entry, DeviceSession session, long now) {
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
      reconnectsAbsorbed.increment();
    }
    applied(entry, update);
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
      devicesConnected.decrement();
    } else {
      devicesInGrace.decrement();
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
    session.statusTokensAt = old.statusTokensAt;
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
      reconnectsAbsorbed.increment();
      devicesInGrace.decrement();
    } else {
      devicesConnected.decrement();
    }
    old.phase = DeviceSession.CLOSED;
    wheel.cancel(old);
    if (!fromGrace) {
      connectionClosed(old, CloseReason.TAKEN_OVER);
    }
    entry.replace(old, session);
    if (update != null) {
      applied(entry, update);
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
    checkOpen();
    UserEntry entry = users.get(userId);
    DeviceSession session = entry == null ? null : entry.find(deviceId);
    if (session == null) {
      // Only ids that passed validation at connect are found, so validate only on a miss: a bad id
      // still gets its IllegalArgumentException, and a heartbeat pays for no scan of its ids.
      Ids.check("userId", userId);
      Ids.check("deviceId", deviceId);
    }
    return session;
  }

  /** Input on a device: a timestamp write unless the device must leave idle. */
  boolean activity(DeviceSession session) {
    if (session.phase != DeviceSession.CONNECTED || closed) {
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
      if (session.phase != DeviceSession.CONNECTED || closed) {
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

  boolean disconnect(DeviceSession session) {
    boolean done = disconnectLocked(session);
    tellClosed();
    return done;
  }

  private boolean disconnectLocked(DeviceSession session) {
    UserEntry entry = session.user;
    synchronized (entry) {
      if (session.phase != DeviceSession.CONNECTED || closed) {
        return false;
      }
      session.phase = DeviceSession.GRACE;
      session.disconnectedAt = ticker.read();
      session.disconnectedAtMillis = clock.millis();
      devicesConnected.decrement();
      devicesInGrace.increment();
      disconnects.increment();
      wheel.schedule(session, session.disconnectedAt + graceNanos);
      connectionClosed(session, CloseReason.DISCONNECTED);
      return true;
    }
  }

  /** A device's timer fired: grace over, TTL passed, idle reached, or just a deadline that moved. */
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
            expiries.increment();
            long lastHeard = clock.millis() - TimeUnit.NANOSECONDS.toMillis(silentFor);
            removeDevice(entry, session, lastHeard);
          } else {
            refreshActivity(session, now);
            wheel.schedule(session, nextDeadline(session));
          }
        }
      } catch (RuntimeException e) {
        // A store outage, or a failing policy: keep the timer alive and check again later.
        log.warn("timer work for {} failed; retrying in 1 s", session, e);
        wheel.schedule(session, now + STORE_RETRY_NANOS);
      } finally {
        if (entry.isUnused() && !entry.retired) {
          retire(entry);
        }
      }
    }
  }

  private void removeDevice(UserEntry entry, DeviceSession session, long lastSeenMillis) {
    StoreUpdate update =
        store.apply(
            entry.userId, new StoreMutation.RemoveDevice(session.deviceId, nodeId, lastSeenMillis), policy);
    boolean wasConnected = session.phase == DeviceSession.CONNECTED;
    if (wasConnected) {
      devicesConnected.decrement();
    } else {
      devicesInGrace.decrement();
    }
    session.phase = DeviceSession.CLOSED;
    wheel.cancel(session);
    entry.remove(session);
    if (wasConnected) {
      connectionClosed(session, CloseReason.EXPIRED);
    }
    applied(entry, update);
  }

  /**
   * Under the user lock, once a connection stops being open: its subscribers and typing end, and its
   * listener is told once the lock is released ({@link #tellClosed}).
   */
  private void connectionClosed(DeviceSession session, CloseReason reason) {
    session.closeReason = reason;
    List<SubscriberImpl> bound = session.subscribers;
    session.subscribers = null;
    if (bound != null) {
      for (SubscriberImpl subscriber : bound) {
        subscriber.closeBy(reason);
      }
    }
    hub.endTypingOf(session.user.userId, session);
    if (session.listener != null) {
      closedToTell.add(session);
    }
  }

  /** Tells the listeners of connections closed meanwhile; called with no lock held. */
  private void tellClosed() {
    DeviceSession session;
    while ((session = closedToTell.poll()) != null) {
      listeners.onClosed(session.listener, session, session.closeReason);
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
      applied(session.user, update);
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

  // ---------------------------------------------------------------- status

  @Override
  public UserPresence setStatus(
      String userId, StatusMode mode, String customText, Duration expiresAfter) {
    Ids.check("userId", userId);
    Objects.requireNonNull(mode, "mode");
    String text = Ids.checkCustomText(customText);
    if (expiresAfter != null && (expiresAfter.isNegative() || expiresAfter.isZero())) {
      throw new IllegalArgumentException("expiresAfter must be positive but was " + expiresAfter);
    }
    Duration lasts =
        expiresAfter == null || expiresAfter.compareTo(MAX_STATUS_EXPIRY) <= 0
            ? expiresAfter
            : MAX_STATUS_EXPIRY;
    checkOpen();
    while (true) {
      UserEntry entry = entryFor(userId);
      synchronized (entry) {
        if (entry.retired) {
          continue;
        }
        try {
          long nowMillis = clock.millis();
          long expiresAtMillis = lasts == null ? 0 : nowMillis + Math.max(1, lasts.toMillis());
          StoreUpdate update =
              store.apply(
                  userId, new StoreMutation.SetStatus(mode, text, expiresAtMillis, nowMillis), policy);
          applied(entry, update);
          return update.current().presence();
        } finally {
          if (entry.isUnused()) {
            retire(entry);
          }
        }
      }
    }
  }

  /** {@link DeviceConnection#setStatus}: rate-limited per device by a token bucket. */
  UserPresence setStatusFrom(
      DeviceSession session, StatusMode mode, String customText, Duration expiresAfter) {
    Objects.requireNonNull(mode, "mode");
    Ids.checkCustomText(customText);
    if (expiresAfter != null && (expiresAfter.isNegative() || expiresAfter.isZero())) {
      throw new IllegalArgumentException("expiresAfter must be positive but was " + expiresAfter);
    }
    UserEntry entry = session.user;
    synchronized (entry) {
      checkOpen();
      if (session.phase != DeviceSession.CONNECTED) {
        throw new IllegalStateException(session + " is no longer open");
      }
      long now = ticker.read();
      double perNano = (double) statusChangesPerWindow / statusChangeWindowNanos;
      double tokens =
          session.statusTokens < 0
              ? statusChangesPerWindow
              : Math.min(statusChangesPerWindow, session.statusTokens + (now - session.statusTokensAt) * perNano);
      if (tokens < 1) {
        long waitMillis = (long) Math.ceil((1 - tokens) / perNano / 1_000_000);
        throw new LimitExceededException(
            "device "
                + Ids.shown(session.deviceId)
                + " of user "
                + Ids.shown(entry.userId)
                + " changed its status too often; the limit (statusChangeLimit) is "
                + statusChangesPerWindow
                + " per "
                + Duration.ofNanos(statusChangeWindowNanos)
                + ", the next change is allowed in "
                + Duration.ofMillis(waitMillis),
            "statusChangeLimit",
            statusChangesPerWindow);
      }
      UserPresence result = setStatus(entry.userId, mode, customText, expiresAfter);
      session.statusTokens = tokens - 1;
      session.statusTokensAt = now;
      return result;
    }
  }

  void expireStatus(StatusTimer timer) {
    UserEntry entry = timer.user;
    synchronized (entry) {
      if (entry.statusTimer != timer) {
        return;
      }
      try {
        StoreUpdate update =
            store.apply(
                entry.userId,
                new StoreMutation.ClearExpiredStatus(timer.expiresAtMillis, clock.millis()),
                policy);
        entry.statusTimer = null;
        applied(entry, update);
      } catch (RuntimeException e) {
        log.warn("clearing the expired status of {} failed; retrying in 1 s", Ids.shown(entry.userId), e);
        wheel.schedule(timer, ticker.read() + STORE_RETRY_NANOS);
      } finally {
        if (entry.isUnused() && !entry.retired) {
          retire(entry);
        }
      }
    }
  }

  // ---------------------------------------------------------------- queries

  @Override
  public UserPresence get(String userId) {
    Ids.check("userId", userId);
    checkOpen();
    return store.get(userId).presence();
  }

  @Override
  public List<UserPresence> getAll(Collection<String> userIds) {
    Objects.requireNonNull(userIds, "userIds");
    List<String> ids = userIds instanceof List<String> list ? list : new ArrayList<>(userIds);
    for (String id : ids) {
      if (id == null || id.length() > Ids.MAX_ID_BYTES) {
        Ids.check("userId", id); // throws; cheap checks first, so a huge id never reaches the store
      }
    }
    checkOpen();
    List<UserRecord> records = store.getAll(ids);
    for (int i = 0; i < records.size(); i++) {
      // A recorded user's id passed validation when it was recorded: validate only the unknown ones.
      if (records.get(i).version() == 0) {
        Ids.check("userId", ids.get(i));
      }
    }
    return new PresenceList(records);
  }

  /** The presences of records, as an unmodifiable view: a bulk query copies nothing. */
  private static final class PresenceList extends java.util.AbstractList<UserPresence>
      implements java.util.RandomAccess {
    private final List<UserRecord> records;

    PresenceList(List<UserRecord> records) {
      this.records = records;
    }

    @Override
    public UserPresence get(int index) {
      return records.get(index).presence();
    }

    @Override
    public int size() {
      return records.size();
    }
  }

  // ---------------------------------------------------------------- subscriptions and typing

  @Override
  public Subscriber subscribe(DeviceConnection connection, PresenceSink sink) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(sink, "sink");
    checkOpen();
    if (!(connection instanceof DeviceSession session) || session.engine != this) {
      throw new IllegalArgumentException(connection + " is not a connection of this engine");
    }
    synchronized (session.user) {
      if (session.phase != DeviceSession.CONNECTED) {
        throw new IllegalStateException(session + " is no longer open");
      }
      SubscriberImpl subscriber = hub.subscribe(session.user.userId, sink, session);
      if (session.subscribers == null) {
        session.subscribers = new java.util.ArrayList<>(1);
      }
      session.subscribers.add(subscriber);
      return subscriber;
    }
  }

  @Override
  public Subscriber subscribe(String watcherUserId, PresenceSink sink) {
    Ids.check("watcherUserId", watcherUserId);
    Objects.requireNonNull(sink, "sink");
    checkOpen();
    return hub.subscribe(watcherUserId, sink, null);
  }

  @Override
  public void joinChannel(String channelId, String userId) {
    Ids.check("channelId", channelId);
    Ids.check("userId", userId);
    checkOpen();
    hub.join(channelId, userId);
  }

  @Override
  public void leaveChannel(String channelId, String userId) {
    Ids.check("channelId", channelId);
    Ids.check("userId", userId);
    checkOpen();
    hub.leave(channelId, userId);
  }

  @Override
  public java.util.Set<String> channelMembers(String channelId) {
    Ids.check("channelId", channelId);
    checkOpen();
    return hub.members(channelId);
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
  public PresenceView viewAs(String viewerUserId) {
    Ids.check("viewerUserId", viewerUserId);
    checkOpen();
    return new PresenceView() {
      @Override
      public String viewerUserId() {
        return viewerUserId;
      }

      @Override
      public UserPresence get(String userId) {
        Ids.check("userId", userId);
        checkOpen();
        return hub.viewOf(viewerUserId, store.get(userId));
      }

      @Override
      public List<UserPresence> getAll(Collection<String> userIds) {
        Objects.requireNonNull(userIds, "userIds");
        for (String id : userIds) {
          Ids.check("userId", id);
        }
        List<String> ids = List.copyOf(userIds);
        checkOpen();
        List<UserRecord> records = store.getAll(ids);
        UserPresence[] result = new UserPresence[records.size()];
        for (int i = 0; i < result.length; i++) {
          result[i] = hub.viewOf(viewerUserId, records.get(i));
        }
        return List.of(result);
      }
    };
  }

  @Override
  public void visibilityChanged(String targetUserId) {
    Ids.check("targetUserId", targetUserId);
    checkOpen();
    hub.visibilityChanged(null, targetUserId);
  }

  @Override
  public void visibilityChanged(String watcherUserId, String targetUserId) {
    Ids.check("watcherUserId", watcherUserId);
    Ids.check("targetUserId", targetUserId);
    checkOpen();
    hub.visibilityChanged(watcherUserId, targetUserId);
  }

  void busWatchUser(String userId) {
    bus.watchUser(userId);
  }

  void busUnwatchUser(String userId) {
    bus.unwatchUser(userId);
  }

  void busWatchChannel(String channelId) {
    bus.watchChannel(channelId);
  }

  void busUnwatchChannel(String channelId) {
    bus.unwatchChannel(channelId);
  }

  void busPublishTyping(TypingEvent event) {
    bus.publishTyping(event);
  }

  @Override
  public PresenceStats stats() {
    return new PresenceStats(
        devicesConnected.sum(),
        devicesInGrace.sum(),
        usersOnline.sum(),
        usersIdle.sum(),
        usersDnd.sum(),
        connects.sum(),
        disconnects.sum(),
        reconnectsAbsorbed.sum(),
        expiries.sum(),
        listenerFailures.sum(),
        hub.subscriberCount(),
        hub.sinkFailureCount(),
        hub.visibilityFailureCount(),
        busFailures.sum());
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  // ---------------------------------------------------------------- changes

  /** After a store write, under the user lock: update the gauges and emit a visible change. */
  private void applied(UserEntry entry, StoreUpdate update) {
    followStatusExpiry(entry, update.current().statusExpiresAtMillis());
    StatusMode mode = update.current().mode();
    if (mode != entry.mode) {
      entry.mode = mode;
      if (mode == StatusMode.INVISIBLE) {
        hub.endTypingOf(entry.userId, null);
      }
    }
    PresenceState counted =
        entry.devices.length == 0 ? PresenceState.OFFLINE : update.current().selfState();
    if (counted != entry.countedState) {
      gauge(entry.countedState).ifPresent(LongAdder::decrement);
      gauge(counted).ifPresent(LongAdder::increment);
      entry.countedState = counted;
    }
    if (!update.presenceChanged()) {
      return;
    }
    PresenceChange change = new PresenceChange(update.previous().presence(), update.current().presence());
    listeners.onChange(change);
    hub.onChange(change, update.current());
    bus.publish(change);
  }

  /**
   * Keeps this node's status timer in line with the record: any node that applies a change of the
   * user (a connect, a status change) arms the expiry, so it does not depend on the node that set it
   * staying up.
   */
  private void followStatusExpiry(UserEntry entry, long expiresAtMillis) {
    StatusTimer timer = entry.statusTimer;
    if (timer != null && timer.expiresAtMillis == expiresAtMillis) {
      return;
    }
    if (timer != null) {
      wheel.cancel(timer);
      entry.statusTimer = null;
    }
    if (expiresAtMillis != 0) {
      entry.statusTimer = new StatusTimer(this, entry, expiresAtMillis);
      long delayMillis = Math.max(0, expiresAtMillis - clock.millis());
      wheel.schedule(entry.statusTimer, ticker.read() + TimeUnit.MILLISECONDS.toNanos(delayMillis));
    }
  }

  private java.util.Optional<LongAdder> gauge(PresenceState state) {
    return java.util.Optional.ofNullable(
        switch (state) {
          case ONLINE -> usersOnline;
          case IDLE -> usersIdle;
          case DND -> usersDnd;
          case OFFLINE -> null;
        });
  }

  // ---------------------------------------------------------------- entries and timers

  private UserEntry entryFor(String userId) {
    UserEntry entry = users.get(userId);
    if (entry != null) {
      return entry;
    }
    return users.computeIfAbsent(userId, id -> new UserEntry(id, wheel.shardFor(id.hashCode())));
  }

  /** Under the user lock: drop an entry that holds nothing. */
  private void retire(UserEntry entry) {
    entry.retired = true;
    users.remove(entry.userId, entry);
  }

  private void scheduleTick() {
    synchronized (tickLock) {
      if (closed) {
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

  private void tick() {
    try {
      long now = ticker.read();
      coarseNanos = now;
      wheel.advance(now, e -> log.error("a presence timer failed", e));
    } catch (RuntimeException e) {
      log.error("advancing the presence timers failed", e);
    } finally {
      scheduleTick();
    }
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this presence engine is closed");
    }
  }

  /**
   * Closes every connection (listeners told {@link CloseReason#ENGINE_CLOSED}) and every subscriber
   * (sinks told), and stops the timers. The devices stay in the store for crash cleanup.
   */
  @Override
  public void close() {
    synchronized (tickLock) {
      if (closed) {
        return;
      }
      closed = true;
      if (nextTick != null) {
        nextTick.cancel(false);
      }
    }
    for (UserEntry entry : users.values()) {
      synchronized (entry) {
        for (DeviceSession session : entry.devices) {
          if (session.phase == DeviceSession.CONNECTED) {
            devicesConnected.decrement();
            connectionClosed(session, CloseReason.ENGINE_CLOSED);
          } else if (session.phase == DeviceSession.GRACE) {
            devicesInGrace.decrement();
          }
          session.phase = DeviceSession.CLOSED;
          wheel.cancel(session);
        }
        gauge(entry.countedState).ifPresent(LongAdder::decrement);
        entry.countedState = PresenceState.OFFLINE;
      }
    }
    hub.closeAll();
    tellClosed();
    bus.close();
    hub.close();
    if (ownedBus != null) {
      ownedBus.close();
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "Presence{node=" + nodeId + ", users=" + users.size() + "}";
  }
}
