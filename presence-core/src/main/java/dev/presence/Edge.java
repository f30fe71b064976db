package dev.presence;

/**
 * What one subscriber knows of one user it can see, directly or through watched channels. Guarded by
 * the subscriber's monitor.
 */
final class Edge {
  final String userId;
  boolean direct;
  int channelRefs;
  /** What the sink has (or the snapshot gave); null until the first snapshot of the user. */
  UserPresence delivered;
  /** The latest change not yet delivered, or null. */
  UserPresence pending;
  /** Whether the edge is in the subscriber's dirty queue. */
  boolean queued;
  /** The subscriber no longer sees the user; a queued edge is skipped. */
  boolean removed;
  /** The pending presence goes out even if it looks like what was delivered (visibility changed). */
  boolean forced;

  Edge(String userId) {
    this.userId = userId;
  }

  long knownVersion() {
    if (pending != null) {
      return pending.version();
    }
    return delivered != null ? delivered.version() : -1;
  }
}
