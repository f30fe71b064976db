package dev.presence.spi;

import dev.presence.Platform;
import java.util.Objects;

/**
 * One connected device as the shared store records it. A device in grace stays recorded with its
 * last activity, so a reconnect within grace changes nothing that others see.
 *
 * <p>Immutable and thread-safe.
 *
 * @param deviceId the device, unique within its user
 * @param nodeId the server node the device is connected to
 * @param activity whether it shows the user present
 * @param platform what kind of client it is
 * @param sinceMillis wall time of the device's last recorded change
 */
public record DeviceRecord(
    String deviceId, String nodeId, DeviceActivity activity, Platform platform, long sinceMillis) {

  /**
   * Creates a device record.
   *
   * @param deviceId the device, unique within its user
   * @param nodeId the server node the device is connected to
   * @param activity whether it shows the user present
   * @param platform what kind of client it is
   * @param sinceMillis wall time of the device's last recorded change
   * @throws NullPointerException if any reference argument is null
   */
  public DeviceRecord {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(activity, "activity");
    Objects.requireNonNull(platform, "platform");
  }
}
