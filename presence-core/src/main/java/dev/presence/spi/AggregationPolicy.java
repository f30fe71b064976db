package dev.presence.spi;

import dev.presence.PresenceState;
import dev.presence.StatusMode;
import java.util.List;

/**
 * Derives one user presence from the user's devices and chosen status.
 *
 * <p>The engine applies invisibility itself, after the policy: the policy is called with {@link
 * StatusMode#AUTO} or {@link StatusMode#DND} only, and an invisible user is {@link
 * PresenceState#OFFLINE} to others whatever the policy says, so no policy can leak it.
 *
 * <p>Implementations must be pure, fast and thread-safe: a store may call them concurrently, under a
 * lock, and more than once per change.
 */
@FunctionalInterface
public interface AggregationPolicy {

  /**
   * The presence that the given devices and mode imply.
   *
   * @param mode {@link StatusMode#AUTO} or {@link StatusMode#DND}
   * @param devices every recorded device of the user across all nodes, possibly empty
   * @return the aggregate; never null
   */
  PresenceState aggregate(StatusMode mode, List<DeviceRecord> devices);

  /**
   * The default policy: {@link PresenceState#OFFLINE} with no device; {@link PresenceState#DND} if
   * the user set it; {@link PresenceState#ONLINE} if any device is active; else {@link
   * PresenceState#IDLE}.
   *
   * @return the standard policy, a singleton
   */
  static AggregationPolicy standard() {
    return StandardAggregationPolicy.INSTANCE;
  }
}

/** The default policy; a singleton so stores can recognise it (a Redis script implements it). */
final class StandardAggregationPolicy implements AggregationPolicy {
  static final StandardAggregationPolicy INSTANCE = new StandardAggregationPolicy();

  private StandardAggregationPolicy() {}

  @Override
  public PresenceState aggregate(StatusMode mode, List<DeviceRecord> devices) {
    if (devices.isEmpty()) {
      return PresenceState.OFFLINE;
    }
    if (mode == StatusMode.DND) {
      return PresenceState.DND;
    }
    for (DeviceRecord device : devices) {
      if (device.activity() == DeviceActivity.ACTIVE) {
        return PresenceState.ONLINE;
      }
    }
    return PresenceState.IDLE;
  }

  @Override
  public String toString() {
    return "AggregationPolicy.standard()";
  }
}
