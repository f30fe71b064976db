package dev.presence;

/**
 * What one subscriber knows of one user it can see, directly or through watched channels. Guarded by
 * the subscriber's monitor, except {@link #queued}, which fanout also reads without it ({@link
 * Audience}).
 */
final class Edge {
  final String userId;
  final RealSubscriber subscriber;
  /** The user is the watcher herself: she gets her own view, not the public one. */
  final boolean own;
  boolean direct;
  int channelRefs;
  /** What the sink has (or the snapshot gave); null until the first snapshot of the user. */
  UserPresence delivered;
  /** The latest change not yet delivered, or null (an {@link Audience}'s latest may be newer). */
  UserPresence pending;
  /**
   * Whether the edge is in the subscriber's dirty queue. Volatile: an edge already queued is skipped
   * by fanout without the monitor, and the flush that takes it out reads its audience's latest.
   */
  volatile boolean queued;
  /** The next edge in the subscriber's dirty queue. */
  Edge nextDirty;
  /** The subscriber no longer sees the user; a queued edge is skipped. */
  boolean removed;
  /** The pending presence goes out even if it looks like what was delivered (visibility changed). */
  boolean forced;
  /** The audience this edge is in while the user is watched directly; written under both locks. */
  Audience audience;
  /** Its index in the audience's array. */
  int audienceSlot;

  Edge(String userId, RealSubscriber subscriber) {
    this.userId = userId;
    this.subscriber = subscriber;
    this.own = subscriber.isWatcher(userId);
  }

  long knownVersion() {
    if (pending != null) {
      return pending.version();
    }
    return delivered != null ? delivered.version() : -1;
  }
}
