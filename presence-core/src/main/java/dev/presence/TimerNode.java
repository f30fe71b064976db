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

  /**
   * Index of the wheel shard that holds this node; fixed for the node's life. A byte (the wheel has
   * at most 128 shards), so it shares the header's last word with a subclass's small fields.
   */
  final byte shard;

  TimerNode(int shard) {
    if (shard < 0 || shard > Byte.MAX_VALUE) {
      throw new IllegalArgumentException("shard must be in [0, 127] but was " + shard);
    }
    this.shard = (byte) shard;
  }

  /**
   * Called on the timer thread, outside any wheel lock, once the deadline has passed. The node may
   * have been rescheduled concurrently, so implementations check their real deadlines again.
   */
  abstract void onTimer(long nowNanos);

  /**
   * Loads what {@link #onTimer} will touch first, and nothing else: the wheel calls this for a run of
   * due nodes before firing them, so their cache misses overlap instead of each waiting behind the
   * locked instructions of the firing before it. Returns a value derived from the loads (the caller
   * folds them together, so the compiler keeps them). Only loads; no writes, no locks.
   */
  int touch() {
    return shard;
  }

  final boolean isScheduled() {
    return next != null;
  }
}
