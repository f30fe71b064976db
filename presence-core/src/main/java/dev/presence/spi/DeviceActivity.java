package dev.presence.spi;

/** Whether a connected device shows its user present; what the store records per device. */
public enum DeviceActivity {
  /** Heartbeating and with recent input, visible, not reported idle. */
  ACTIVE,
  /** Connected but idle: no input for a while, reported idle by the client, or its tab is hidden. */
  IDLE
}
