package dev.presence;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A room on this node: its members (managed by the application), its local watchers, and the typing
 * bursts in it. The monitor guards membership changes, watcher changes and typing; the sets are
 * concurrent so fanout reads them without the lock. An empty channel is retired, like a user entry.
 */
final class Channel {
  final String id;
  final Set<String> members = ConcurrentHashMap.newKeySet();
  final Set<RealSubscriber> watchers = ConcurrentHashMap.newKeySet();
  /** User id → its burst here. */
  final ConcurrentHashMap<String, TypingBurst> typing = new ConcurrentHashMap<>();
  /** Guarded by this. */
  boolean retired;
  /**
   * The watchers as an array, for typing fanout (a concurrent set is slow to walk): dropped when the
   * watchers change and made again by the next fanout under this monitor ({@link #watcherArray}).
   */
  private volatile RealSubscriber[] watcherArray;

  Channel(String id) {
    this.id = id;
  }

  /** Guarded by this. */
  boolean isUnused() {
    return members.isEmpty() && watchers.isEmpty() && typing.isEmpty();
  }

  /** Under this monitor, after {@link #watchers} changed. */
  void watchersChanged() {
    watcherArray = null;
  }

  /**
   * The watchers as an array; under this monitor, which keeps it current. Without the monitor, the
   * last array made, or null: then walk {@link #watchers}.
   */
  RealSubscriber[] watcherArray(boolean locked) {
    RealSubscriber[] array = watcherArray;
    if (array == null && locked) {
      array = watchers.toArray(new RealSubscriber[0]);
      watcherArray = array;
    }
    return array;
  }
}
