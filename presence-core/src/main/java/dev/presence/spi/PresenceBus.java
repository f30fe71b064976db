package dev.presence.spi;

import dev.presence.PresenceChange;
import dev.presence.TypingEvent;
import java.util.Collection;

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
    /** Called for each change of a watched user published by another node. */
    void onPresenceChange(PresenceChange change);

    /** Called for each typing event in a watched channel published by another node. */
    default void onTyping(TypingEvent event) {}
  }

  /** One node's membership in the bus. Thread-safe. */
  interface Connection extends AutoCloseable {

    /**
     * Sends a change to every other node that watches its user. Never blocks on slow receivers.
     *
     * @throws NullPointerException if {@code change} is null
     */
    void publish(PresenceChange change);

    /**
     * Starts receiving changes of these users. Idempotent: watching a watched user does nothing.
     * The engine calls this and the other watch methods while holding internal locks: they must
     * return quickly (queue network work) and must not call back into the engine.
     *
     * @throws NullPointerException if the collection or an id is null
     */
    void watchUsers(Collection<String> userIds);

    /**
     * Stops receiving changes of these users. Unwatching an unwatched user does nothing.
     *
     * @throws NullPointerException if the collection or an id is null
     */
    void unwatchUsers(Collection<String> userIds);

    /**
     * Sends a typing event to every other node that watches its channel. Never blocks.
     *
     * @throws NullPointerException if {@code event} is null
     */
    void publishTyping(TypingEvent event);

    /**
     * Starts receiving typing events of these channels. Idempotent.
     *
     * @throws NullPointerException if the collection or an id is null
     */
    void watchChannels(Collection<String> channelIds);

    /**
     * Stops receiving typing events of these channels.
     *
     * @throws NullPointerException if the collection or an id is null
     */
    void unwatchChannels(Collection<String> channelIds);

    /** Leaves the bus: nothing more is delivered to this node. Idempotent. */
    @Override
    void close();
  }
}
