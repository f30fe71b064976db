package dev.presence.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.NodeFencedException;
import dev.presence.spi.NodeMembership;
import dev.presence.spi.NodeMembership.Renewal;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit of node leases ({@link PresenceStore#join}, {@link NodeMembership}): renewal,
 * expiry, claiming exactly once among racing sweepers, the sweep and its last seen, a restart under
 * the same id, leaving gracefully, fencing, and the loss of the store's data with re-assert and
 * versions that keep growing.
 *
 * <p>Extend it with a store whose lease clock the test controls: {@link #elapse} moves the store's
 * clock (a manual clock for the in-memory store; real time, waited out, for a server). Node and user
 * ids carry a prefix unique to each test, but a sweep claims every expired lease it finds: a store on a
 * shared server must give each test its own namespace (as a key prefix), or a test sweeps the leases
 * earlier tests left behind.
 */
public abstract class NodeLeaseContract {
  /** Wall time used in mutations; the stores' lease clocks run on their own. */
  protected static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

  private static final AggregationPolicy POLICY = AggregationPolicy.standard();
  private final String prefix = "lease-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final List<NodeMembership> memberships = new ArrayList<>();

  /** The store under test, fresh for each test. */
  protected PresenceStore store;

  /** Creates the store under test; called before each test. */
  protected abstract PresenceStore newStore();

  /** Moves the store's lease clock forward by {@code duration}. */
  protected abstract void elapse(Duration duration);

  /** The store's wall time now, in epoch milliseconds, as its lease clock reads it. */
  protected abstract long storeMillis();

  /** Makes the store lose all its data, as a flushed or restarted empty server would. */
  protected abstract void loseAllData();

  /** The lease every node takes; override with a longer one for a slow remote store. */
  protected Duration lease() {
    return Duration.ofSeconds(3);
  }

  /** The grace every node takes. */
  protected Duration grace() {
    return Duration.ofSeconds(2);
  }

  @BeforeEach
  void createStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    for (NodeMembership membership : memberships) {
      membership.leave();
    }
    store.close();
  }

  /** A node id unique to this test. */
  protected final String node(String name) {
    return prefix + name;
  }

  /** A user id unique to this test. */
  protected final String user(String name) {
    return prefix + name;
  }

  /** Joins as {@code name}, collecting what a sweep of a previous life changed into {@code changes}. */
  protected final NodeMembership join(String name, List<StoreUpdate> changes) {
    NodeMembership membership = store.join(node(name), lease(), grace(), POLICY, changes::add);
    memberships.add(membership);
    return membership;
  }

  protected final NodeMembership join(String name) {
    return join(name, new ArrayList<>());
  }

  private StoreUpdate put(String userId, String deviceId, String nodeName, long at) {
    return store.apply(
        userId,
        new StoreMutation.PutDevice(
            new DeviceRecord(deviceId, node(nodeName), DeviceActivity.ACTIVE, Platform.WEB, at), 8, at),
        POLICY);
  }

  private List<StoreUpdate> sweep(NodeMembership sweeper) {
    List<StoreUpdate> changes = new CopyOnWriteArrayList<>();
    sweeper.sweep(POLICY, changes::add);
    return changes;
  }

  // ------------------------------------------------------------------ renewal and expiry

  @Test
  public void aLeaseThatIsRenewedKeepsItsDevicesForever() {
    NodeMembership a = join("a");
    NodeMembership b = join("b");
    put(user("alice"), "phone", "a", T0);

    for (int i = 0; i < 6; i++) {
      elapse(lease().dividedBy(3));
      assertThat(a.renew()).isEqualTo(Renewal.RENEWED);
      assertThat(b.renew()).isEqualTo(Renewal.RENEWED);
      assertThat(sweep(b)).isEmpty();
    }

    assertThat(store.get(user("alice")).presence().state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  public void anExpiredLeaseIsSweptOnlyAfterItsGraceAndLastSeenIsItsLastRenewal() {
    NodeMembership a = join("a");
    NodeMembership b = join("b");
    put(user("alice"), "phone", "a", T0);
    put(user("bob"), "laptop", "a", T0);
    elapse(Duration.ofMillis(500));
    a.renew();
    long lastRenewal = storeMillis();

    elapse(lease().plus(grace()).minusMillis(200));
    b.renew();
    assertThat(sweep(b)).as("not before lease + grace").isEmpty();
    elapse(Duration.ofMillis(400));
    b.renew();
    List<StoreUpdate> changes = sweep(b);

    assertThat(changes).extracting(u -> u.current().userId()).containsExactlyInAnyOrder(user("alice"), user("bob"));
    assertThat(changes).allSatisfy(u -> {
      assertThat(u.current().presence().state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(u.current().presence().lastSeen()).isEqualTo(Instant.ofEpochMilli(lastRenewal));
      assertThat(u.current().devices()).isEmpty();
    });
    assertThat(sweep(b)).as("a swept node is swept once").isEmpty();
    assertThat(a.renew()).isEqualTo(Renewal.LOST);
  }

  @Test
  public void aUserWithADeviceOnALiveNodeIsNotChangedByTheSweep() {
    NodeMembership a = join("a");
    NodeMembership b = join("b");
    put(user("alice"), "phone", "a", T0);
    put(user("alice"), "laptop", "b", T0);
    long before = store.get(user("alice")).version();

    elapse(lease().plus(grace()).plusMillis(100));
    b.renew();
    List<StoreUpdate> changes = sweep(b);

    assertThat(changes).isEmpty();
    assertThat(store.get(user("alice")).devices()).extracting(DeviceRecord::deviceId).containsExactly("laptop");
    assertThat(store.get(user("alice")).version()).isEqualTo(before);
    assertThat(a.renew()).isEqualTo(Renewal.LOST);
  }

  @Test
  public void aLeaseThatRanOutButWasNotClaimedIsRevivedByARenewalWithNoChange() {
    NodeMembership a = join("a");
    join("b");
    put(user("alice"), "phone", "a", T0);
    long version = store.get(user("alice")).version();

    elapse(lease().plusMillis(200)); // ran out, but within grace: nobody may claim it yet

    assertThat(a.renew()).isEqualTo(Renewal.RENEWED);
    elapse(grace());
    assertThat(store.get(user("alice")).version()).isEqualTo(version);
    assertThat(store.get(user("alice")).devices()).hasSize(1);
  }

  @Test
  public void racingSweepersChangeEachUserExactlyOnce() throws Exception {
    join("dead");
    int users = 60;
    for (int i = 0; i < users; i++) {
      put(user("u" + i), "d", "dead", T0);
    }
    List<NodeMembership> sweepers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sweepers.add(join("s" + i));
    }
    elapse(lease().plus(grace()).plusMillis(100));
    sweepers.forEach(NodeMembership::renew);

    List<StoreUpdate> changes = new CopyOnWriteArrayList<>();
    CyclicBarrier start = new CyclicBarrier(sweepers.size());
    ExecutorService pool = Executors.newFixedThreadPool(sweepers.size());
    try {
      List<Future<Integer>> swept = new ArrayList<>();
      for (NodeMembership sweeper : sweepers) {
        swept.add(pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          return sweeper.sweep(POLICY, changes::add);
        }));
      }
      int total = 0;
      for (Future<Integer> result : swept) {
        total += result.get(30, TimeUnit.SECONDS);
      }
      assertThat(total).as("the dead node is claimed once").isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }

    Set<String> changed = new HashSet<>();
    for (StoreUpdate update : changes) {
      assertThat(changed.add(update.current().userId())).as("each user changed once").isTrue();
    }
    assertThat(changed).hasSize(users);
  }

  @Test
  public void aNodeWhoseOwnLeaseRanOutSweepsNothing() {
    join("a");
    NodeMembership b = join("b");
    put(user("alice"), "phone", "a", T0);

    elapse(lease().plus(grace()).plusMillis(100)); // b did not renew either

    assertThat(sweep(b)).isEmpty();
    assertThat(store.get(user("alice")).devices()).hasSize(1);
  }

  // ------------------------------------------------------------------ restart and leaving

  @Test
  public void aRestartUnderTheSameIdSweepsThePreviousLifeBeforeItServes() {
    NodeMembership firstLife = join("a");
    put(user("alice"), "phone", "a", T0);
    put(user("bob"), "phone", "a", T0);
    put(user("bob"), "laptop", "b", T0);
    elapse(Duration.ofMillis(300));
    firstLife.renew();
    long lastRenewal = storeMillis();
    elapse(Duration.ofMillis(300));

    List<StoreUpdate> swept = new ArrayList<>();
    NodeMembership secondLife = join("a", swept);

    assertThat(swept).singleElement().satisfies(u -> {
      assertThat(u.current().userId()).isEqualTo(user("alice"));
      assertThat(u.current().presence().lastSeen()).isEqualTo(Instant.ofEpochMilli(lastRenewal));
    });
    assertThat(store.get(user("bob")).devices()).extracting(DeviceRecord::deviceId).containsExactly("laptop");
    assertThat(firstLife.renew()).isEqualTo(Renewal.LOST);
    assertThat(secondLife.renew()).isEqualTo(Renewal.RENEWED);
    put(user("alice"), "phone", "a", T0 + 1_000);
    assertThat(store.get(user("alice")).presence().state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  public void aNodeThatLeavesKeepsItsDevicesForItsGraceThenTheyAreSweptWithLastSeenTheLeaveTime() {
    NodeMembership a = join("a");
    NodeMembership b = join("b");
    put(user("alice"), "phone", "a", T0);
    put(user("bob"), "phone", "a", T0);
    elapse(Duration.ofMillis(200));
    a.leave();
    long leftAt = storeMillis();

    elapse(grace().minusMillis(100));
    b.renew();
    assertThat(sweep(b)).isEmpty();
    // bob's phone reconnects through b within grace: it moves, and nobody sees a change
    long bobVersion = store.get(user("bob")).version();
    assertThat(put(user("bob"), "phone", "b", T0 + 1).presenceChanged()).isFalse();

    elapse(Duration.ofMillis(200));
    b.renew();
    List<StoreUpdate> changes = sweep(b);

    assertThat(changes).singleElement().satisfies(u -> {
      assertThat(u.current().userId()).isEqualTo(user("alice"));
      assertThat(u.current().presence().lastSeen()).isEqualTo(Instant.ofEpochMilli(leftAt));
    });
    assertThat(store.get(user("bob")).version()).isEqualTo(bobVersion);
    assertThat(store.get(user("bob")).presence().state()).isEqualTo(PresenceState.ONLINE);
  }

  // ------------------------------------------------------------------ fencing

  @Test
  public void aNodeWhoseLeaseRanOutCannotWriteItsDevicesUntilItRenews() {
    NodeMembership a = join("a");
    put(user("alice"), "phone", "a", T0);
    elapse(lease().plusMillis(100));
    String alice = user("alice");
    long version = store.get(alice).version();

    assertThatThrownBy(() -> put(alice, "laptop", "a", T0 + 1))
        .isInstanceOf(NodeFencedException.class)
        .satisfies(e -> assertThat(((NodeFencedException) e).nodeId()).isEqualTo(node("a")));
    assertThatThrownBy(() -> store.apply(alice, new StoreMutation.RemoveDevice("phone", node("a"), T0 + 1), POLICY))
        .isInstanceOf(NodeFencedException.class);
    assertThat(store.get(alice).version()).isEqualTo(version);
    assertThat(store.get(alice).devices()).hasSize(1);

    assertThat(a.renew()).isEqualTo(Renewal.RENEWED);
    put(alice, "laptop", "a", T0 + 2);
    assertThat(store.get(alice).devices()).hasSize(2);
  }

  @Test
  public void aClaimedNodeIsFencedUntilItJoinsAgainAndThenWritesNormally() {
    NodeMembership a = join("a");
    NodeMembership b = join("b");
    put(user("alice"), "phone", "a", T0);
    elapse(lease().plus(grace()).plusMillis(100));
    b.renew();
    assertThat(sweep(b)).hasSize(1);

    assertThatThrownBy(() -> put(user("alice"), "phone", "a", T0 + 1)).isInstanceOf(NodeFencedException.class);
    assertThat(a.renew()).isEqualTo(Renewal.LOST);
    assertThat(store.get(user("alice")).devices()).isEmpty();

    List<StoreUpdate> swept = new ArrayList<>();
    NodeMembership again = join("a", swept);
    assertThat(swept).as("nothing left of the claimed life").isEmpty();
    assertThat(put(user("alice"), "phone", "a", T0 + 2).presenceChanged()).isTrue();
    assertThat(again.renew()).isEqualTo(Renewal.RENEWED);
  }

  @Test
  public void statusWritesAreNotFencedSinceTheyBelongToNoNode() {
    join("a");
    elapse(lease().plusMillis(100));

    store.apply(user("alice"), new StoreMutation.SetStatus(StatusMode.DND, "busy", 0, T0), POLICY);

    assertThat(store.get(user("alice")).mode()).isEqualTo(StatusMode.DND);
  }

  // ------------------------------------------------------------------ loss of the store's data

  @Test
  public void afterTheStoreLostItsDataNodesFindTheirLeaseLostAndAreFencedUntilTheyJoinAgain() {
    NodeMembership a = join("a");
    put(user("alice"), "phone", "a", T0);

    loseAllData();

    assertThat(a.renew()).isEqualTo(Renewal.LOST);
    assertThatThrownBy(() -> put(user("alice"), "phone", "a", T0 + 1)).isInstanceOf(NodeFencedException.class);
    List<StoreUpdate> swept = new ArrayList<>();
    join("a", swept);
    assertThat(swept).isEmpty();
    put(user("alice"), "phone", "a", T0 + 2);
    assertThat(store.get(user("alice")).presence().state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  public void versionsKeepGrowingAcrossALossOfData() {
    join("a");
    String alice = user("alice");
    String bob = user("bob");
    put(alice, "phone", "a", T0);
    store.apply(alice, new StoreMutation.SetStatus(StatusMode.DND, "x", 0, T0 + 1), POLICY);
    long before = store.get(alice).version();

    loseAllData();
    NodeMembership again = join("a");
    again.renew();

    assertThat(store.get(alice).version()).as("even a user not re-asserted yet").isGreaterThan(before);
    assertThat(store.get(alice).presence().state()).isEqualTo(PresenceState.OFFLINE);
    StoreUpdate back = put(alice, "phone", "a", T0 + 2);
    assertThat(back.current().version()).isGreaterThan(before);
    assertThat(store.get(bob).version()).as("a user never seen is above the old versions too").isGreaterThan(before);
  }

  @Test
  public void aNewerReassertOfTheDefaultStatusStillBeatsAnOlderInvisibleOneInEitherOrder() {
    loseAllData();
    join("a");
    StoreMutation autoLater = new StoreMutation.SetStatus(StatusMode.AUTO, null, 0, T0 + 20, true);
    StoreMutation invisibleEarlier = new StoreMutation.SetStatus(StatusMode.INVISIBLE, null, 0, T0 + 10, true);

    store.apply(user("alice"), autoLater, POLICY);
    store.apply(user("alice"), invisibleEarlier, POLICY);
    store.apply(user("bob"), invisibleEarlier, POLICY);
    store.apply(user("bob"), autoLater, POLICY);

    assertThat(store.get(user("alice")).mode()).isEqualTo(StatusMode.AUTO);
    assertThat(store.get(user("bob")).mode()).isEqualTo(StatusMode.AUTO);
    assertThat(store.get(user("alice")).statusSetAtMillis()).isEqualTo(T0 + 20);
  }

  @Test
  public void reassertedStatusesEndWithTheNewestWhateverOrderTheNodesReassertIn() {
    String alice = user("alice");
    loseAllData();
    join("a");
    StoreMutation older = new StoreMutation.SetStatus(StatusMode.AUTO, "old", 0, T0 + 10, true);
    StoreMutation newer = new StoreMutation.SetStatus(StatusMode.INVISIBLE, null, 0, T0 + 20, true);

    store.apply(alice, newer, POLICY);
    store.apply(alice, older, POLICY);
    put(alice, "phone", "a", T0 + 30);

    assertThat(store.get(alice).mode()).isEqualTo(StatusMode.INVISIBLE);
    assertThat(store.get(alice).presence().state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(store.get(alice).selfState()).isEqualTo(PresenceState.ONLINE);
    // a status the user sets now always applies, re-asserts never override it
    store.apply(alice, new StoreMutation.SetStatus(StatusMode.DND, null, 0, T0 + 5), POLICY);
    assertThat(store.get(alice).mode()).isEqualTo(StatusMode.DND);
    assertThat(Collections.singletonList(store.get(alice).presence().state())).containsExactly(PresenceState.DND);
  }
}
