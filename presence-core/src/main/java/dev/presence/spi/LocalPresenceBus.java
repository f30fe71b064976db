package dev.presence.spi;

import dev.presence.PresenceChange;
import dev.presence.TypingEvent;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default bus: delivers between engines in this JVM, synchronously in the publisher's thread.
 * With a single engine it delivers nothing (there is no other node); several engines that share one
 * instance and one {@link InMemoryPresenceStore} behave as several nodes.
 *
 * <p>Thread-safe. Honours interest: a node receives only changes of users it watches and typing in
 * channels it watches.
 */
public final class LocalPresenceBus implements PresenceBus {
  private static final Logger log = LoggerFactory.getLogger(LocalPresenceBus.class);

  private static final LocalConnection[] NO_NODES = new LocalConnection[0];

  /** Guards {@link #nodes} and {@link #closed}. */
  private final Object lock = new Object();
  /** Guarded by {@link #lock}; {@link #members} is its copy for publishers. */
  private final Map<String, LocalConnection> nodes = new HashMap<>();
  /**
   * The joined nodes, replaced whole on a join or a leave (rare): every change and typing event is
   * published to them, and an array costs a publisher no iterator and no walk over a map's table.
   */
  private volatile LocalConnection[] members = NO_NODES;
  /** Guarded by {@link #lock}. */
  private boolean closed;

  /** Creates a bus with no node. */
  public LocalPresenceBus() {}

  @Override
  public Connection join(String nodeId, Listener listener) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(listener, "listener");
    LocalConnection connection = new LocalConnection(nodeId, listener);
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the bus is closed");
      }
      if (nodes.putIfAbsent(nodeId, connection) != null) {
        throw new IllegalStateException("node '" + nodeId + "' has already joined this bus");
      }
      members = nodes.values().toArray(NO_NODES);
    }
    return connection;
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      for (LocalConnection node : members) {
        node.open = false; // a publish still walking the old array skips them from now on
      }
      nodes.clear();
      members = NO_NODES;
    }
  }

  private void leave(String nodeId, LocalConnection connection) {
    synchronized (lock) {
      if (nodes.remove(nodeId, connection)) {
        members = nodes.values().toArray(NO_NODES);
      }
    }
  }

  private final class LocalConnection implements Connection {
    private final String nodeId;
    private final Listener listener;
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private final Set<String> watchedChannels = ConcurrentHashMap.newKeySet();
    private volatile boolean open = true;

    LocalConnection(String nodeId, Listener listener) {
      this.nodeId = nodeId;
      this.listener = listener;
    }

    @Override
    public void publish(PresenceChange change) {
      Objects.requireNonNull(change, "change");
      if (!open) {
        return;
      }
      String userId = change.userId();
      for (LocalConnection node : members) {
        if (node != this && node.open && node.watched.contains(userId)) {
          node.deliver(change);
        }
      }
    }

    @Override
    public void publishTyping(TypingEvent event) {
      Objects.requireNonNull(event, "event");
      if (!open) {
        return;
      }
      for (LocalConnection node : members) {
        if (node != this && node.open && node.watchedChannels.contains(event.channelId())) {
          node.deliverTyping(event);
        }
      }
    }

    private void deliverTyping(TypingEvent event) {
      try {
        listener.onTyping(event);
      } catch (RuntimeException e) {
        log.warn("bus listener of node '{}' failed on typing in '{}'", nodeId, event.channelId(), e);
      }
    }

    @Override
    public CompletionStage<Void> watchChannels(Collection<String> channelIds) {
      for (String channelId : channelIds) {
        watchedChannels.add(Objects.requireNonNull(channelId, "channelId"));
      }
      return CompletableFuture.completedFuture(null); // in force at once: delivery is synchronous
    }

    @Override
    public void unwatchChannels(Collection<String> channelIds) {
      for (String channelId : channelIds) {
        watchedChannels.remove(Objects.requireNonNull(channelId, "channelId"));
      }
    }

    private void deliver(PresenceChange change) {
      try {
        listener.onPresenceChange(change);
      } catch (RuntimeException e) {
        log.warn("bus listener of node '{}' failed on a change of '{}'", nodeId, change.userId(), e);
      }
    }

    @Override
    public CompletionStage<Void> watchUsers(Collection<String> userIds) {
      for (String userId : userIds) {
        watched.add(Objects.requireNonNull(userId, "userId"));
      }
      return CompletableFuture.completedFuture(null); // in force at once: delivery is synchronous
    }

    @Override
    public void unwatchUsers(Collection<String> userIds) {
      for (String userId : userIds) {
        watched.remove(Objects.requireNonNull(userId, "userId"));
      }
    }

    @Override
    public void close() {
      open = false;
      leave(nodeId, this);
    }
  }
}
