package dev.presence;

import java.util.Map;
import java.util.Objects;

/**
 * Metadata the application attaches to a device when it connects it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param platform what kind of client the device is
 * @param attributes free-form application attributes (for example an app version); copied
 */
public record DeviceInfo(Platform platform, Map<String, String> attributes) {

  /** One shared instance per platform with no attributes: each connection keeps its info. */
  private static final DeviceInfo[] BARE = bare();

  /** A device of unknown platform with no attributes. */
  public static final DeviceInfo UNKNOWN = BARE[Platform.OTHER.ordinal()];

  /**
   * Creates device metadata.
   *
   * @param platform what kind of client the device is
   * @param attributes free-form application attributes (for example an app version); copied
   * @throws NullPointerException if {@code platform} or {@code attributes} (or any key or value) is
   *     null
   */
  public DeviceInfo {
    Objects.requireNonNull(platform, "platform");
    attributes = Map.copyOf(attributes);
  }

  /**
   * Metadata with a platform and no attributes. Returns one shared instance per platform, so a
   * million connections made with it do not keep a million equal objects.
   *
   * @param platform what kind of client the device is
   * @return metadata with that platform and no attributes
   * @throws NullPointerException if {@code platform} is null
   */
  public static DeviceInfo of(Platform platform) {
    return BARE[Objects.requireNonNull(platform, "platform").ordinal()];
  }

  private static DeviceInfo[] bare() {
    Platform[] platforms = Platform.values();
    DeviceInfo[] bare = new DeviceInfo[platforms.length];
    for (Platform platform : platforms) {
      bare[platform.ordinal()] = new DeviceInfo(platform, Map.of());
    }
    return bare;
  }
}
