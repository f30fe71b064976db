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

  Channel(String id) {
    this.id = id;
  }

  /** Guarded by this. */
  boolean isUnused() {
    return members.isEmpty() && watchers.isEmpty() && typing.isEmpty();
  }
}
