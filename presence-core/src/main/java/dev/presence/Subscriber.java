package dev.presence;

import java.util.Collection;

/**
 * One receiver of presence and typing changes, usually one connected device of a watcher, created by
 * {@link Presence#subscribe}. It watches users (a contact list) and channels (rooms); changes reach
 * it only for those, coalesced and throttled, through its {@link PresenceSink}.
 *
 * <p>Thread-safe. A subscriber bound to a device connection closes by itself when that connection
 * closes (disconnect, takeover by a reconnect, or expiry); the client subscribes again on its new
 * connection and gets fresh state.
 */
public interface Subscriber extends AutoCloseable {

  /**
   * The user on whose behalf this subscriber watches; visibility is decided for this user.
   *
   * @return the watcher's user id
   */
  String watcherUserId();

  /**
   * Starts watching users and returns their current presence, one entry per distinct id in the order
   * first asked (duplicates are ignored). From then on, only changes with a higher version than the
   * snapshot's are delivered: nothing missed, nothing twice.
   *
   * @param userIds the users' ids
   * @return their current presence, as the watcher may see it
   * @throws IllegalArgumentException if an id is invalid
   * @throws LimitExceededException if the subscriber would watch more than {@code
   *     maxSubscriptionsPerSubscriber} users and channels; nothing changes then
   * @throws IllegalStateException if the subscriber is closed
   * @throws dev.presence.spi.PresenceStoreException if the store cannot be read for the snapshot;
   *     the users this call added are not watched then
   */
  PresenceSnapshot watchUsers(Collection<String> userIds);

  /**
   * Starts watching a channel: the presence of its members, and typing in it. Members who join
   * later are delivered with their current presence in the next batch.
   *
   * @param channelId the channel's id
   * @return the members' current presence and who types in the channel
   * @throws IllegalArgumentException if the id is invalid
   * @throws LimitExceededException past {@code maxSubscriptionsPerSubscriber}
   * @throws IllegalStateException if the subscriber is closed
   * @throws dev.presence.spi.PresenceStoreException if the store cannot be read for the snapshot;
   *     the channel is not watched then (unless it already was)
   */
  PresenceSnapshot watchChannel(String channelId);

  /**
   * Stops watching these users directly (they may still be seen through a watched channel).
   * Unwatching a user not watched does nothing.
   *
   * @param userIds the users' ids
   * @throws IllegalArgumentException if an id is invalid
   */
  void unwatchUsers(Collection<String> userIds);

  /**
   * Stops watching a channel. Does nothing if it is not watched.
   *
   * @param channelId the channel's id
   * @throws IllegalArgumentException if the id is invalid
   */
  void unwatchChannel(String channelId);

  /**
   * Whether the subscriber still receives.
   *
   * @return true until the subscriber is closed
   */
  boolean isOpen();

  /** Stops all deliveries and releases every subscription. Idempotent. */
  @Override
  void close();
}
