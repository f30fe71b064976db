package dev.presence.spi;

import dev.presence.PresenceChange;
import dev.presence.TypingEvent;
import java.util.Collection;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * How presence changes and typing events travel between nodes. Interest-based: a node receives only
 * changes of the users it watches and typing in the channels it watches, never a global broadcast.
 *
 * <p>Implementations must be thread-safe. Delivery may be lost, duplicated or reordered between
 * nodes; receivers use the version to drop anything not newer than what they have. Every
 * implementation must pass {@code PresenceBusContract} from the test kit.
 */
public interface PresenceBus extends AutoCloseable {

  /**
   * Joins the bus as a node.
   *
   * @param nodeId the joining node; its own publications are not delivered back to it
   * @param listener receives changes published by other nodes for users this node watches
   * @return the node's connection
   * @throws NullPointerException if an argument is null
   * @throws IllegalStateException if a node with this id is already joined or the bus is closed
   */
  Connection join(String nodeId, Listener listener);

  /** Releases the bus's resources; joined connections stop receiving. */
  @Override
  default void close() {}

  /**
   * Receives changes from other nodes. Called from any thread; must be fast and must not block. A
   * listener that throws is logged by the bus and does not stop delivery to others.
   */
  @FunctionalInterface
  interface Listener {
    /**
     * Called for each change of a watched user published by another node.
     *
     * @param change the change, from another node
     */
    void onPresenceChange(PresenceChange change);

    /**
     * Called for each typing event in a watched channel published by another node.
     *
     * @param event the typing event, from another node
     */
    default void onTyping(TypingEvent event) {}

    /**
     * The bus may have lost changes of these users (it reconnected, or resubscribed after a server
     * change): the engine re-reads them from the store and delivers whatever changed. A lost change
     * is harmless only if a later one follows, so a bus calls this after every reconnect or
     * resubscribe, for the users it watches. Never called on a thread the bus needs for its own I/O.
     *
     * @param userIds the watched users whose changes may have been lost
     */
    default void onResync(Collection<String> userIds) {}
  }

  /** One node's membership in the bus. Thread-safe. */
  interface Connection extends AutoCloseable {

    /**
     * Sends a change to every other node that watches its user. Never blocks on slow receivers.
     *
     * @param change the change
     * @throws NullPointerException if {@code change} is null
     */
    void publish(PresenceChange change);

    /**
     * Starts receiving changes of these users. Idempotent: watching a watched user does nothing.
     * Returns at once (network work is queued) and must not call back into the engine; the stage
     * completes once delivery of every later change of these users is guaranteed (the server
     * confirmed the subscription), so a snapshot read after it misses nothing. The engine reads its
     * snapshot only then.
     *
     * <p>The bus keeps the set of users it was asked to watch and restores it after a reconnect or a
     * server change on its own (then asking for a resync): the engine tells it once per user and
     * does not retry. A watch that cannot be confirmed now completes when it can.
     *
     * @param userIds the users' ids
     * @return completes when the watch is in force; exceptionally if it never can be
     * @throws NullPointerException if the collection or an id is null
     */
    CompletionStage<@Nullable Void> watchUsers(Collection<String> userIds);

    /**
     * Stops receiving changes of these users. Unwatching an unwatched user does nothing.
     *
     * @param userIds the users' ids
     * @throws NullPointerException if the collection or an id is null
     */
    void unwatchUsers(Collection<String> userIds);

    /**
     * Sends a typing event to every other node that watches its channel. Never blocks.
     *
     * @param event the typing event
     * @throws NullPointerException if {@code event} is null
     */
    void publishTyping(TypingEvent event);

    /**
     * Starts receiving typing events of these channels. Idempotent. Returns at once, like {@link
     * #watchUsers}.
     *
     * @param channelIds the channels' ids
     * @return completes when the watch is in force
     * @throws NullPointerException if the collection or an id is null
     */
    CompletionStage<@Nullable Void> watchChannels(Collection<String> channelIds);

    /**
     * Stops receiving typing events of these channels.
     *
     * @param channelIds the channels' ids
     * @throws NullPointerException if the collection or an id is null
     */
    void unwatchChannels(Collection<String> channelIds);

    /** Leaves the bus: nothing more is delivered to this node. Idempotent. */
    @Override
    void close();
  }
}
