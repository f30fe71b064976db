package dev.presence;

/** The status a user chooses for themselves; the engine combines it with device activity. */
public enum StatusMode {
  /** Presence follows the devices: online, idle or offline. */
  AUTO,
  /** Do not disturb: shown as {@link PresenceState#DND} while any device is connected. */
  DND,
  /** Shown as {@link PresenceState#OFFLINE} to everyone else, with no typing and a frozen last seen. */
  INVISIBLE
}
