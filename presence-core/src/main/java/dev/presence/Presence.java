package dev.presence;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The presence engine: the one entry point an application's socket layer calls. It knows every
 * device of every user, derives one presence per user, and reports every change to its listeners.
 *
 * <p>Build one with {@link #builder()}. Thread-safe: every method may be called from any thread;
 * changes of one user are applied in order, and there is no global lock. The engine never owns a
 * socket and never blocks on a listener beyond the listener's own running time.
 *
 * <p>Store writes are asynchronous and ordered per user: no store call runs under a lock, a store
 * outage does not stop local presence (connections, heartbeats, local fanout, typing), and the
 * writes queued meanwhile land in order once the store is back. {@code connect} and {@code
 * setStatus} wait for their write at most {@code storeTimeout}. Reads ({@link #get}, {@link #getAll},
 * subscription snapshots) stay synchronous, bounded by the store's own timeout.
 *
 * <p>Ids are validated: a user or device id must be non-null, non-empty, at most 256 UTF-8 bytes and
 * free of control characters, or the call throws {@link IllegalArgumentException} and changes
 * nothing. Calls after {@link #close()} throw {@link IllegalStateException}.
 */
public interface Presence extends AutoCloseable {

  /**
   * A builder with every setting at its default.
   *
   * @return a new builder
   */
  static PresenceBuilder builder() {
    return new PresenceBuilder();
  }

  /**
   * Connects a device of unknown platform. See {@link #connect(String, String, DeviceInfo)}.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @return the handle of this connection, to keep with the socket
   * @throws IllegalArgumentException if an id is invalid or the user is at its device limit
   */
  default DeviceConnection connect(String userId, String deviceId) {
    return connect(userId, deviceId, DeviceInfo.UNKNOWN);
  }

  /**
   * Connects a device of a user. A fresh device starts active. If the same device is in grace (or
   * still connected through an older socket), the new connection takes it over and keeps its state,
   * so nothing changes that others see; the older handle stops working.
   *
   * <p>The connection works locally at once (heartbeats, local fanout to subscribers, typing). Its
   * claim in the store is queued in the user's ordered write queue, and this waits for it with no
   * lock held, at most {@code storeTimeout} (default 2 s), less if the store fails at once: a store
   * outage does not fail the connect; the claim is retried in order, and the user shows as online
   * once it lands. If the store later refuses the claim (the user is at {@code maxDevicesPerUser}
   * across nodes), the connection closes with {@link CloseReason#REFUSED}.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @param info the device's metadata
   * @return the handle of this connection, to keep with the socket
   * @throws IllegalArgumentException if an id is invalid, or the user already has {@code
   *     maxDevicesPerUser} devices (found here, or by the store within {@code storeTimeout}); nothing
   *     changes then
   * @throws NullPointerException if {@code info} is null
   */
  DeviceConnection connect(String userId, String deviceId, DeviceInfo info);

  /**
   * Connects a device, like {@link #connect(String, String, DeviceInfo)}, with a listener told once
   * when this connection closes and why: in particular when the engine ends it (heartbeat TTL
   * expired, taken over by a newer connection of the same device, replaced under {@link
   * DeviceOverflow#REPLACE_LEAST_RECENTLY_ACTIVE}, engine closed), so the socket layer can close the
   * socket at once. See {@link ConnectionListener} for its thread and contract.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @param info the device's metadata
   * @param listener told when the connection closes; null for none
   * @return the handle of this connection, to keep with the socket
   * @throws IllegalArgumentException if an id is invalid
   * @throws LimitExceededException if the user already has {@code maxDevicesPerUser} devices and
   *     the     overflow policy rejects, found here or by the store within {@code storeTimeout};
   *     nothing     changes then (a later refusal closes the connection with {@link
   *     CloseReason#REFUSED})
   * @throws NullPointerException if {@code info} is null
   * @throws IllegalStateException if the engine is closed
   */
  DeviceConnection connect(
      String userId, String deviceId, DeviceInfo info, @Nullable ConnectionListener listener);

  /**
   * Records a heartbeat of the device's current connection. Prefer {@link
   * DeviceConnection#heartbeat()}, which skips the lookup.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @return false if the device is not connected (unknown, in grace, or gone): the client should
   *     connect again
   * @throws IllegalArgumentException if an id is invalid
   */
  boolean heartbeat(String userId, String deviceId);

  /**
   * Records an input event on the device's current connection; see {@link
   * DeviceConnection#activity()}.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @return false if the device is not connected
   * @throws IllegalArgumentException if an id is invalid
   */
  boolean activity(String userId, String deviceId);

  /**
   * Records the client's report that the device is idle or back; see {@link
   * DeviceConnection#setIdle(boolean)}.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @param idle true when the client reports its user idle, false when back
   * @return false if the device is not connected
   * @throws IllegalArgumentException if an id is invalid
   */
  boolean setIdle(String userId, String deviceId, boolean idle);

  /**
   * Records that the device's tab became hidden or visible; see {@link
   * DeviceConnection#setVisible(boolean)}.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @param visible true when the tab or window became visible, false when hidden
   * @return false if the device is not connected
   * @throws IllegalArgumentException if an id is invalid
   */
  boolean setVisible(String userId, String deviceId, boolean visible);

  /**
   * Disconnects the device's current connection; it stays counted for the grace period. Prefer
   * {@link DeviceConnection#disconnect()}, which cannot hit a newer connection of the same device.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @return false if the device was not connected (a harmless no-op)
   * @throws IllegalArgumentException if an id is invalid
   */
  boolean disconnect(String userId, String deviceId);

  /**
   * Sets the user's status with no text and no expiry.
   *
   * @param userId the user's id
   * @param mode the status
   * @return the user's presence as others now see it
   * @throws IllegalArgumentException if the id is invalid
   * @throws NullPointerException if {@code mode} is null
   */
  default UserPresence setStatus(String userId, StatusMode mode) {
    return setStatus(userId, mode, null, null);
  }

  /**
   * Sets the user's status: AUTO, DND or INVISIBLE, with optional text, and optionally an expiry after
   * which the status returns to AUTO and the text is cleared. Works whether or not the user has a
   * device connected.
   *
   * <p>The store write is queued in the user's ordered write queue; this waits for it with no lock
   * held, at most {@code storeTimeout} (less if the store fails at once). If it has not landed by
   * then, this returns the presence predicted by applying the change to the last record this node
   * has ({@link dev.presence.spi.UserRecord#apply}), and the write stays queued, retried in order
   * until the store takes it.
   *
   * @param userId the user's id
   * @param mode the status
   * @param customText status text of at most 128 characters, or null (blank means none)
   * @param expiresAfter how long the status lasts, or null for until changed
   * @return the user's presence as others now see it, or as predicted if the write has not landed
   * @throws IllegalArgumentException if the id or the text is invalid, or {@code expiresAfter} is
   *     not positive; nothing changes then
   * @throws NullPointerException if {@code mode} is null
   */
  UserPresence setStatus(
      String userId, StatusMode mode, @Nullable String customText, @Nullable Duration expiresAfter);

  /**
   * The user's presence as others see it, ignoring the visibility policy (a trusted server view; use
   * {@link #viewAs} to answer a client). Read from the store synchronously, bounded by the store's
   * own timeout; writes of this node still queued are not in it yet.
   *
   * @param userId the user's id
   * @return the user's presence; {@link UserPresence#unknown} for a user never seen
   * @throws IllegalArgumentException if the id is invalid
   * @throws dev.presence.spi.PresenceStoreException if the store cannot be reached
   */
  UserPresence get(String userId);

  /**
   * The presence of many users in one call (one store round trip), one entry per id in the order
   * asked, as an unmodifiable list; users never
   * seen are {@link UserPresence#unknown offline with version 0}. Ignores the visibility policy, like
   * {@link #get}; a synchronous read like it.
   *
   * @param userIds the users' ids
   * @return their presence, in the order asked
   * @throws IllegalArgumentException if any id is invalid
   * @throws NullPointerException if {@code userIds} is null
   */
  List<UserPresence> getAll(Collection<String> userIds);

  /**
   * Creates a subscriber bound to a device connection: it receives on behalf of that device's user
   * and closes when the connection closes (disconnect, takeover by a reconnect, or expiry).
   *
   * @param connection a connection returned by this engine's {@code connect}
   * @param sink receives the subscriber's presence batches and typing
   * @return the new subscriber, watching nothing yet
   * @throws IllegalArgumentException if the connection is not one of this engine's
   * @throws IllegalStateException if the connection is already closed
   * @throws NullPointerException if an argument is null
   */
  Subscriber subscribe(DeviceConnection connection, PresenceSink sink);

  /**
   * Creates a subscriber for an application-defined sink, on behalf of a watcher user, not bound to
   * any device: it lives until closed.
   *
   * @param watcherUserId the user on whose behalf it watches
   * @param sink receives the subscriber's presence batches and typing
   * @return the new subscriber, watching nothing yet
   * @throws IllegalArgumentException if the id is invalid
   * @throws NullPointerException if {@code sink} is null
   */
  Subscriber subscribe(String watcherUserId, PresenceSink sink);

  /**
   * Makes a user a member of a channel. Subscribers watching the channel start receiving the member's
   * presence (its current presence comes in their next batch). Idempotent.
   *
   * @param channelId the channel's id
   * @param userId the member's id
   * @throws IllegalArgumentException if an id is invalid
   * @throws dev.presence.spi.PresenceStoreException if the store cannot be read for the member's
   *     presence (needed when a subscriber here watches the channel); the user is not a member then
   */
  void joinChannel(String channelId, String userId);

  /**
   * Removes a user from a channel; its typing there stops. Idempotent.
   *
   * @param channelId the channel's id
   * @param userId the member's id
   * @throws IllegalArgumentException if an id is invalid
   */
  void leaveChannel(String channelId, String userId);

  /**
   * The channel's members on this node.
   *
   * @param channelId the channel's id
   * @return the member ids, an unmodifiable copy
   * @throws IllegalArgumentException if the id is invalid
   */
  Set<String> channelMembers(String channelId);

  /**
   * Reports a keystroke of a device in a channel; see {@link DeviceConnection#typing(String)}. It
   * counts as input; a report for a channel the user is not a member of is refused.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @param channelId the channel's id
   * @return false if the device is not connected, or the user is not a member of the channel
   * @throws IllegalArgumentException if an id is invalid
   * @throws LimitExceededException past {@code maxTypingChannelsPerUser}
   */
  boolean typing(String userId, String deviceId, String channelId);

  /**
   * Reports that a device stopped typing in a channel; see {@link DeviceConnection#stopTyping}.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @param channelId the channel's id
   * @return false if the device is not connected
   * @throws IllegalArgumentException if an id is invalid
   */
  boolean stopTyping(String userId, String deviceId, String channelId);

  /**
   * Reports that a device sent a message to a channel, which ends its typing there; see {@link
   * DeviceConnection#messageSent}.
   *
   * @param userId the user's id
   * @param deviceId the device's id, unique within its user
   * @param channelId the channel's id
   * @return false if the device is not connected
   * @throws IllegalArgumentException if an id is invalid
   */
  boolean messageSent(String userId, String deviceId, String channelId);

  /**
   * Queries as {@code viewerUserId} sees them: the visibility policy applies and the viewer sees its
   * own real status.
   *
   * @param viewerUserId the user whose view the queries take
   * @return a view for that user
   * @throws IllegalArgumentException if the id is invalid
   */
  PresenceView viewAs(String viewerUserId);

  /**
   * Tells the engine that the application's visibility rules about one user changed (she blocked or
   * unblocked someone, a contact request was accepted): every subscriber on this node that watches
   * {@code targetUserId} is asked the {@link VisibilityPolicy} again and gets what it now sees in its
   * next batch, even if nothing else changed: the real presence, or {@link UserPresence#unknown} if
   * it may no longer see her. A watcher that may no longer see her also gets a typing stop in each
   * watched channel she is a member of, and no more of her typing. Subscribers on other nodes are
   * not affected: call it on each node whose subscribers may watch her.
   *
   * @param targetUserId the user whose visibility rules changed
   * @throws IllegalArgumentException if the id is invalid
   * @throws IllegalStateException if the engine is closed
   * @throws dev.presence.spi.PresenceStoreException if the store cannot be read for her presence
   */
  void visibilityChanged(String targetUserId);

  /**
   * Like {@link #visibilityChanged(String)}, for one watcher only: the rules changed for whether
   * {@code watcherUserId} may see {@code targetUserId}. Only that watcher's subscribers on this node
   * are affected.
   *
   * @param watcherUserId the watcher whose view of the target changed
   * @param targetUserId the user watched
   * @throws IllegalArgumentException if an id is invalid
   * @throws IllegalStateException if the engine is closed
   * @throws dev.presence.spi.PresenceStoreException if the store cannot be read for her presence
   */
  void visibilityChanged(String watcherUserId, String targetUserId);

  /**
   * A snapshot of this engine's counters.
   *
   * @return the counters as of now
   */
  PresenceStats stats();

  /**
   * This node's id in the store and on the bus.
   *
   * @return the node's id
   */
  String nodeId();

  /**
   * Closes the engine: every open connection closes (its {@link ConnectionListener} is told {@link
   * CloseReason#ENGINE_CLOSED}), every subscriber closes (its sink is told the same), the timers stop,
   * the node leaves the bus, and it gives up its lease in the store. The devices stay recorded for
   * the grace period, so clients that reconnect through another node meanwhile move there with no
   * change; the other nodes then remove the rest, with last seen = now. A rolling deploy thus looks
   * like reconnects, not like a crash. Returns without waiting for store work already under way, nor
   * for store writes still queued: a write already sent may still land, the rest is never sent (the
   * lease leave makes it moot: the other nodes sweep what this node held).
   * Afterwards every method but {@link #stats()}, {@link #nodeId()} and {@code close} throws {@link
   * IllegalStateException}; connection handles report themselves closed. Idempotent.
   */
  @Override
  void close();
}
