package dev.presence;

/** The kind of client a device is, as reported by the application when it connects the device. */
public enum Platform {
  /** A browser tab. */
  WEB,
  /** A phone or tablet app. */
  MOBILE,
  /** A desktop app. */
  DESKTOP,
  /** Anything else, or unknown. */
  OTHER
}
