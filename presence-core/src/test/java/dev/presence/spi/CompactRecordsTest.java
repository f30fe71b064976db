package dev.presence.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.UserPresence;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link UserPresence} keeps last seen as epoch milliseconds, {@link UserRecord} keeps its devices
 * packed (none, one, or an array) and its chosen status aside, and {@link DeviceRecord} its enums as
 * ordinals, to save memory per user; all must still behave as the value types they were: equal by
 * components, immutable, strict about nulls.
 */
class CompactRecordsTest {
  private static final DeviceRecord PHONE = new DeviceRecord("phone", "node-a", DeviceActivity.ACTIVE, Platform.MOBILE, 1_000);
  private static final DeviceRecord LAPTOP = new DeviceRecord("laptop", "node-a", DeviceActivity.IDLE, Platform.DESKTOP, 2_000);
  private static final DeviceRecord TABLET = new DeviceRecord("tablet", "node-b", DeviceActivity.ACTIVE, Platform.MOBILE, 3_000);

  @Test
  void lastSeenIsKeptToTheMillisecondAndNullMeansNeverSeen() {
    Instant withNanos = Instant.parse("2026-12-03T10:15:30.123456789Z");
    UserPresence seen = new UserPresence("ann", PresenceState.OFFLINE, null, withNanos, 3);
    assertThat(seen.lastSeenMillis()).isEqualTo(withNanos.toEpochMilli());
    assertThat(seen.lastSeen()).isEqualTo(Instant.parse("2026-12-03T10:15:30.123Z"));
    assertThat(seen).isEqualTo(new UserPresence("ann", PresenceState.OFFLINE, null, withNanos.toEpochMilli(), 3));
    assertThat(seen.hashCode())
        .isEqualTo(new UserPresence("ann", PresenceState.OFFLINE, null, withNanos.toEpochMilli(), 3).hashCode());

    UserPresence never = new UserPresence("ann", PresenceState.OFFLINE, null, (Instant) null, 0);
    assertThat(never.lastSeenMillis()).isEqualTo(UserPresence.NEVER_SEEN);
    assertThat(never.lastSeen()).isNull();
    assertThat(never).isEqualTo(UserPresence.unknown("ann"));

    // Before 1970 is a time like any other; only the sentinel itself means "never".
    UserPresence early = new UserPresence("ann", PresenceState.OFFLINE, null, Instant.ofEpochMilli(-5), 1);
    assertThat(early.lastSeen()).isEqualTo(Instant.ofEpochMilli(-5));
  }

  @Test
  void aLastSeenBeyondEpochMillisecondsIsRefusedClearly() {
    assertThatThrownBy(() -> new UserPresence("ann", PresenceState.OFFLINE, null, Instant.MAX, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lastSeen out of range");
    assertThatThrownBy(() -> new UserPresence("ann", PresenceState.OFFLINE, null, Instant.ofEpochMilli(Long.MIN_VALUE), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lastSeen out of range");
  }

  @Test
  void aRecordHoldsNoneOneOrSeveralDevicesAndListsThemInOrder() {
    for (List<DeviceRecord> devices : List.of(List.<DeviceRecord>of(), List.of(PHONE), List.of(PHONE, LAPTOP), List.of(PHONE, LAPTOP, TABLET))) {
      UserRecord record = record(devices);
      assertThat(record.devices()).containsExactlyElementsOf(devices);
      assertThat(record.deviceCount()).isEqualTo(devices.size());
      for (DeviceRecord device : List.of(PHONE, LAPTOP, TABLET)) {
        assertThat(record.device(device.deviceId())).isEqualTo(devices.contains(device) ? device : null);
      }
      assertThat(record).isEqualTo(record(new ArrayList<>(devices))).hasSameHashCodeAs(record(new ArrayList<>(devices)));
      assertThatThrownBy(() -> record.devices().add(TABLET)).isInstanceOf(UnsupportedOperationException.class);
    }
  }

  @Test
  void theRecordCopiesTheDevicesItIsGiven() {
    List<DeviceRecord> mine = new ArrayList<>(List.of(PHONE, LAPTOP));
    UserRecord record = record(mine);
    mine.set(0, TABLET);
    mine.add(TABLET);
    assertThat(record.devices()).containsExactly(PHONE, LAPTOP);
  }

  @Test
  void nullsAreRefusedAsARecordWouldRefuseThem() {
    assertThatThrownBy(() -> record(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("devices");
    assertThatThrownBy(() -> record(Arrays.asList(PHONE, null))).isInstanceOf(NullPointerException.class);
    UserPresence presence = UserPresence.unknown("ann");
    assertThatThrownBy(() -> new UserRecord("ann", List.of(), null, null, 0, 0, PresenceState.OFFLINE, presence, 0))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("mode");
    assertThatThrownBy(() -> new UserRecord("ann", List.of(), StatusMode.AUTO, null, 0, 0, null, presence, 0))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("selfState");
    assertThatThrownBy(() -> new UserRecord("bob", List.of(), StatusMode.AUTO, null, 0, 0, PresenceState.OFFLINE, presence, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void equalityLooksAtEveryComponentAndToStringShowsThem() {
    UserRecord base = record(List.of(PHONE));
    UserPresence presence = base.presence();
    List<UserRecord> others =
        List.of(
            record(List.of(LAPTOP)),
            record(List.of(PHONE, LAPTOP)),
            new UserRecord("ann", List.of(PHONE), StatusMode.DND, "busy", 0, 0, PresenceState.ONLINE, presence, 0),
            new UserRecord("ann", List.of(PHONE), StatusMode.AUTO, "x", 0, 0, PresenceState.ONLINE, presence, 0),
            new UserRecord("ann", List.of(PHONE), StatusMode.AUTO, "busy", 1, 0, PresenceState.ONLINE, presence, 0),
            new UserRecord("ann", List.of(PHONE), StatusMode.AUTO, "busy", 0, 1, PresenceState.ONLINE, presence, 0),
            new UserRecord("ann", List.of(PHONE), StatusMode.AUTO, "busy", 0, 0, PresenceState.IDLE, presence, 0),
            new UserRecord("ann", List.of(PHONE), StatusMode.AUTO, "busy", 0, 0, PresenceState.ONLINE, presence, 1),
            new UserRecord(
                "ann", List.of(PHONE), StatusMode.AUTO, "busy", 0, 0, PresenceState.ONLINE,
                new UserPresence("ann", PresenceState.ONLINE, "busy", 500L, 2), 0));
    for (UserRecord other : others) {
      assertThat(other).isNotEqualTo(base);
    }
    assertThat(base.toString())
        .isEqualTo(
            "UserRecord[userId=ann, devices=[" + PHONE + "], mode=AUTO, customText=busy, statusExpiresAtMillis=0,"
                + " statusSetAtMillis=0, selfState=ONLINE, presence=" + presence + ", lastLeftMillis=0]");
  }

  @Test
  void applyMovesBetweenNoneOneAndSeveralDevices() {
    AggregationPolicy policy = AggregationPolicy.standard();
    UserRecord record = UserRecord.empty("ann");
    record = record.apply(new StoreMutation.PutDevice(PHONE, 5, 1_000), policy);
    assertThat(record.devices()).containsExactly(PHONE);
    record = record.apply(new StoreMutation.PutDevice(LAPTOP, 5, 2_000), policy);
    record = record.apply(new StoreMutation.PutDevice(TABLET, 5, 3_000), policy);
    assertThat(record.devices()).containsExactly(PHONE, LAPTOP, TABLET);
    assertThat(record.apply(new StoreMutation.PutDevice(LAPTOP, 5, 3_500), policy)).isSameAs(record);
    record = record.apply(new StoreMutation.RemoveNode("node-a", 4_000), policy);
    assertThat(record.devices()).containsExactly(TABLET);
    assertThat(record.presence().state()).isEqualTo(PresenceState.ONLINE);
    record = record.apply(new StoreMutation.RemoveDevice("tablet", "node-b", 5_000), policy);
    assertThat(record.devices()).isEmpty();
    assertThat(record.presence().state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(record.presence().lastSeenMillis()).isEqualTo(5_000);
    assertThat(record.presence().lastSeen()).isEqualTo(Instant.ofEpochMilli(5_000));
  }

  /**
   * A put that updates a user's lone device takes a shortcut that builds no array; it must decide
   * exactly as the general path does for a user with several devices: kept when unchanged, an update
   * from a node that no longer holds the device ignored, a claim taking it over. A new device or an
   * eviction takes the general path from either shape, with the limit applied.
   */
  @Test
  void aPutDecidesTheSameForALoneDeviceAsAmongSeveral() {
    AggregationPolicy policy = AggregationPolicy.standard();
    DeviceRecord phoneIdle = new DeviceRecord("phone", "node-a", DeviceActivity.IDLE, Platform.MOBILE, 1_500);
    DeviceRecord phoneElsewhere = new DeviceRecord("phone", "node-b", DeviceActivity.ACTIVE, Platform.MOBILE, 1_600);
    UserRecord alone = UserRecord.empty("ann").apply(new StoreMutation.PutDevice(PHONE, 5, 1_000), policy);
    UserRecord among = alone.apply(new StoreMutation.PutDevice(TABLET, 5, 1_100), policy);

    // An equal record again (a distinct object): nothing changes, not even the record.
    DeviceRecord phoneAgain = new DeviceRecord("phone", "node-a", DeviceActivity.ACTIVE, Platform.MOBILE, 1_000);
    assertThat(alone.apply(new StoreMutation.PutDevice(phoneAgain, 5, false, 1_200), policy)).isSameAs(alone);
    assertThat(among.apply(new StoreMutation.PutDevice(phoneAgain, 5, false, 1_200), policy)).isSameAs(among);
    assertThat(alone.devices().get(0)).isSameAs(PHONE);
    // An update of the device replaces it in place.
    UserRecord aloneIdle = alone.apply(new StoreMutation.PutDevice(phoneIdle, 5, false, 1_500), policy);
    assertThat(aloneIdle.devices()).containsExactly(phoneIdle);
    assertThat(aloneIdle.presence().state()).isEqualTo(PresenceState.IDLE);
    assertThat(among.apply(new StoreMutation.PutDevice(phoneIdle, 5, false, 1_500), policy).devices())
        .containsExactly(phoneIdle, TABLET);
    // An update from another node than the one holding the device is ignored; a claim takes it over.
    assertThat(alone.apply(new StoreMutation.PutDevice(phoneElsewhere, 5, false, 1_600), policy)).isSameAs(alone);
    assertThat(among.apply(new StoreMutation.PutDevice(phoneElsewhere, 5, false, 1_600), policy)).isSameAs(among);
    assertThat(alone.apply(new StoreMutation.PutDevice(phoneElsewhere, 5, true, 1_600), policy).devices())
        .containsExactly(phoneElsewhere);
    assertThat(among.apply(new StoreMutation.PutDevice(phoneElsewhere, 5, true, 1_600), policy).devices())
        .containsExactly(phoneElsewhere, TABLET);
    // A new device past the limit is refused; one that evicts a device of its node takes its place.
    assertThatThrownBy(() -> alone.apply(new StoreMutation.PutDevice(LAPTOP, 1, 1_700), policy))
        .isInstanceOf(dev.presence.LimitExceededException.class);
    assertThat(alone.apply(new StoreMutation.PutDevice(LAPTOP, 1, true, 1_700, "phone"), policy).devices())
        .containsExactly(LAPTOP);
    assertThat(among.apply(new StoreMutation.PutDevice(LAPTOP, 2, true, 1_700, "phone"), policy).devices())
        .containsExactly(TABLET, LAPTOP);
    // A lone device re-put with an eviction of another id that is not there changes only itself.
    assertThat(alone.apply(new StoreMutation.PutDevice(phoneIdle, 5, false, 1_800, "laptop"), policy).devices())
        .containsExactly(phoneIdle);
  }

  @Test
  void theChosenStatusIsKeptOnlyOnceChosenAndEveryPartOfItSurvives() {
    AggregationPolicy policy = AggregationPolicy.standard();
    UserRecord plain = UserRecord.empty("ann").apply(new StoreMutation.PutDevice(PHONE, 5, 1_000), policy);
    assertThat(plain.mode()).isEqualTo(StatusMode.AUTO);
    assertThat(plain.customText()).isNull();
    assertThat(plain.statusExpiresAtMillis()).isZero();
    assertThat(plain.statusSetAtMillis()).isZero();
    // The same values given explicitly make an equal record.
    assertThat(new UserRecord("ann", List.of(PHONE), StatusMode.AUTO, null, 0, 0, plain.selfState(), plain.presence(), 0))
        .isEqualTo(plain)
        .hasSameHashCodeAs(plain);

    UserRecord busy = plain.apply(new StoreMutation.SetStatus(StatusMode.DND, "in a meeting", 9_000, 2_000), policy);
    assertThat(busy.mode()).isEqualTo(StatusMode.DND);
    assertThat(busy.customText()).isEqualTo("in a meeting");
    assertThat(busy.statusExpiresAtMillis()).isEqualTo(9_000);
    assertThat(busy.statusSetAtMillis()).isEqualTo(2_000);
    assertThat(busy.presence().state()).isEqualTo(PresenceState.DND);
    assertThat(busy).isNotEqualTo(plain);

    // Expired and cleared: AUTO again, but when it was cleared is kept (a re-assert must not beat it).
    UserRecord cleared = busy.apply(new StoreMutation.ClearExpiredStatus(9_000, 9_001), policy);
    assertThat(cleared.mode()).isEqualTo(StatusMode.AUTO);
    assertThat(cleared.customText()).isNull();
    assertThat(cleared.statusExpiresAtMillis()).isZero();
    assertThat(cleared.statusSetAtMillis()).isEqualTo(9_001);
    assertThat(cleared).isNotEqualTo(plain);
    assertThat(cleared.apply(new StoreMutation.SetStatus(StatusMode.DND, "late", 0, 8_000, true), policy)).isSameAs(cleared);

    // AUTO with only a text is a chosen status too.
    UserRecord texted = plain.apply(new StoreMutation.SetStatus(StatusMode.AUTO, "on the train", 0, 3_000), policy);
    assertThat(texted.customText()).isEqualTo("on the train");
    assertThat(texted.presence().customText()).isEqualTo("on the train");
  }

  @Test
  void aDeviceRecordIsEqualByEveryComponentAndShowsThem() {
    DeviceRecord phone = new DeviceRecord("phone", "node-a", DeviceActivity.ACTIVE, Platform.MOBILE, 1_000);
    assertThat(phone).isEqualTo(PHONE).hasSameHashCodeAs(PHONE);
    assertThat(phone.deviceId()).isEqualTo("phone");
    assertThat(phone.nodeId()).isEqualTo("node-a");
    assertThat(phone.activity()).isEqualTo(DeviceActivity.ACTIVE);
    assertThat(phone.platform()).isEqualTo(Platform.MOBILE);
    assertThat(phone.sinceMillis()).isEqualTo(1_000);
    for (DeviceRecord other :
        List.of(
            new DeviceRecord("tablet", "node-a", DeviceActivity.ACTIVE, Platform.MOBILE, 1_000),
            new DeviceRecord("phone", "node-b", DeviceActivity.ACTIVE, Platform.MOBILE, 1_000),
            new DeviceRecord("phone", "node-a", DeviceActivity.IDLE, Platform.MOBILE, 1_000),
            new DeviceRecord("phone", "node-a", DeviceActivity.ACTIVE, Platform.DESKTOP, 1_000),
            new DeviceRecord("phone", "node-a", DeviceActivity.ACTIVE, Platform.MOBILE, 1_001))) {
      assertThat(other).isNotEqualTo(phone);
    }
    assertThat(phone.toString())
        .isEqualTo("DeviceRecord[deviceId=phone, nodeId=node-a, activity=ACTIVE, platform=MOBILE, sinceMillis=1000]");
    assertThatThrownBy(() -> new DeviceRecord(null, "n", DeviceActivity.ACTIVE, Platform.MOBILE, 0))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("deviceId");
    assertThatThrownBy(() -> new DeviceRecord("d", null, DeviceActivity.ACTIVE, Platform.MOBILE, 0))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("nodeId");
    assertThatThrownBy(() -> new DeviceRecord("d", "n", null, Platform.MOBILE, 0))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("activity");
    assertThatThrownBy(() -> new DeviceRecord("d", "n", DeviceActivity.ACTIVE, null, 0))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("platform");
  }

  private static UserRecord record(List<DeviceRecord> devices) {
    return new UserRecord(
        "ann",
        devices,
        StatusMode.AUTO,
        "busy",
        0,
        0,
        PresenceState.ONLINE,
        new UserPresence("ann", PresenceState.ONLINE, "busy", 100L, 2),
        0);
  }
}
