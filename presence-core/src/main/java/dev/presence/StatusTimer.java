package dev.presence;

/** The pending expiry of a user's chosen status; returns it to AUTO when it fires. */
final class StatusTimer extends TimerNode {
  final StatusControl control;
  final UserEntry user;
  final long expiresAtMillis;

  StatusTimer(int shard, StatusControl control, UserEntry user, long expiresAtMillis) {
    super(shard);
    this.control = control;
    this.user = user;
    this.expiresAtMillis = expiresAtMillis;
  }

  @Override
  void onTimer(long nowNanos) {
    control.expiryFired(this);
  }
}
