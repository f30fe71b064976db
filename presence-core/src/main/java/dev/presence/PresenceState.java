package dev.presence;

/**
 * A user's presence as other people see it: the one value a status dot shows.
 *
 * <p>Derived from every device of the user by the {@link dev.presence.spi.AggregationPolicy} and the
 * user's {@link StatusMode}. An {@link StatusMode#INVISIBLE invisible} user is {@link #OFFLINE} to others.
 */
public enum PresenceState {
  /** At least one device is connected and shows recent activity. */
  ONLINE,
  /** Connected, but every connected device is idle (no input, reported idle, or tab hidden). */
  IDLE,
  /** The user asked not to be disturbed and has at least one device connected. */
  DND,
  /** No device is connected (after grace), or the user is invisible. */
  OFFLINE
}
