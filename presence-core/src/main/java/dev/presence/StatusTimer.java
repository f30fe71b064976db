package dev.presence;

/** The pending expiry of a user's chosen status; returns it to AUTO when it fires. */
final class StatusTimer extends TimerNode {
  final PresenceEngine engine;
  final UserEntry user;
  final long expiresAtMillis;

  StatusTimer(PresenceEngine engine, UserEntry user, long expiresAtMillis) {
    super(user.shard);
    this.engine = engine;
    this.user = user;
    this.expiresAtMillis = expiresAtMillis;
  }

  @Override
  void onTimer(long nowNanos) {
    engine.expireStatus(this);
  }
}
