package dev.presence.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.UserPresence;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit of {@link PresenceStore}: every store implementation must pass it. It states
 * the contract of {@link PresenceStore#apply} (the semantics of {@link UserRecord#apply}, applied
 * atomically per user), {@link PresenceStore#get} and {@link PresenceStore#getAll}, including under
 * concurrent writers.
 *
 * <p>To check an implementation, extend this class in a test and create a store:
 *
 * <pre>{@code
 * class RedisPresenceStoreTest extends PresenceStoreContract {
 *   @Override
 *   protected PresenceStore newStore() {
 *     return RedisPresenceStore.create(redisUri);
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #newStore()} is called before each test and the store is closed after it. Every test uses
 * user ids with a prefix unique to that test ({@link #user(String)}), so stores backed by a shared
 * server need no cleanup between tests. All tests use {@link AggregationPolicy#standard()}. Nothing
 * here sleeps.
 */
public abstract class PresenceStoreContract {
  /** 2026-01-01T00:00:00Z in epoch milliseconds; the tests' wall times count from here. */
  protected static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

  /** The device limit used unless a test says otherwise. */
  protected static final int LIMIT = 8;

  /** The aggregation policy every test passes. */
  protected static final AggregationPolicy POLICY = AggregationPolicy.standard();

  private final String prefix = "kit-" + UUID.randomUUID().toString().substring(0, 8) + "-";

  /** The store under test, fresh for each test. */
  protected PresenceStore store;

  /** Creates the store under test; called before each test. */
  protected abstract PresenceStore newStore();

  /** How many threads the concurrency tests use; override to lower it for a slow remote store. */
  protected int threads() {
    return 8;
  }

  /** How many mutations each thread applies in the concurrency tests. */
  protected int mutationsPerThread() {
    return 300;
  }

  @BeforeEach
  void createStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** A user id unique to this test. */
  protected final String user(String name) {
    return prefix + name;
  }

  /** A device record of platform {@link Platform#WEB}. */
  protected static DeviceRecord device(String deviceId, String nodeId, DeviceActivity activity, long sinceMillis) {
    return new DeviceRecord(deviceId, nodeId, activity, Platform.WEB, sinceMillis);
  }

  /** Applies a put of a device at {@code at} with the default {@link #LIMIT}. */
  protected final StoreUpdate put(String userId, String deviceId, String nodeId, DeviceActivity activity, long at) {
    return store.apply(
        userId, new StoreMutation.PutDevice(device(deviceId, nodeId, activity, at), LIMIT, at), POLICY);
  }

  /** Applies a mutation with the standard policy. */
  protected final StoreUpdate apply(String userId, StoreMutation mutation) {
    return store.apply(userId, mutation, POLICY);
  }

  private static UserPresence presence(String userId, PresenceState state, String text, long lastSeen, long version) {
    return new UserPresence(userId, state, text, Instant.ofEpochMilli(lastSeen), version);
  }

  // ------------------------------------------------------------------ reads

  @Test
  public void aUserNeverRecordedReadsAsEmpty() {
    String alice = user("alice");

    assertThat(store.get(alice)).isEqualTo(UserRecord.empty(alice));
    assertThat(store.get(alice).presence()).isEqualTo(UserPresence.unknown(alice));
  }

  @Test
  public void getAllReturnsRecordsInTheOrderAskedWithUnknownUsersEmpty() {
    String alice = user("alice");
    String bob = user("bob");
    String carol = user("carol");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    put(carol, "phone", "n1", DeviceActivity.IDLE, T0 + 1);

    List<UserRecord> records = store.getAll(List.of(carol, bob, alice, carol));

    assertThat(records)
        .containsExactly(store.get(carol), UserRecord.empty(bob), store.get(alice), store.get(carol));
    assertThat(records.get(0).presence().state()).isEqualTo(PresenceState.IDLE);
    assertThat(records.get(2).presence().state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  public void getAllOfNoUsersIsEmptyAndOfManyUsersKeepsTheirOrder() {
    assertThat(store.getAll(List.of())).isEmpty();

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      ids.add(user("u" + i));
      if (i % 3 == 0) {
        put(ids.get(i), "phone", "n1", DeviceActivity.ACTIVE, T0 + i);
      }
    }
    Collections.reverse(ids);

    List<UserRecord> records = store.getAll(ids);

    assertThat(records).hasSize(500);
    for (int i = 0; i < 500; i++) {
      assertThat(records.get(i).userId()).isEqualTo(ids.get(i));
      assertThat(records.get(i)).isEqualTo(store.get(ids.get(i)));
    }
  }

  @Test
  public void nullArgumentsAreRejected() {
    StoreMutation mutation = new StoreMutation.RemoveNode("n1", T0);
    assertThatThrownBy(() -> store.apply(null, mutation, POLICY)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.apply(user("a"), null, POLICY)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.apply(user("a"), mutation, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.get(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.getAll(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.getAll(Arrays.asList(user("a"), null)))
        .isInstanceOf(NullPointerException.class);
  }

  // ------------------------------------------------------------------ devices

  @Test
  public void aFirstDeviceMakesTheUserOnlineAtVersionOneAndReturnsPreviousAndCurrent() {
    String alice = user("alice");

    StoreUpdate update = put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0 + 1_000);

    assertThat(update.previous()).isEqualTo(UserRecord.empty(alice));
    assertThat(update.presenceChanged()).isTrue();
    UserRecord current = update.current();
    assertThat(current.devices()).containsExactly(device("phone", "n1", DeviceActivity.ACTIVE, T0 + 1_000));
    assertThat(current.mode()).isEqualTo(StatusMode.AUTO);
    assertThat(current.selfState()).isEqualTo(PresenceState.ONLINE);
    assertThat(current.presence()).isEqualTo(presence(alice, PresenceState.ONLINE, null, T0 + 1_000, 1));
    assertThat(store.get(alice)).isEqualTo(current);
  }

  @Test
  public void puttingTheSameDeviceAgainReplacesItsRecord() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);

    StoreUpdate update = put(alice, "phone", "n1", DeviceActivity.IDLE, T0 + 2_000);

    assertThat(update.current().devices()).containsExactly(device("phone", "n1", DeviceActivity.IDLE, T0 + 2_000));
    assertThat(update.current().presence()).isEqualTo(presence(alice, PresenceState.IDLE, null, T0 + 2_000, 2));
    assertThat(update.previous().presence().version()).isEqualTo(1);
  }

  @Test
  public void puttingAnIdenticalDeviceRecordChangesNothing() {
    String alice = user("alice");
    UserRecord first = put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0).current();

    StoreUpdate again = put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);

    assertThat(again.presenceChanged()).isFalse();
    assertThat(again.previous()).isEqualTo(first);
    assertThat(again.current()).isEqualTo(first);
    assertThat(store.get(alice)).isEqualTo(first);
  }

  @Test
  public void aDeviceMovingToAnotherNodeIsReplacedNotAdded() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);

    StoreUpdate moved = put(alice, "phone", "n2", DeviceActivity.ACTIVE, T0 + 3_000);

    assertThat(moved.current().devices()).containsExactly(device("phone", "n2", DeviceActivity.ACTIVE, T0 + 3_000));
    assertThat(moved.presenceChanged()).isFalse();
    assertThat(moved.current().presence()).isEqualTo(presence(alice, PresenceState.ONLINE, null, T0, 1));
  }

  @Test
  public void anUpdateThatDoesNotClaimLeavesADeviceAnotherNodeHolds() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    put(alice, "phone", "n2", DeviceActivity.ACTIVE, T0 + 1); // the device connected to n2

    StoreUpdate update =
        apply(
            alice,
            new StoreMutation.PutDevice(device("phone", "n1", DeviceActivity.IDLE, T0 + 2), LIMIT, false, T0 + 2));

    assertThat(update.current()).isEqualTo(update.previous());
    assertThat(store.get(alice).devices())
        .containsExactly(device("phone", "n2", DeviceActivity.ACTIVE, T0 + 1));
  }

  @Test
  public void anUpdateThatDoesNotClaimStillChangesItsOwnNodesDeviceAndAddsAMissingOne() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);

    apply(alice, new StoreMutation.PutDevice(device("phone", "n1", DeviceActivity.IDLE, T0 + 1), LIMIT, false, T0 + 1));
    apply(alice, new StoreMutation.PutDevice(device("tablet", "n1", DeviceActivity.IDLE, T0 + 2), LIMIT, false, T0 + 2));

    assertThat(store.get(alice).devices())
        .containsExactly(
            device("phone", "n1", DeviceActivity.IDLE, T0 + 1), device("tablet", "n1", DeviceActivity.IDLE, T0 + 2));
    assertThat(store.get(alice).presence().state()).isEqualTo(PresenceState.IDLE);
  }

  @Test
  public void aSecondActiveDeviceChangesNoVersion() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);

    StoreUpdate laptop = put(alice, "laptop", "n2", DeviceActivity.IDLE, T0 + 1);

    assertThat(laptop.presenceChanged()).isFalse();
    assertThat(laptop.current().devices()).hasSize(2);
    assertThat(laptop.current().presence()).isEqualTo(laptop.previous().presence());
  }

  @Test
  public void aDevicePastTheLimitIsRejectedAndTheRecordIsUnchanged() {
    String alice = user("alice");
    StoreMutation.PutDevice phone =
        new StoreMutation.PutDevice(device("phone", "n1", DeviceActivity.ACTIVE, T0), 2, T0);
    StoreMutation.PutDevice laptop =
        new StoreMutation.PutDevice(device("laptop", "n2", DeviceActivity.IDLE, T0), 2, T0);
    apply(alice, phone);
    apply(alice, laptop);
    UserRecord before = store.get(alice);

    assertThatThrownBy(
            () ->
                apply(
                    alice,
                    new StoreMutation.PutDevice(device("tablet", "n1", DeviceActivity.ACTIVE, T0 + 1), 2, T0 + 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxDevicesPerUser")
        .hasMessageContaining("2");

    assertThat(store.get(alice)).isEqualTo(before);
    StoreUpdate replaced =
        apply(alice, new StoreMutation.PutDevice(device("laptop", "n1", DeviceActivity.ACTIVE, T0 + 2), 2, T0 + 2));
    assertThat(replaced.current().devices()).hasSize(2);
  }

  @Test
  public void aDeviceIsRemovedOnlyByTheNodeThatOwnsIt() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    UserRecord before = store.get(alice);

    StoreUpdate wrongNode = apply(alice, new StoreMutation.RemoveDevice("phone", "n2", T0 + 5_000));
    assertThat(wrongNode.presenceChanged()).isFalse();
    assertThat(wrongNode.current()).isEqualTo(before);
    assertThat(store.get(alice)).isEqualTo(before);

    StoreUpdate owner = apply(alice, new StoreMutation.RemoveDevice("phone", "n1", T0 + 5_000));
    assertThat(owner.current().devices()).isEmpty();
    assertThat(owner.current().selfState()).isEqualTo(PresenceState.OFFLINE);
    assertThat(owner.current().presence()).isEqualTo(presence(alice, PresenceState.OFFLINE, null, T0 + 5_000, 2));
    assertThat(store.get(alice)).isEqualTo(owner.current());
  }

  @Test
  public void lastSeenIsTheLatestLastMomentOfTheDevicesThatLeftWhateverTheOrderTheyLeaveIn() {
    String alice = user("alice");
    put(alice, "laptop", "n1", DeviceActivity.ACTIVE, T0);
    put(alice, "phone", "n2", DeviceActivity.ACTIVE, T0 + 1_000);

    // the phone disconnected cleanly at 30 s; the laptop went silent at 0 s and leaves after it
    apply(alice, new StoreMutation.RemoveDevice("phone", "n2", T0 + 30_000));
    StoreUpdate last = apply(alice, new StoreMutation.RemoveDevice("laptop", "n1", T0));

    assertThat(last.current().presence()).isEqualTo(presence(alice, PresenceState.OFFLINE, null, T0 + 30_000, 2));
    assertThat(last.current().lastLeftMillis()).isEqualTo(T0 + 30_000);
  }

  @Test
  public void lastSeenAfterANodeSweepIsTheLatestOfItsAndTheEarlierDeparturesAndResetsOnReturn() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    put(alice, "laptop", "n2", DeviceActivity.ACTIVE, T0);
    apply(alice, new StoreMutation.RemoveDevice("laptop", "n2", T0 + 40_000));

    StoreUpdate swept = apply(alice, new StoreMutation.RemoveNode("n1", T0 + 20_000));
    assertThat(swept.current().presence().lastSeen()).isEqualTo(Instant.ofEpochMilli(T0 + 40_000));

    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0 + 60_000);
    assertThat(store.get(alice).lastLeftMillis()).isZero();
    StoreUpdate gone = apply(alice, new StoreMutation.RemoveDevice("phone", "n1", T0 + 70_000));
    assertThat(gone.current().presence().lastSeen()).isEqualTo(Instant.ofEpochMilli(T0 + 70_000));
  }

  @Test
  public void removingAnUnknownDeviceOrFromAnUnknownUserChangesNothing() {
    String alice = user("alice");
    String bob = user("bob");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    UserRecord before = store.get(alice);

    assertThat(apply(alice, new StoreMutation.RemoveDevice("tablet", "n1", T0)).current()).isEqualTo(before);
    StoreUpdate unknown = apply(bob, new StoreMutation.RemoveDevice("phone", "n1", T0));

    assertThat(unknown.previous()).isEqualTo(UserRecord.empty(bob));
    assertThat(unknown.current()).isEqualTo(UserRecord.empty(bob));
    assertThat(store.get(bob)).isEqualTo(UserRecord.empty(bob));
  }

  @Test
  public void removingANodeRemovesOnlyThatNodesDevices() {
    String alice = user("alice");
    String bob = user("bob");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    put(alice, "tablet", "n1", DeviceActivity.ACTIVE, T0);
    put(alice, "laptop", "n2", DeviceActivity.ACTIVE, T0);
    put(bob, "phone", "n1", DeviceActivity.ACTIVE, T0);

    StoreUpdate aliceUpdate = apply(alice, new StoreMutation.RemoveNode("n1", T0 + 9_000));
    StoreUpdate bobUpdate = apply(bob, new StoreMutation.RemoveNode("n1", T0 + 9_000));

    assertThat(aliceUpdate.current().devices()).containsExactly(device("laptop", "n2", DeviceActivity.ACTIVE, T0));
    assertThat(aliceUpdate.presenceChanged()).isFalse();
    assertThat(bobUpdate.current().devices()).isEmpty();
    assertThat(bobUpdate.current().presence()).isEqualTo(presence(bob, PresenceState.OFFLINE, null, T0 + 9_000, 2));
    assertThat(apply(bob, new StoreMutation.RemoveNode("n3", T0 + 10_000)).current()).isEqualTo(bobUpdate.current());
  }

  @Test
  public void theUserIsIdleOnlyWhenEveryDeviceIsIdle() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.IDLE, T0);
    assertThat(store.get(alice).presence().state()).isEqualTo(PresenceState.IDLE);

    put(alice, "laptop", "n2", DeviceActivity.ACTIVE, T0 + 1);
    assertThat(store.get(alice).presence().state()).isEqualTo(PresenceState.ONLINE);

    put(alice, "laptop", "n2", DeviceActivity.IDLE, T0 + 2);
    assertThat(store.get(alice).presence()).isEqualTo(presence(alice, PresenceState.IDLE, null, T0 + 2, 3));
  }

  // ------------------------------------------------------------------ status

  @Test
  public void dndShowsOnlyWhileTheUserHasADevice() {
    String alice = user("alice");

    StoreUpdate dnd = apply(alice, new StoreMutation.SetStatus(StatusMode.DND, null, 0, T0));
    assertThat(dnd.current().mode()).isEqualTo(StatusMode.DND);
    assertThat(dnd.current().presence().state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(dnd.presenceChanged()).isFalse();

    put(alice, "phone", "n1", DeviceActivity.IDLE, T0 + 1);
    assertThat(store.get(alice).presence()).isEqualTo(presence(alice, PresenceState.DND, null, T0 + 1, 1));
    assertThat(store.get(alice).selfState()).isEqualTo(PresenceState.DND);

    apply(alice, new StoreMutation.RemoveDevice("phone", "n1", T0 + 2));
    assertThat(store.get(alice).presence()).isEqualTo(presence(alice, PresenceState.OFFLINE, null, T0 + 2, 2));
    assertThat(store.get(alice).mode()).isEqualTo(StatusMode.DND);
  }

  @Test
  public void anInvisibleUserIsOfflineWithNoTextAndLastSeenFrozen() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);

    StoreUpdate invisible = apply(alice, new StoreMutation.SetStatus(StatusMode.INVISIBLE, "secret", 0, T0 + 10));

    assertThat(invisible.current().presence()).isEqualTo(presence(alice, PresenceState.OFFLINE, null, T0 + 10, 2));
    assertThat(invisible.current().customText()).isEqualTo("secret");
    assertThat(invisible.current().selfState()).isEqualTo(PresenceState.ONLINE);

    put(alice, "phone", "n1", DeviceActivity.IDLE, T0 + 20);
    put(alice, "laptop", "n2", DeviceActivity.ACTIVE, T0 + 30);
    apply(alice, new StoreMutation.SetStatus(StatusMode.INVISIBLE, "other", 0, T0 + 40));
    apply(alice, new StoreMutation.RemoveNode("n1", T0 + 50));
    assertThat(store.get(alice).presence()).isEqualTo(invisible.current().presence());

    StoreUpdate visible = apply(alice, new StoreMutation.SetStatus(StatusMode.AUTO, "hi", 0, T0 + 60));
    assertThat(visible.current().presence()).isEqualTo(presence(alice, PresenceState.ONLINE, "hi", T0 + 60, 3));
  }

  @Test
  public void customTextBumpsTheVersionButKeepsLastSeen() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);

    StoreUpdate text = apply(alice, new StoreMutation.SetStatus(StatusMode.AUTO, "lunch", 0, T0 + 100));
    assertThat(text.current().presence()).isEqualTo(presence(alice, PresenceState.ONLINE, "lunch", T0, 2));

    StoreUpdate same = apply(alice, new StoreMutation.SetStatus(StatusMode.AUTO, "lunch", 0, T0 + 200));
    assertThat(same.presenceChanged()).isFalse();
    assertThat(same.current()).isEqualTo(text.current());

    StoreUpdate cleared = apply(alice, new StoreMutation.SetStatus(StatusMode.AUTO, null, 0, T0 + 300));
    assertThat(cleared.current().presence()).isEqualTo(presence(alice, PresenceState.ONLINE, null, T0, 3));
  }

  @Test
  public void anExpiredStatusIsClearedOnlyByItsOwnExpiry() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    long expiry = T0 + 60_000;
    apply(alice, new StoreMutation.SetStatus(StatusMode.DND, "focus", expiry, T0 + 1));
    UserRecord dnd = store.get(alice);
    assertThat(dnd.statusExpiresAtMillis()).isEqualTo(expiry);

    StoreUpdate otherExpiry = apply(alice, new StoreMutation.ClearExpiredStatus(expiry - 1, T0 + 60_000));
    assertThat(otherExpiry.current()).isEqualTo(dnd);
    assertThat(otherExpiry.presenceChanged()).isFalse();

    StoreUpdate cleared = apply(alice, new StoreMutation.ClearExpiredStatus(expiry, T0 + 60_000));
    assertThat(cleared.current().mode()).isEqualTo(StatusMode.AUTO);
    assertThat(cleared.current().customText()).isNull();
    assertThat(cleared.current().statusExpiresAtMillis()).isZero();
    assertThat(cleared.current().presence())
        .isEqualTo(presence(alice, PresenceState.ONLINE, null, T0 + 60_000, dnd.version() + 1));
  }

  @Test
  public void anOlderExpiryNeverClearsANewerStatus() {
    String alice = user("alice");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    long older = T0 + 10_000;
    apply(alice, new StoreMutation.SetStatus(StatusMode.DND, "a", older, T0));

    apply(alice, new StoreMutation.SetStatus(StatusMode.DND, "b", 0, T0 + 1));
    UserRecord untilChanged = store.get(alice);
    assertThat(apply(alice, new StoreMutation.ClearExpiredStatus(older, older)).current()).isEqualTo(untilChanged);
    assertThat(apply(alice, new StoreMutation.ClearExpiredStatus(0, older)).current()).isEqualTo(untilChanged);

    long newer = T0 + 20_000;
    apply(alice, new StoreMutation.SetStatus(StatusMode.DND, "c", newer, T0 + 2));
    UserRecord expiring = store.get(alice);
    assertThat(apply(alice, new StoreMutation.ClearExpiredStatus(older, older)).current()).isEqualTo(expiring);
    assertThat(apply(alice, new StoreMutation.ClearExpiredStatus(newer, newer)).current().customText()).isNull();
  }

  // ------------------------------------------------------------------ versions

  @Test
  public void theVersionGrowsByExactlyOneOnEveryVisibleChangeAndOnlyThen() {
    String alice = user("alice");
    List<StoreMutation> mutations =
        List.of(
            new StoreMutation.SetStatus(StatusMode.DND, null, 0, T0), // offline stays offline: 0
            new StoreMutation.PutDevice(device("phone", "n1", DeviceActivity.ACTIVE, T0), LIMIT, T0), // dnd: 1
            new StoreMutation.SetStatus(StatusMode.AUTO, null, 0, T0 + 1), // online: 2
            new StoreMutation.PutDevice(device("laptop", "n2", DeviceActivity.IDLE, T0), LIMIT, T0 + 2), // 2
            new StoreMutation.PutDevice(device("phone", "n1", DeviceActivity.IDLE, T0), LIMIT, T0 + 3), // idle: 3
            new StoreMutation.PutDevice(device("phone", "n1", DeviceActivity.IDLE, T0), LIMIT, T0 + 4), // 3
            new StoreMutation.SetStatus(StatusMode.AUTO, "zzz", 0, T0 + 5), // text: 4
            new StoreMutation.RemoveDevice("phone", "n2", T0 + 6), // not the owner: 4
            new StoreMutation.RemoveNode("n1", T0 + 7), // laptop still idle: 4
            new StoreMutation.SetStatus(StatusMode.INVISIBLE, "zzz", 0, T0 + 8), // offline: 5
            new StoreMutation.SetStatus(StatusMode.AUTO, "zzz", 0, T0 + 9), // idle with text: 6
            new StoreMutation.ClearExpiredStatus(0, T0 + 10), // nothing expires: 6
            new StoreMutation.RemoveDevice("laptop", "n2", T0 + 11)); // offline: 7
    long[] expectedVersions = {0, 1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7};

    for (int i = 0; i < mutations.size(); i++) {
      UserRecord before = store.get(alice);
      StoreUpdate update = apply(alice, mutations.get(i));
      assertThat(update.previous()).as("previous of step %d", i).isEqualTo(before);
      assertThat(update.current()).as("current of step %d", i).isEqualTo(store.get(alice));
      assertThat(update.current().version()).as("version after step %d", i).isEqualTo(expectedVersions[i]);
      boolean visible = !update.current().presence().state().equals(before.presence().state())
          || !java.util.Objects.equals(update.current().presence().customText(), before.presence().customText());
      assertThat(update.presenceChanged()).as("changed at step %d", i).isEqualTo(visible);
    }
  }

  @Test
  public void usersAreIndependent() {
    String alice = user("alice");
    String bob = user("bob");
    put(alice, "phone", "n1", DeviceActivity.ACTIVE, T0);
    put(alice, "phone", "n1", DeviceActivity.IDLE, T0 + 1);

    put(bob, "phone", "n1", DeviceActivity.ACTIVE, T0 + 2);

    assertThat(store.get(alice).version()).isEqualTo(2);
    assertThat(store.get(bob).version()).isEqualTo(1);
    assertThat(store.get(bob).devices()).hasSize(1);
  }

  // ------------------------------------------------------------------ concurrency

  @Test
  public void concurrentMutationsOfOneUserLoseNothingAndCountEveryVisibleChangeOnce() throws Exception {
    String alice = user("alice");
    int threads = threads();
    List<List<StoreUpdate>> perThread = new ArrayList<>();
    DeviceActivity[] last = new DeviceActivity[threads];

    runTogether(
        threads,
        t -> {
          List<StoreUpdate> mine = new ArrayList<>();
          java.util.Random random = new java.util.Random(t);
          for (int i = 0; i < mutationsPerThread(); i++) {
            DeviceActivity activity = random.nextBoolean() ? DeviceActivity.ACTIVE : DeviceActivity.IDLE;
            mine.add(
                store.apply(
                    alice,
                    new StoreMutation.PutDevice(device("d" + t, "n" + t, activity, T0), threads, T0 + i),
                    POLICY));
            last[t] = activity;
          }
          synchronized (perThread) {
            perThread.add(mine);
          }
        });

    List<StoreUpdate> all = perThread.stream().flatMap(List::stream).toList();
    UserRecord end = store.get(alice);
    assertThat(end.devices()).hasSize(threads);
    for (int t = 0; t < threads; t++) {
      assertThat(end.device("d" + t).activity()).as("device d%d", t).isEqualTo(last[t]);
    }
    List<Long> changedVersions = new ArrayList<>();
    for (StoreUpdate update : all) {
      long step = update.current().version() - update.previous().version();
      boolean visible = update.current().presence().state() != update.previous().presence().state();
      assertThat(step).isEqualTo(visible ? 1 : 0);
      assertThat(update.presenceChanged()).isEqualTo(visible);
      if (visible) {
        changedVersions.add(update.current().version());
      }
    }
    assertThat(end.version()).isEqualTo(changedVersions.size());
    Set<Long> distinct = new HashSet<>(changedVersions);
    assertThat(distinct).hasSize(changedVersions.size());
    assertThat(Collections.max(distinct)).isEqualTo(end.version());
    assertThat(Collections.min(distinct)).isEqualTo(1L);
  }

  @Test
  public void theDeviceLimitHoldsUnderConcurrentAdds() throws Exception {
    String alice = user("alice");
    int threads = threads();
    int limit = Math.max(1, threads / 2);
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger rejected = new AtomicInteger();

    runTogether(
        threads,
        t -> {
          try {
            store.apply(
                alice,
                new StoreMutation.PutDevice(device("d" + t, "n1", DeviceActivity.ACTIVE, T0), limit, T0),
                POLICY);
            accepted.incrementAndGet();
          } catch (IllegalArgumentException e) {
            rejected.incrementAndGet();
          }
        });

    assertThat(accepted.get()).isEqualTo(limit);
    assertThat(rejected.get()).isEqualTo(threads - limit);
    assertThat(store.get(alice).devices()).hasSize(limit);
    assertThat(store.get(alice).version()).isEqualTo(1);
  }

  @Test
  public void concurrentMutationsOfDifferentUsersDoNotInterfere() throws Exception {
    int threads = threads();

    runTogether(
        threads,
        t -> {
          String owner = user("u" + t);
          for (int i = 0; i < mutationsPerThread(); i++) {
            DeviceActivity activity = i % 2 == 0 ? DeviceActivity.ACTIVE : DeviceActivity.IDLE;
            put(owner, "phone", "n1", activity, T0 + i);
          }
        });

    for (int t = 0; t < threads; t++) {
      UserRecord record = store.get(user("u" + t));
      assertThat(record.version()).isEqualTo(mutationsPerThread());
      assertThat(record.devices()).hasSize(1);
    }
  }

  /** A body run by one of several threads. */
  @FunctionalInterface
  protected interface Body {
    /** Runs the body of thread {@code index}. */
    void run(int index) throws Exception;
  }

  /** Starts the bodies together on their own threads and waits for all of them to finish. */
  protected static void runTogether(int threads, Body body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int index = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  body.run(index);
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> future : futures) {
        future.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
