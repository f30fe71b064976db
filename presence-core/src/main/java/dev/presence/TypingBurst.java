package dev.presence;

/**
 * One user typing in one channel: from the first keystroke until stop, message sent, the typing
 * device's connection closing, or the timeout after the last keystroke. Guarded by the channel's
 * monitor; its timer fires at the timeout and re-checks the last keystroke (lazy, like devices).
 */
final class TypingBurst extends TimerNode {
  final Typing typing;
  final Channel channel;
  final String userId;
  /** The connection that typed last; the burst ends if it closes. */
  DeviceSession device;
  /** Ticker time of the last keystroke. */
  long lastSignal;
  /** Ticker time at which receivers drop the indicator unless they hear again: the last event's expiry. */
  long receiverExpiry;
  boolean ended;

  TypingBurst(Typing typing, Channel channel, DeviceSession device, long now) {
    super(device.shard);
    this.typing = typing;
    this.channel = channel;
    this.userId = device.user.userId;
    this.device = device;
    this.lastSignal = now;
  }

  @Override
  void onTimer(long nowNanos) {
    typing.timer(this, nowNanos);
  }
}
