package dev.presence.testkit;

import dev.presence.PresenceChange;
import dev.presence.TypingEvent;
import dev.presence.spi.PresenceBus;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bus that misbehaves on demand around another: it {@linkplain #losing(boolean) loses} messages on
 * their way to receivers, {@linkplain #holdWatches(boolean) holds} watch confirmations until released
 * (a subscription the server has not confirmed yet), and can {@linkplain #resync ask a node to
 * resync}, as a bus does after reconnecting. Thread-safe.
 */
public final class FaultyPresenceBus implements PresenceBus {
  private final PresenceBus delegate;
  private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
  private final List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
  private final AtomicInteger lost = new AtomicInteger();
  private volatile boolean losing;
  private volatile boolean holding;

  /** Wraps {@code delegate}, well-behaved at first. */
  public FaultyPresenceBus(PresenceBus delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** While losing, every message on its way to a receiver is dropped. */
  public FaultyPresenceBus losing(boolean losing) {
    this.losing = losing;
    return this;
  }

  /**
   * While holding, a watch takes effect only on {@link #releaseWatches()} (a subscription the server has
   * not confirmed yet): until then nothing of it is delivered, and its stage is not complete.
   */
  public FaultyPresenceBus holdWatches(boolean holding) {
    this.holding = holding;
    return this;
  }

  /** Confirms every watch held so far. */
  public void releaseWatches() {
    for (CompletableFuture<Void> future : held) {
      future.complete(null);
    }
    held.clear();
  }

  /** Messages dropped so far. */
  public int lost() {
    return lost.get();
  }

  /** Asks a node to resync these users, as a bus does after it reconnected. */
  public void resync(String nodeId, Collection<String> userIds) {
    Listener listener = listeners.get(nodeId);
    if (listener != null) {
      listener.onResync(List.copyOf(userIds));
    }
  }

  @Override
  public Connection join(String nodeId, Listener listener) {
    Objects.requireNonNull(listener, "listener");
    Listener lossy =
        new Listener() {
          @Override
          public void onPresenceChange(PresenceChange change) {
            if (losing) {
              lost.incrementAndGet();
            } else {
              listener.onPresenceChange(change);
            }
          }

          @Override
          public void onTyping(TypingEvent event) {
            if (losing) {
              lost.incrementAndGet();
            } else {
              listener.onTyping(event);
            }
          }

          @Override
          public void onResync(Collection<String> userIds) {
            listener.onResync(userIds);
          }
        };
    Connection connection = delegate.join(nodeId, lossy);
    listeners.put(nodeId, listener);
    return new Connection() {
      @Override
      public void publish(PresenceChange change) {
        connection.publish(change);
      }

      @Override
      public CompletionStage<Void> watchUsers(Collection<String> userIds) {
        List<String> ids = List.copyOf(userIds);
        return confirm(() -> connection.watchUsers(ids));
      }

      @Override
      public void unwatchUsers(Collection<String> userIds) {
        connection.unwatchUsers(userIds);
      }

      @Override
      public void publishTyping(TypingEvent event) {
        connection.publishTyping(event);
      }

      @Override
      public CompletionStage<Void> watchChannels(Collection<String> channelIds) {
        List<String> ids = List.copyOf(channelIds);
        return confirm(() -> connection.watchChannels(ids));
      }

      @Override
      public void unwatchChannels(Collection<String> channelIds) {
        connection.unwatchChannels(channelIds);
      }

      @Override
      public void close() {
        listeners.remove(nodeId, listener);
        connection.close();
      }
    };
  }

  /** Runs the watch now, or, while holding, only on release: until then nothing of it is delivered. */
  private CompletionStage<Void> confirm(java.util.function.Supplier<CompletionStage<Void>> watch) {
    if (!holding) {
      return watch.get();
    }
    CompletableFuture<Void> later = new CompletableFuture<>();
    held.add(later);
    return later.thenCompose(ignored -> watch.get());
  }

  @Override
  public void close() {
    delegate.close();
  }
}
