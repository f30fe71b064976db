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
  static final byte CONNECTED = 0;
  static final byte GRACE = 1;
  static final byte CLOSED = 2;

  // Bits of {@link #flags}.
  private static final int CLIENT_IDLE = 1;
  private static final int HIDDEN = 2;
  private static final int ABSORBED = 4;
  private static final int RECORDED_ACTIVE = 8;
  private static final int RECORDED_IDLE = 16;

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
  /** Written under the user lock; read anywhere. A byte, not an int: see {@link #flags}. */
  volatile byte phase = CONNECTED;
  /** Whether the device is idle, as last decided under the user lock; read on the activity fast path. */
  volatile boolean idle;

  /**
   * Guarded by the user lock: {@link #clientIdle}, {@link #hidden}, {@link #absorbed} and {@link
   * #recorded} as bits. Packed with {@link #phase} and {@link #idle} into 3 bytes, they fill the gap
   * after {@link TimerNode#shard} in the header's last word instead of taking 8 B further on.
   */
  private byte flags;
  /** Guarded by the user lock: subscribers bound to this connection, or null. */
  List<RealSubscriber> subscribers;
  /**
   * While open, the status-change token bucket (null while full); once closed, the {@link
   * CloseStamp}, which carries the bucket on for a takeover. One field for the two: few open
   * connections ever change their status, and with {@link TimerNode#shard} a byte the session is
   * 80 B instead of 88. Written under the user lock; read through {@link #closed()} anywhere.
   */
  private volatile Object tokensOrClosed;

  /** Why and when the connection closed; null while open. */
  CloseStamp closed() {
    return tokensOrClosed instanceof CloseStamp stamp ? stamp : null;
  }

  /** Under the user lock: the connection closed (or its close reason changed); the bucket goes with the stamp. */
  void closed(CloseStamp stamp) {
    Object current = tokensOrClosed;
    TokenBucket tokens = current instanceof CloseStamp old ? old.tokens() : (TokenBucket) current;
    tokensOrClosed = stamp.tokens() == tokens ? stamp : stamp.carrying(tokens);
  }

  /** Under the user lock: the status-change token bucket; null while full. */
  TokenBucket statusTokens() {
    Object current = tokensOrClosed;
    return current instanceof CloseStamp stamp ? stamp.tokens() : (TokenBucket) current;
  }

  /**
   * Under the user lock: the bucket after a change. Ignored once closed: a listener told of the change
   * under the same lock may have closed the connection, and its stamp keeps the bucket it had.
   */
  void statusTokens(TokenBucket tokens) {
    if (!(tokensOrClosed instanceof CloseStamp)) {
      tokensOrClosed = tokens;
    }
  }

  /** Guarded by the user lock: the client said its user is idle. */
  boolean clientIdle() {
    return (flags & CLIENT_IDLE) != 0;
  }

  void clientIdle(boolean on) {
    flag(CLIENT_IDLE, on);
  }

  /** Guarded by the user lock: the client's tab or window is hidden. */
  boolean hidden() {
    return (flags & HIDDEN) != 0;
  }

  void hidden(boolean on) {
    flag(HIDDEN, on);
  }

  /** Guarded by the user lock: this connect was counted as a reconnect absorbed by grace. */
  boolean absorbed() {
    return (flags & ABSORBED) != 0;
  }

  void absorbed(boolean on) {
    flag(ABSORBED, on);
  }

  /** Guarded by the user lock: the activity the store has for this device once queued writes land, or null. */
  DeviceActivity recorded() {
    if ((flags & RECORDED_ACTIVE) != 0) {
      return DeviceActivity.ACTIVE;
    }
    return (flags & RECORDED_IDLE) != 0 ? DeviceActivity.IDLE : null;
  }

  void recorded(DeviceActivity activity) {
    flag(RECORDED_ACTIVE, activity == DeviceActivity.ACTIVE);
    flag(RECORDED_IDLE, activity == DeviceActivity.IDLE);
  }

  private void flag(int bit, boolean on) {
    flags = (byte) (on ? flags | bit : flags & ~bit);
  }

  DeviceSession(
      int shard,
      DeviceLifecycle lifecycle,
      UserEntry user,
      String deviceId,
      DeviceInfo info,
      long now,
      ConnectionListener listener) {
    super(shard);
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
    CloseStamp stamp = closed();
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
