package dev.presence;

import dev.presence.spi.DeviceActivity;
import java.time.Duration;
import java.util.List;

/**
 * One connection of one device on this node, and its timer. Heartbeats and input events only write
 * a timestamp; the timer fires at the earliest deadline it was last given and re-checks the real
 * deadlines then (lazy rescheduling), so a heartbeat allocates nothing and touches no timer.
 */
final class DeviceSession extends TimerNode implements DeviceConnection {
  static final int CONNECTED = 0;
  static final int GRACE = 1;
  static final int CLOSED = 2;

  final DeviceLifecycle lifecycle;
  final UserEntry user;
  /**
   * {@code user.userId}, kept here too: a by-id lookup compares it without first loading the {@link
   * UserEntry}, one dependent cache miss fewer on the heartbeat path (the volatile write's fence
   * makes each heartbeat wait for its whole chain of loads).
   */
  final String userId;
  final String deviceId;
  final DeviceInfo info;
  /** Told once when this connection closes, or null. */
  final ConnectionListener listener;

  /** Ticker time of the last heartbeat or input; written without the lock. */
  volatile long lastHeartbeat;
  /** Ticker time of the last input event; written without the lock. */
  volatile long lastActivity;
  /** Written under the user lock; read anywhere. */
  volatile int phase = CONNECTED;
  /** Whether the device is idle, as last decided under the user lock; read on the activity fast path. */
  volatile boolean idle;

  /** Guarded by the user lock: the client said its user is idle. */
  boolean clientIdle;
  /** Guarded by the user lock: the client's tab or window is hidden. */
  boolean hidden;
  /** Guarded by the user lock: the activity the store has for this device, once queued writes land. */
  DeviceActivity recorded;
  /** Guarded by the user lock: this connect was counted as a reconnect absorbed by grace. */
  boolean absorbed;
  /** Guarded by the user lock: subscribers bound to this connection, or null. */
  List<RealSubscriber> subscribers;
  /** Guarded by the user lock: the status-change token bucket; null while full. */
  TokenBucket statusTokens;
  /** Why and when the connection closed; null while open. Written under the user lock. */
  volatile CloseStamp closed;

  DeviceSession(
      DeviceLifecycle lifecycle, UserEntry user, String deviceId, DeviceInfo info, long now, ConnectionListener listener) {
    super(user.shard);
    this.lifecycle = lifecycle;
    this.user = user;
    this.userId = user.userId;
    this.deviceId = deviceId;
    this.info = info;
    this.listener = listener;
    this.lastHeartbeat = now;
    this.lastActivity = now;
  }

  @Override
  public String userId() {
    return user.userId;
  }

  @Override
  public String deviceId() {
    return deviceId;
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  @Override
  public boolean isOpen() {
    return phase == CONNECTED && !lifecycle.run.closed;
  }

  @Override
  public CloseReason closeReason() {
    CloseStamp stamp = closed;
    if (stamp != null) {
      return stamp.reason();
    }
    return lifecycle.run.closed ? CloseReason.ENGINE_CLOSED : null;
  }

  @Override
  public boolean heartbeat() {
    if (phase != CONNECTED || lifecycle.run.closed) {
      return false;
    }
    lastHeartbeat = lifecycle.coarseNow(this);
    return true;
  }

  @Override
  public boolean activity() {
    return lifecycle.activity(this);
  }

  @Override
  public boolean setIdle(boolean idle) {
    return lifecycle.signal(this, idle ? Signal.IDLE : Signal.ACTIVE);
  }

  @Override
  public boolean setVisible(boolean visible) {
    return lifecycle.signal(this, visible ? Signal.VISIBLE : Signal.HIDDEN);
  }

  @Override
  public boolean disconnect() {
    return lifecycle.disconnect(this);
  }

  @Override
  public UserPresence setStatus(StatusMode mode, String customText, Duration expiresAfter) {
    return lifecycle.status.setStatusFrom(this, mode, customText, expiresAfter);
  }

  @Override
  public boolean typing(String channelId) {
    Ids.check("channelId", channelId);
    if (!lifecycle.hub.channels.isMember(user.userId, channelId)) {
      return false; // refused: nothing is sent, and a bogus report is not input either
    }
    return lifecycle.activity(this) && lifecycle.hub.typing.typing(this, channelId);
  }

  @Override
  public boolean stopTyping(String channelId) {
    Ids.check("channelId", channelId);
    if (!isOpen()) {
      return false;
    }
    lifecycle.hub.typing.stopTyping(this, channelId);
    return true;
  }

  @Override
  public boolean messageSent(String channelId) {
    Ids.check("channelId", channelId);
    return lifecycle.activity(this) && stopTyping(channelId);
  }

  @Override
  void onTimer(long nowNanos) {
    lifecycle.timerFired(this);
  }

  /** Client reports that change a device's activity. */
  enum Signal {
    IDLE,
    ACTIVE,
    HIDDEN,
    VISIBLE
  }

  @Override
  public String toString() {
    return "DeviceConnection{" + Ids.shown(user.userId) + "/" + Ids.shown(deviceId) + ", phase=" + phase + "}";
  }
}
