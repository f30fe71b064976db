package dev.presence;

import dev.presence.spi.PresenceBus;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bus for one node that delivers nothing and records what the node watches, to check that the
 * engine asks the bus only for what its subscribers need and releases it when they leave.
 */
final class InterestRecordingBus implements PresenceBus {
  final Set<String> users = ConcurrentHashMap.newKeySet();
  final Set<String> channels = ConcurrentHashMap.newKeySet();

  @Override
  public Connection join(String nodeId, Listener listener) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(listener, "listener");
    return new Connection() {
      @Override
      public void publish(dev.presence.PresenceChange change) {}

      @Override
      public java.util.concurrent.CompletionStage<Void> watchUsers(Collection<String> userIds) {
        users.addAll(userIds);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
      }

      @Override
      public void unwatchUsers(Collection<String> userIds) {
        users.removeAll(userIds);
      }

      @Override
      public void publishTyping(TypingEvent event) {}

      @Override
      public java.util.concurrent.CompletionStage<Void> watchChannels(Collection<String> channelIds) {
        channels.addAll(channelIds);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
      }

      @Override
      public void unwatchChannels(Collection<String> channelIds) {
        channels.removeAll(channelIds);
      }

      @Override
      public void close() {}
    };
  }
}
