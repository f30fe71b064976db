package dev.presence;

/**
 * An intrusive timer entry: the object that owns a deadline (a device, a status, a typing burst)
 * extends this, so scheduling allocates nothing. Fields are guarded by the owning wheel's lock.
 */
abstract class TimerNode {
  /** Wheel tick at which the node fires. */
  long deadlineTick;

  TimerNode prev;
  TimerNode next;

  /** Index of the wheel shard that holds this node; fixed for the node's life. */
  final int shard;

  TimerNode(int shard) {
    this.shard = shard;
  }

  /**
   * Called on the timer thread, outside any wheel lock, once the deadline has passed. The node may
   * have been rescheduled concurrently, so implementations check their real deadlines again.
   */
  abstract void onTimer(long nowNanos);

  final boolean isScheduled() {
    return next != null;
  }
}
