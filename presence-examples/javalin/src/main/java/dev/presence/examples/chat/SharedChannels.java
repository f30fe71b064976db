package dev.presence.examples.chat;

import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Channel membership shared between demo servers. The engine keeps members per node (membership is
 * the application's), so with several servers each one must learn who joined a channel elsewhere:
 * otherwise a user watching a channel here would never see a member connected to another server.
 */
public interface SharedChannels extends AutoCloseable {

  /**
   * Records that a user joined a channel on this server.
   *
   * @param channelId the channel
   * @param userId the user who joined
   * @return every member any server has recorded for the channel (this one included); empty when
   *     nothing is shared or the shared copy cannot be reached
   */
  Set<String> join(String channelId, String userId);

  /**
   * Sets what runs when another server records a join.
   *
   * @param listener called with the channel id and the user id, on a thread of the implementation
   */
  void onJoin(BiConsumer<String, String> listener);

  /** Stops listening and closes connections. */
  @Override
  void close();

  /**
   * For a single server: nothing to share.
   *
   * @return membership that stays in the engine
   */
  static SharedChannels none() {
    return new SharedChannels() {
      @Override
      public Set<String> join(String channelId, String userId) {
        return Set.of();
      }

      @Override
      public void onJoin(BiConsumer<String, String> listener) {}

      @Override
      public void close() {}
    };
  }
}
