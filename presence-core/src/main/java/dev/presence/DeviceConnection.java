package dev.presence;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One connection of one device, returned by {@link Presence#connect}. The socket layer keeps it with
 * its socket and reports through it.
 *
 * <p>Operations on a handle act only on the connection it stands for: after the same device has
 * reconnected (a new handle), calls on the old handle are harmless no-ops that return false. This is
 * what makes a late close of an old socket safe. After the engine is closed every handle is closed
 * too. Thread-safe: every method may be called from any thread. No method but {@link #setStatus}
 * throws for a closed or replaced connection.
 */
public interface DeviceConnection {

  /**
   * The user this device belongs to.
   *
   * @return the user's id
   */
  String userId();

  /**
   * The device id, unique within its user.
   *
   * @return the device's id
   */
  String deviceId();

  /**
   * The metadata the device connected with.
   *
   * @return the device's metadata
   */
  DeviceInfo info();

  /**
   * Whether this connection is still the device's current, connected one.
   *
   * @return true while this connection is the device's current, connected one
   */
  boolean isOpen();

  /**
   * Why this connection closed, or null while it is open. The same reason its {@link
   * ConnectionListener} is told.
   *
   * @return why it closed, or null while open
   */
  @Nullable CloseReason closeReason();

  /**
   * Records a heartbeat: the connection is alive. Allocates nothing and writes nothing to the store.
   * The time recorded is that of the engine's last timer tick, so its resolution is the timer
   * resolution.
   *
   * @return false if this connection is no longer open
   */
  boolean heartbeat();

  /**
   * Records an input event (key, mouse, touch, scroll): the user is here. Also counts as a heartbeat
   * and clears a client-reported idle.
   *
   * @return false if this connection is no longer open
   */
  boolean activity();

  /**
   * Records the client's own report that its user is idle ({@code true}) or back ({@code false},
   * which also counts as activity).
   *
   * @param idle true when the client reports its user idle, false when back
   * @return false if this connection is no longer open
   */
  boolean setIdle(boolean idle);

  /**
   * Records that the client's tab or window became hidden ({@code false}) or visible ({@code true},
   * which also counts as activity). A hidden device is idle.
   *
   * @param visible true when the tab or window became visible, false when hidden
   * @return false if this connection is no longer open
   */
  boolean setVisible(boolean visible);

  /**
   * Closes this connection. The device stays counted for the grace period, so a reconnect within it
   * changes nothing that others see. A second call is a no-op.
   *
   * @return false if this connection was already closed or replaced
   */
  boolean disconnect();

  /**
   * Sets the user's status from this device, like {@link Presence#setStatus(String, StatusMode,
   * String, java.time.Duration)}, but rate-limited per device (a token bucket, by default 10 changes
   * per 10 seconds). Like it, waits for the store write at most {@code storeTimeout} (with no lock
   * held) and otherwise returns the predicted presence, the write still queued and retried in order.
   *
   * @param mode the status
   * @param customText status text of at most 128 characters, or null (blank means none)
   * @param expiresAfter how long the status lasts, or null for until changed
   * @return the user's presence as others now see it, or as predicted if the write has not landed
   * @throws LimitExceededException if this device changed status too often; nothing changes then
   * @throws IllegalArgumentException if the text is invalid or {@code expiresAfter} not positive
   * @throws IllegalStateException if this connection is no longer open
   * @throws NullPointerException if {@code mode} is null
   */
  UserPresence setStatus(StatusMode mode, @Nullable String customText, @Nullable Duration expiresAfter);

  /**
   * Reports a keystroke in a channel; call it on every keystroke. Receivers get one {@link
   * TypingEvent.Kind#STARTED} per burst, a {@link TypingEvent.Kind#REFRESHED} at most every refresh
   * interval while it lasts, and {@link TypingEvent.Kind#STOPPED} on {@link #stopTyping}, {@link
   * #messageSent}, when this connection closes, or when no keystroke came for the typing timeout.
   * An invisible user's typing is not sent. A keystroke is input: it counts as {@link #activity()}.
   * Only members of a channel type in it: a report for a channel the user is not a member of (on this
   * node, see {@link Presence#joinChannel}) is refused with false, and nothing is sent or recorded.
   *
   * @param channelId the channel's id
   * @return false if this connection is no longer open, or the user is not a member of the channel
   * @throws IllegalArgumentException if the channel id is invalid
   * @throws LimitExceededException if the user already types in {@code maxTypingChannelsPerUser}
   *     channels
   */
  boolean typing(String channelId);

  /**
   * Reports that the user stopped typing in a channel. Does nothing if it was not typing there.
   *
   * @param channelId the channel's id
   * @return false if this connection is no longer open
   * @throws IllegalArgumentException if the channel id is invalid
   */
  boolean stopTyping(String channelId);

  /**
   * Reports that the user sent a message to a channel, which ends its typing there. Sending is input:
   * it counts as {@link #activity()}.
   *
   * @param channelId the channel's id
   * @return false if this connection is no longer open
   * @throws IllegalArgumentException if the channel id is invalid
   */
  boolean messageSent(String channelId);
}
