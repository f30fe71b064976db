package dev.presence.spi;

import dev.presence.Platform;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One connected device as the shared store records it. A device in grace stays recorded with its
 * last activity, so a reconnect within grace changes nothing that others see.
 *
 * <p>Immutable and thread-safe. A value class with the constructor and accessors a record would
 * have, not a record: a store keeps one per connected device, and holding its two enums as ordinals
 * makes it 32 bytes instead of 40 (BENCHMARKS.md, "Issue 11 fifth round"). Two device records are
 * equal when every component is.
 */
public final class DeviceRecord {
  private static final DeviceActivity[] ACTIVITIES = DeviceActivity.values();
  private static final Platform[] PLATFORMS = Platform.values();

  private final String deviceId;
  private final String nodeId;
  private final long sinceMillis;
  private final byte activity;
  private final byte platform;

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
  public DeviceRecord(String deviceId, String nodeId, DeviceActivity activity, Platform platform, long sinceMillis) {
    this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.activity = (byte) Objects.requireNonNull(activity, "activity").ordinal();
    this.platform = (byte) Objects.requireNonNull(platform, "platform").ordinal();
    this.sinceMillis = sinceMillis;
  }

  /**
   * The device, unique within its user.
   *
   * @return the device's id
   */
  public String deviceId() {
    return deviceId;
  }

  /**
   * The server node the device is connected to.
   *
   * @return the node's id
   */
  public String nodeId() {
    return nodeId;
  }

  /**
   * Whether it shows the user present.
   *
   * @return the activity
   */
  public DeviceActivity activity() {
    return ACTIVITIES[activity];
  }

  /**
   * What kind of client it is.
   *
   * @return the platform
   */
  public Platform platform() {
    return PLATFORMS[platform];
  }

  /**
   * Wall time of the device's last recorded change.
   *
   * @return epoch milliseconds
   */
  public long sinceMillis() {
    return sinceMillis;
  }

  /**
   * Whether {@code other} is a device record with equal components.
   *
   * @param other any object, or null
   * @return true if every component is equal
   */
  @Override
  public boolean equals(@Nullable Object other) {
    return other == this
        || other instanceof DeviceRecord that
            && deviceId.equals(that.deviceId)
            && nodeId.equals(that.nodeId)
            && activity == that.activity
            && platform == that.platform
            && sinceMillis == that.sinceMillis;
  }

  /**
   * A hash of every component, consistent with {@link #equals}.
   *
   * @return the hash
   */
  @Override
  public int hashCode() {
    return Objects.hash(deviceId, nodeId, activity(), platform(), sinceMillis);
  }

  /**
   * Every component, as a record would show them.
   *
   * @return a description for logs and test failures
   */
  @Override
  public String toString() {
    return "DeviceRecord[deviceId="
        + deviceId
        + ", nodeId="
        + nodeId
        + ", activity="
        + activity()
        + ", platform="
        + platform()
        + ", sinceMillis="
        + sinceMillis
        + "]";
  }
}
