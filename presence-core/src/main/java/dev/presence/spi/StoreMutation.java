package dev.presence.spi;

import dev.presence.StatusMode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One state change of one user, as data, so a remote store can apply it in one round trip.
 *
 * <p>Every mutation carries {@code atMillis}, the wall time the change happened; it becomes the
 * user's last seen when the change alters what others see (for a removal after grace that is the
 * disconnect time, not the end of grace). All implementations are immutable records.
 */
public sealed interface StoreMutation
    permits StoreMutation.PutDevice,
        StoreMutation.RemoveDevice,
        StoreMutation.SetStatus,
        StoreMutation.ClearExpiredStatus,
        StoreMutation.RemoveNode {

  /**
   * Wall time, in epoch milliseconds, at which the change happened.
   *
   * @return the time, in epoch milliseconds
   */
  long atMillis();

  /**
   * Adds a device or replaces the record of the same device id.
   *
   * <p>A connect claims the device: it takes the record over from whichever node held it. An update
   * (the device went idle or active) does not: if another node has claimed the device since, the
   * update is ignored, so a node with a half-open socket cannot take a device back.
   *
   * <p>A connect past the device limit may name a device of the same node to drop in the same step
   * ({@code evictDeviceId}), so replacing a device never shows the user leaving and coming back.
   *
   * @param device the device's new record
   * @param maxDevices the most devices the user may have; adding one more is rejected
   * @param claim true for a connect, false for an update of a device this node already holds
   * @param atMillis when it happened
   * @param evictDeviceId a device of the same node to remove in the same step, or null
   */
  record PutDevice(
      DeviceRecord device, int maxDevices, boolean claim, long atMillis, @Nullable String evictDeviceId)
      implements StoreMutation {
    /**
     * Creates the mutation.
     *
     * @param device the device's new record
     * @param maxDevices the most devices the user may have; adding one more is rejected
     * @param claim true for a connect, false for an update of a device this node already holds
     * @param atMillis when it happened
     * @param evictDeviceId a device of the same node to remove in the same step, or null
     * @throws NullPointerException if {@code device} is null
     * @throws IllegalArgumentException if {@code maxDevices} is not positive
     */
    public PutDevice {
      Objects.requireNonNull(device, "device");
      if (maxDevices <= 0) {
        throw new IllegalArgumentException("maxDevices must be positive but was " + maxDevices);
      }
    }

    /**
     * A put that evicts nothing.
     *
     * @param device the device's new record
     * @param maxDevices the most devices the user may have
     * @param claim true for a connect, false for an update
     * @param atMillis when it happened
     * @throws NullPointerException if {@code device} is null
     * @throws IllegalArgumentException if {@code maxDevices} is not positive
     */
    public PutDevice(DeviceRecord device, int maxDevices, boolean claim, long atMillis) {
      this(device, maxDevices, claim, atMillis, null);
    }

    /**
     * A claiming put, as a connect makes.
     *
     * @param device the device's new record
     * @param maxDevices the most devices the user may have
     * @param atMillis when it happened
     * @throws NullPointerException if {@code device} is null
     * @throws IllegalArgumentException if {@code maxDevices} is not positive
     */
    public PutDevice(DeviceRecord device, int maxDevices, long atMillis) {
      this(device, maxDevices, true, atMillis, null);
    }
  }

  /**
   * Removes a device, but only if the given node still owns it: a device that moved to another node
   * in the meantime stays.
   *
   * @param deviceId the device
   * @param nodeId the node that is removing it
   * @param atMillis when the device was last connected
   */
  record RemoveDevice(String deviceId, String nodeId, long atMillis) implements StoreMutation {
    /**
     * Creates the mutation.
     *
     * @param deviceId the device
     * @param nodeId the node that is removing it
     * @param atMillis when the device was last connected
     * @throws NullPointerException if an id is null
     */
    public RemoveDevice {
      Objects.requireNonNull(deviceId, "deviceId");
      Objects.requireNonNull(nodeId, "nodeId");
    }
  }

  /**
   * Sets the user's chosen status.
   *
   * <p>A re-assert ({@code reassert}) is a node putting back, after the store lost its data, a status
   * it knows: {@code atMillis} is then when the status was originally set, and it applies only if the
   * record holds no status set at that time or later, so nodes re-asserting in any order end with the
   * newest status.
   *
   * @param mode the status
   * @param customText status text, or null
   * @param expiresAtMillis wall time at which the status returns to AUTO without text; 0 for never
   * @param atMillis when it happened (for a re-assert: when it was originally set)
   * @param reassert whether this puts back a status after a loss of the store's data
   */
  record SetStatus(
      StatusMode mode, @Nullable String customText, long expiresAtMillis, long atMillis, boolean reassert)
      implements StoreMutation {
    /**
     * Creates the mutation.
     *
     * @param mode the status
     * @param customText status text, or null
     * @param expiresAtMillis wall time at which the status returns to AUTO without text; 0 for
     *     never
     * @param atMillis when it happened (for a re-assert: when it was originally set)
     * @param reassert whether this puts back a status after a loss of the store's data
     * @throws NullPointerException if {@code mode} is null
     */
    public SetStatus {
      Objects.requireNonNull(mode, "mode");
    }

    /**
     * A status set now by the user.
     *
     * @param mode the status
     * @param customText status text, or null
     * @param expiresAtMillis wall time at which the status returns to AUTO; 0 for never
     * @param atMillis when it happened
     * @throws NullPointerException if {@code mode} is null
     */
    public SetStatus(StatusMode mode, @Nullable String customText, long expiresAtMillis, long atMillis) {
      this(mode, customText, expiresAtMillis, atMillis, false);
    }
  }

  /**
   * Returns the status to AUTO and clears its text, but only if the status set with exactly this
   * expiry is still in force, so a newer status is never cleared by an older timer.
   *
   * @param expiresAtMillis the expiry of the status to clear
   * @param atMillis when it happened
   */
  record ClearExpiredStatus(long expiresAtMillis, long atMillis) implements StoreMutation {}

  /**
   * Removes every device a node owns: crash cleanup of a node that is gone.
   *
   * @param nodeId the node
   * @param atMillis when the node was last known alive
   */
  record RemoveNode(String nodeId, long atMillis) implements StoreMutation {
    /**
     * Creates the mutation.
     *
     * @param nodeId the node
     * @param atMillis when the node was last known alive
     * @throws NullPointerException if {@code nodeId} is null
     */
    public RemoveNode {
      Objects.requireNonNull(nodeId, "nodeId");
    }
  }
}
