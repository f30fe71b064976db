package dev.presence.spi;

import dev.presence.LimitExceededException;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.UserPresence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything a store keeps for one user: the devices on every node, the chosen status, and the
 * aggregate others see with its version.
 *
 * <p>Immutable and thread-safe. {@link #apply} holds the one definition of how a mutation changes a
 * record, so every store implementation shares the same semantics; the compatibility kit checks it.
 *
 * <p>A value class with the accessors a record would have, not a record: a store keeps one of these
 * per user for as long as the user is known, so it holds its devices without a list object, its own
 * state as an ordinal, and the chosen status in a side object only once the user chose one (40 bytes
 * for a user with one device who never chose a status, 80 with the side object, against 88 for the
 * record with its one-device list; BENCHMARKS.md, "Issue 11 fifth round"). {@link #devices()} makes an immutable list when
 * asked. Two records are equal when every component is.
 */
public final class UserRecord {
  private static final DeviceRecord[] NO_DEVICES = new DeviceRecord[0];
  private static final PresenceState[] STATES = PresenceState.values();

  private final String userId;
  /** Null (no device), the one {@link DeviceRecord}, or a {@code DeviceRecord[]} of two or more. */
  private final @Nullable Object devices;
  private final UserPresence presence;
  /** The chosen status; null for the one most users have: AUTO, no text, never set. */
  private final @Nullable Chosen chosen;
  private final long lastLeftMillis;
  private final byte selfState;

  /**
   * Creates a record.
   *
   * @param userId the user
   * @param devices the user's recorded devices (connected or in grace) on every node
   * @param mode the status the user chose
   * @param customText the user's status text, or null
   * @param statusExpiresAtMillis wall time at which the chosen status lapses; 0 for never
   * @param statusSetAtMillis wall time at which the chosen status was set; 0 if it never was. After
   *     the store lost its data, nodes re-assert the statuses they know and the newest one wins.
   * @param selfState what the user's own devices see: the aggregate ignoring invisibility
   * @param presence what everyone else sees, with the version
   * @param lastLeftMillis the latest moment, in epoch milliseconds, at which a device removed since
   *     the user last had none was still connected; 0 if none was removed since. When the last
   *     device goes, this (not the time of the last removal) is the user's last seen, so devices
   *     leaving in any order, on any node, give the same answer.
   * @throws NullPointerException if a reference other than {@code customText} is null, or
   *     {@code devices} holds a null
   * @throws IllegalArgumentException if {@code presence} belongs to another user
   */
  public UserRecord(
      String userId,
      List<DeviceRecord> devices,
      StatusMode mode,
      @Nullable String customText,
      long statusExpiresAtMillis,
      long statusSetAtMillis,
      PresenceState selfState,
      UserPresence presence,
      long lastLeftMillis) {
    this(
        userId,
        packed(Objects.requireNonNull(devices, "devices").toArray(NO_DEVICES).clone()),
        mode,
        customText,
        statusExpiresAtMillis,
        statusSetAtMillis,
        selfState,
        presence,
        lastLeftMillis);
  }

  /** {@code devices} as packed: null, one {@code DeviceRecord}, or an array of two or more, checked. */
  private UserRecord(
      String userId,
      @Nullable Object devices,
      StatusMode mode,
      @Nullable String customText,
      long statusExpiresAtMillis,
      long statusSetAtMillis,
      PresenceState selfState,
      UserPresence presence,
      long lastLeftMillis) {
    this.userId = Objects.requireNonNull(userId, "userId");
    this.devices = devices;
    Objects.requireNonNull(mode, "mode");
    this.chosen =
        mode == StatusMode.AUTO && customText == null && statusExpiresAtMillis == 0 && statusSetAtMillis == 0
            ? null
            : new Chosen(mode, customText, statusExpiresAtMillis, statusSetAtMillis);
    this.selfState = (byte) Objects.requireNonNull(selfState, "selfState").ordinal();
    this.presence = Objects.requireNonNull(presence, "presence");
    this.lastLeftMillis = lastLeftMillis;
    if (!presence.userId().equals(userId)) {
      throw new IllegalArgumentException(
          "presence of " + presence.userId() + " in the record of " + userId);
    }
  }

  /** An array of devices nobody else holds, in packed form; its elements checked for null. */
  private static @Nullable Object packed(DeviceRecord[] devices) {
    for (DeviceRecord device : devices) {
      Objects.requireNonNull(device, "a device is null");
    }
    return switch (devices.length) {
      case 0 -> null;
      case 1 -> devices[0];
      default -> devices;
    };
  }

  /**
   * The user.
   *
   * @return the user's id
   */
  public String userId() {
    return userId;
  }

  /**
   * The user's recorded devices (connected or in grace) on every node. Makes a new immutable list on
   * each call.
   *
   * @return the devices, in the order they were recorded
   */
  public List<DeviceRecord> devices() {
    return list(devices);
  }

  /**
   * How many devices are recorded.
   *
   * @return the number of {@link #devices()}
   */
  public int deviceCount() {
    return count(devices);
  }

  /**
   * The status the user chose.
   *
   * @return the mode
   */
  public StatusMode mode() {
    return chosen == null ? StatusMode.AUTO : chosen.mode();
  }

  /**
   * The user's status text.
   *
   * @return the text, or null
   */
  public @Nullable String customText() {
    return chosen == null ? null : chosen.text();
  }

  /**
   * Wall time at which the chosen status lapses.
   *
   * @return epoch milliseconds; 0 for never
   */
  public long statusExpiresAtMillis() {
    return chosen == null ? 0 : chosen.expiresAtMillis();
  }

  /**
   * Wall time at which the chosen status was set. After the store lost its data, nodes re-assert
   * the statuses they know and the newest one wins.
   *
   * @return epoch milliseconds; 0 if it never was
   */
  public long statusSetAtMillis() {
    return chosen == null ? 0 : chosen.setAtMillis();
  }

  /**
   * What the user's own devices see: the aggregate ignoring invisibility.
   *
   * @return the state
   */
  public PresenceState selfState() {
    return STATES[selfState];
  }

  /**
   * What everyone else sees, with the version.
   *
   * @return the aggregate others see
   */
  public UserPresence presence() {
    return presence;
  }

  /**
   * The latest moment at which a device removed since the user last had none was still connected.
   *
   * @return epoch milliseconds; 0 if none was removed since
   */
  public long lastLeftMillis() {
    return lastLeftMillis;
  }

  /**
   * Whether {@code other} is a record with equal components.
   *
   * @param other any object, or null
   * @return true if every component is equal
   */
  @Override
  public boolean equals(@Nullable Object other) {
    if (other == this) {
      return true;
    }
    return other instanceof UserRecord that
        && userId.equals(that.userId)
        && selfState == that.selfState
        && lastLeftMillis == that.lastLeftMillis
        && Objects.equals(chosen, that.chosen)
        && presence.equals(that.presence)
        && (devices instanceof DeviceRecord[] many
            ? that.devices instanceof DeviceRecord[] theirs && Arrays.equals(many, theirs)
            : Objects.equals(devices, that.devices));
  }

  /**
   * A hash of every component, consistent with {@link #equals}.
   *
   * @return the hash
   */
  @Override
  public int hashCode() {
    return Objects.hash(
        userId,
        devices instanceof DeviceRecord[] many ? Arrays.hashCode(many) : Objects.hashCode(devices),
        mode(),
        customText(),
        statusExpiresAtMillis(),
        statusSetAtMillis(),
        selfState(),
        presence,
        lastLeftMillis);
  }

  /**
   * Every component, as a record would show them.
   *
   * @return a description for logs and test failures
   */
  @Override
  public String toString() {
    return "UserRecord[userId="
        + userId
        + ", devices="
        + devices()
        + ", mode="
        + mode()
        + ", customText="
        + customText()
        + ", statusExpiresAtMillis="
        + statusExpiresAtMillis()
        + ", statusSetAtMillis="
        + statusSetAtMillis()
        + ", selfState="
        + selfState()
        + ", presence="
        + presence
        + ", lastLeftMillis="
        + lastLeftMillis
        + "]";
  }

  /**
   * The record of a user the store has never seen.
   *
   * @param userId the user's id
   * @return an empty record at version 0
   * @throws NullPointerException if {@code userId} is null
   */
  public static UserRecord empty(String userId) {
    return empty(userId, 0);
  }

  /**
   * The record of a user the store has not seen since it lost its data: offline, with no last seen,
   * at a version base above every version the store handed out before the loss, so versions only
   * grow across it (watchers drop anything not newer than what they have).
   *
   * @param userId the user's id
   * @param versionBase the store's current version base; 0 before any loss
   * @return an empty record at the version base
   * @throws NullPointerException if {@code userId} is null
   * @throws IllegalArgumentException if {@code versionBase} is negative
   */
  public static UserRecord empty(String userId, long versionBase) {
    UserPresence unknown =
        versionBase == 0
            ? UserPresence.unknown(userId)
            : new UserPresence(userId, PresenceState.OFFLINE, null, null, versionBase);
    return new UserRecord(userId, List.of(), StatusMode.AUTO, null, 0, 0, PresenceState.OFFLINE, unknown, 0);
  }

  /**
   * The version of what others see.
   *
   * @return the version of the aggregate
   */
  public long version() {
    return presence.version();
  }

  /**
   * The recorded device with this id, or null.
   *
   * @param deviceId the device's id
   * @return its record, or null if the user has no such device
   */
  public @Nullable DeviceRecord device(String deviceId) {
    Object current = devices;
    if (current instanceof DeviceRecord only) {
      return only.deviceId().equals(deviceId) ? only : null;
    }
    if (current != null) {
      for (DeviceRecord device : (DeviceRecord[]) current) {
        if (device.deviceId().equals(deviceId)) {
          return device;
        }
      }
    }
    return null;
  }

  /** The devices of a packed form as an array; the packed array itself (not to be written to) if several. */
  private static DeviceRecord[] array(@Nullable Object packed) {
    if (packed == null) {
      return NO_DEVICES;
    }
    return packed instanceof DeviceRecord only ? new DeviceRecord[] {only} : (DeviceRecord[]) packed;
  }

  /** The devices of a packed form as an immutable list (a copy of an array). */
  private static List<DeviceRecord> list(@Nullable Object packed) {
    if (packed == null) {
      return List.of();
    }
    return packed instanceof DeviceRecord only ? List.of(only) : List.of((DeviceRecord[]) packed);
  }

  private static int count(@Nullable Object packed) {
    if (packed == null) {
      return 0;
    }
    return packed instanceof DeviceRecord ? 1 : ((DeviceRecord[]) packed).length;
  }

  /**
   * Returns the record after the mutation: the aggregate is recomputed with {@code policy}, and the
   * version grows by one if and only if what others see (state or text) changed. Returns {@code this}
   * when the mutation changes nothing.
   *
   * @param mutation the mutation
   * @param policy the aggregation policy that makes the aggregate of the devices
   * @return the new record, or {@code this} if nothing changed
   * @throws LimitExceededException if a {@link StoreMutation.PutDevice} would add a device past its
   *     limit; the record is then unchanged
   * @throws NullPointerException if an argument is null
   */
  public UserRecord apply(StoreMutation mutation, AggregationPolicy policy) {
    Objects.requireNonNull(mutation, "mutation");
    Objects.requireNonNull(policy, "policy");
    Object newDevices = devices;
    StatusMode mode = mode();
    String customText = customText();
    long statusExpiresAtMillis = statusExpiresAtMillis();
    long statusSetAtMillis = statusSetAtMillis();
    StatusMode newMode = mode;
    String newText = customText;
    long newExpiry = statusExpiresAtMillis;
    long newSetAt = statusSetAtMillis;
    if (mutation instanceof StoreMutation.PutDevice put) {
      newDevices = withDevice(put);
    } else if (mutation instanceof StoreMutation.RemoveDevice remove) {
      newDevices = without(d -> d.deviceId().equals(remove.deviceId()) && d.nodeId().equals(remove.nodeId()));
    } else if (mutation instanceof StoreMutation.RemoveNode removeNode) {
      newDevices = without(d -> d.nodeId().equals(removeNode.nodeId()));
    } else if (mutation instanceof StoreMutation.SetStatus set) {
      if (set.reassert() && statusSetAtMillis >= set.atMillis()) {
        return this; // a re-assert after a loss never overrides a status set as late or later
      }
      newMode = set.mode();
      newText = set.customText();
      newExpiry = set.expiresAtMillis();
      newSetAt = set.atMillis();
    } else if (mutation instanceof StoreMutation.ClearExpiredStatus clear) {
      if (statusExpiresAtMillis == 0 || statusExpiresAtMillis != clear.expiresAtMillis()) {
        return this;
      }
      newMode = StatusMode.AUTO;
      newText = null;
      newExpiry = 0;
      newSetAt = clear.atMillis();
    }
    boolean reassert = mutation instanceof StoreMutation.SetStatus set && set.reassert();
    if (newDevices == devices
        && newMode == mode
        && Objects.equals(newText, customText)
        && newExpiry == statusExpiresAtMillis
        && !(reassert && newSetAt != statusSetAtMillis)) {
      // The same status set again keeps the time it was first set; a re-assert of it records its
      // time, so an older re-assert arriving later cannot win.
      return this;
    }
    long newLastLeft = lastLeftMillis;
    int count = count(devices);
    int newCount = count(newDevices);
    if (count == 0 && newCount != 0) {
      newLastLeft = 0; // back: what left before no longer says when the user was last here
    } else if (newCount < count) {
      newLastLeft = Math.max(lastLeftMillis, mutation.atMillis());
    }
    PresenceState newSelf =
        Objects.requireNonNull(
            policy.aggregate(newMode == StatusMode.DND ? StatusMode.DND : StatusMode.AUTO, list(newDevices)),
            "the aggregation policy returned null");
    PresenceState visible = newMode == StatusMode.INVISIBLE ? PresenceState.OFFLINE : newSelf;
    String visibleText = newMode == StatusMode.INVISIBLE ? null : newText;
    UserPresence newPresence = presence;
    if (visible != presence.state() || !Objects.equals(visibleText, presence.customText())) {
      long since = newCount == 0 && newDevices != devices ? newLastLeft : mutation.atMillis();
      long lastSeen = visible != presence.state() ? since : presence.lastSeenMillis();
      newPresence =
          new UserPresence(userId, visible, visibleText, lastSeen, presence.version() + 1);
    }
    return new UserRecord(
        userId, newDevices, newMode, newText, newExpiry, newSetAt, newSelf, newPresence, newLastLeft);
  }

  /** The packed devices with {@code put}'s device put in, or {@link #devices} itself if nothing changes. */
  private @Nullable Object withDevice(StoreMutation.PutDevice put) {
    DeviceRecord device = put.device();
    if (devices instanceof DeviceRecord only
        && put.evictDeviceId() == null
        && only.deviceId().equals(device.deviceId())) {
      // The common write, a user's one device changing: the loop below without its arrays.
      if (only.equals(device) || (!put.claim() && !only.nodeId().equals(device.nodeId()))) {
        return devices;
      }
      return device;
    }
    DeviceRecord[] current = array(devices);
    DeviceRecord[] result = new DeviceRecord[current.length + 1];
    int size = 0;
    boolean replaced = false;
    boolean evicted = false;
    for (DeviceRecord existing : current) {
      if (put.evictDeviceId() != null
          && existing.deviceId().equals(put.evictDeviceId())
          && !existing.deviceId().equals(device.deviceId())
          && existing.nodeId().equals(device.nodeId())) {
        evicted = true;
        continue;
      }
      if (existing.deviceId().equals(device.deviceId())) {
        if (!evicted && (existing.equals(device) || (!put.claim() && !existing.nodeId().equals(device.nodeId())))) {
          return devices;
        }
        result[size++] = device;
        replaced = true;
      } else {
        result[size++] = existing;
      }
    }
    if (!replaced) {
      if (size >= put.maxDevices()) {
        throw tooManyDevices(userId, size, put.maxDevices());
      }
      result[size++] = device;
    }
    return packed(size == result.length ? result : Arrays.copyOf(result, size));
  }

  /**
   * The one exception for a device past its limit, wherever it is found: in {@link #apply}, in a
   * remote store that applies mutations itself, or in the engine before it writes.
   *
   * @param userId the user
   * @param count the devices it has
   * @param limit {@code maxDevicesPerUser}
   * @return the exception to throw
   */
  public static LimitExceededException tooManyDevices(String userId, int count, int limit) {
    return new LimitExceededException(
        "user '"
            + (userId.length() > 40 ? userId.substring(0, 40) + "...' (" + userId.length() + " chars)" : userId + "'")
            + " already has "
            + count
            + " devices, the limit (maxDevicesPerUser) is "
            + limit,
        "maxDevicesPerUser",
        limit);
  }

  /** The packed devices without those {@code removed} matches, or {@link #devices} itself if none does. */
  private @Nullable Object without(java.util.function.Predicate<DeviceRecord> removed) {
    DeviceRecord[] current = array(devices);
    List<DeviceRecord> result = null;
    for (int i = 0; i < current.length; i++) {
      DeviceRecord device = current[i];
      if (removed.test(device)) {
        if (result == null) {
          result = new ArrayList<>(Arrays.asList(current).subList(0, i));
        }
      } else if (result != null) {
        result.add(device);
      }
    }
    return result == null ? devices : packed(result.toArray(NO_DEVICES));
  }

  /** A status the user chose (or that expired): what {@link #mode()} and the three after it return. */
  private record Chosen(StatusMode mode, @Nullable String text, long expiresAtMillis, long setAtMillis) {}
}
