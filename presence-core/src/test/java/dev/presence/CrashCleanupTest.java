package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.spi.PresenceStore;
import dev.presence.testkit.ForwardingPresenceStore;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Several engines on one store and one bus, each on its own manual clock: a node that stops (crash,
 * pause, close) is cleaned up by the others through its lease, with one change per affected user for
 * every watcher, on every node. The store's lease clock is a fourth clock; {@link #advance} moves the
 * store and every running node together, and a crashed or paused node simply stops moving.
 */
class CrashCleanupTest {
  private static final Duration LEASE = PresenceBuilder.DEFAULT_LEASE;
  private static final Duration RENEW = PresenceBuilder.DEFAULT_LEASE_RENEW_INTERVAL;
  private static final Duration GRACE = PresenceBuilder.DEFAULT_GRACE;

  private final ManualTime world = new ManualTime(Harness.START);
  private PresenceStore store = new InMemoryPresenceStore(world);
  private final LocalPresenceBus bus = new LocalPresenceBus();
  private final Map<String, Node> nodes = new HashMap<>();

  /** One engine with its own clock, and whether that clock still moves. */
  private final class Node {
    final String id;
    final ManualTime time = new ManualTime(Harness.START);
    final List<PresenceChange> changes = new ArrayList<>();
    final Presence presence;
    /** This node's membership of the shared bus, so a crash can drop it without a goodbye. */
    private dev.presence.spi.PresenceBus.Connection onBus;
    boolean running = true;

    Node(String id) {
      this.id = id;
      this.time.advance(world.elapsed()); // a node started later starts at the world's time
      dev.presence.spi.PresenceBus mine = (nodeId, listener) -> onBus = bus.join(nodeId, listener);
      this.presence =
          Fixtures.manual(time).store(store).bus(mine).nodeId(id)
              .listener(changes::add).build();
    }

    /** kill -9: the process is gone. Nothing is said to anyone; its timers stop. */
    void crash() {
      running = false;
      onBus.close();
    }

    RecordingSink watch(String watcher, String... users) {
      RecordingSink sink = new RecordingSink(time);
      presence.subscribe(watcher, sink).watchUsers(List.of(users));
      return sink;
    }
  }

  private Node start(String id) {
    Node node = new Node(id);
    nodes.put(id, node);
    return node;
  }

  /** Moves the store's clock and every running node's clock forward together, one tick at a time. */
  private void advance(Duration duration) {
    Duration step = Duration.ofMillis(100);
    for (Duration left = duration; !left.isNegative() && !left.isZero(); left = left.minus(step)) {
      Duration now = left.compareTo(step) < 0 ? left : step;
      world.advance(now);
      for (Node node : nodes.values()) {
        if (node.running) {
          node.time.advance(now);
        }
      }
    }
  }

  /** Advances with heartbeats every 15 s on the given connections, so only the node's fate matters. */
  private void advanceWithHeartbeats(Duration duration, DeviceConnection... connections) {
    Duration step = Duration.ofSeconds(5);
    for (Duration left = duration; left.compareTo(Duration.ZERO) > 0; left = left.minus(step)) {
      advance(left.compareTo(step) < 0 ? left : step);
      for (DeviceConnection connection : connections) {
        connection.heartbeat();
      }
    }
  }

  @AfterEach
  void close() {
    for (Node node : nodes.values()) {
      node.presence.close();
    }
    bus.close();
  }

  @Test
  void aCrashedNodesUsersGoOfflineOnceOnEveryOtherNodeAfterLeasePlusGraceWithLastSeenItsLastRenewal() {
    Node a = start("a");
    Node b = start("b");
    Node c = start("c");
    a.presence.connect("alice", "phone");
    a.presence.connect("erin", "phone");
    RecordingSink bob = b.watch("bob", "alice", "erin");
    RecordingSink carol = c.watch("carol", "alice");
    advance(Duration.ofSeconds(12)); // a renewed at 5 s and 10 s
    Instant lastRenewal = Harness.atSeconds(10);

    a.running = false; // kill -9: no goodbye, its clock and timers stop
    advance(LEASE.plus(GRACE).minusSeconds(2)); // 35 s: deadline 25 s + grace 10 s not passed yet
    assertThat(bob.changes()).isEmpty();
    advance(Duration.ofSeconds(6));

    assertThat(bob.changes()).extracting(UserPresence::userId).containsExactlyInAnyOrder("alice", "erin");
    assertThat(bob.changes()).allSatisfy(p -> {
      assertThat(p.state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(p.lastSeen()).isEqualTo(lastRenewal);
    });
    assertThat(carol.changes()).singleElement().satisfies(p -> assertThat(p.state()).isEqualTo(PresenceState.OFFLINE));
    assertThat(b.presence.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
    advance(Duration.ofMinutes(2));
    assertThat(bob.changes()).hasSize(2);
    assertThat(carol.changes()).hasSize(1);
  }

  @Test
  void aUserWhoAlsoHasADeviceOnALiveNodeNeverFlickers() {
    Node a = start("a");
    Node b = start("b");
    a.presence.connect("alice", "phone");
    DeviceConnection laptop = b.presence.connect("alice", "laptop");
    RecordingSink bob = b.watch("bob", "alice");
    RecordingSink carol = a.watch("carol", "alice");

    a.running = false;
    advanceWithHeartbeats(Duration.ofMinutes(2), laptop);

    assertThat(bob.changes()).isEmpty();
    assertThat(b.presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    assertThat(((InMemoryPresenceStore) store).get("alice").devices()).hasSize(1);
    assertThat(carol.changes()).as("the dead node's own watcher is gone with it").isEmpty();
  }

  @Test
  void twoSurvivorsRacingToSweepEmitEachOfflineOnce() {
    Node a = start("a");
    Node b = start("b");
    Node c = start("c");
    for (int i = 0; i < 20; i++) {
      a.presence.connect("u" + i, "phone");
    }
    String[] users = new String[20];
    for (int i = 0; i < 20; i++) {
      users[i] = "u" + i;
    }
    RecordingSink onB = b.watch("bob", users);
    RecordingSink onC = c.watch("carol", users);

    a.running = false;
    advance(LEASE.plus(GRACE).plus(RENEW).plusSeconds(1));

    assertThat(onB.changes()).hasSize(20).allSatisfy(p -> assertThat(p.state()).isEqualTo(PresenceState.OFFLINE));
    assertThat(onC.changes()).hasSize(20);
    long emitted = b.changes.size() + c.changes.size();
    assertThat(emitted).as("each listener hears each change once: made on one node, delivered to the other").isEqualTo(40);
  }

  @Test
  void aNodeRestartedUnderTheSameIdSweepsItsPreviousLifeBeforeItServes() {
    Node a = start("a");
    Node b = start("b");
    a.presence.connect("alice", "phone");
    RecordingSink bob = b.watch("bob", "alice");
    advance(Duration.ofSeconds(7));
    a.crash();
    advance(Duration.ofSeconds(1));

    nodes.remove("a");
    Node again = start("a"); // the process came back at once, long before its lease ran out
    advance(Duration.ofSeconds(1));

    assertThat(bob.changes()).singleElement().satisfies(p -> {
      assertThat(p.state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(p.lastSeen()).isEqualTo(Harness.atSeconds(5));
    });
    again.presence.connect("alice", "phone");
    advance(Duration.ofSeconds(1));
    assertThat(bob.changes()).extracting(UserPresence::state).containsExactly(PresenceState.OFFLINE, PresenceState.ONLINE);
    a.presence.close();
  }

  @Test
  void aClosedNodeLeavesItsDevicesInGraceSoReconnectsElsewhereAreSilentAndTheRestGoOfflineAtTheCloseTime() {
    Node a = start("a");
    Node b = start("b");
    a.presence.connect("alice", "phone");
    a.presence.connect("dave", "phone");
    RecordingSink bob = b.watch("bob", "alice", "dave");
    advance(Duration.ofSeconds(3));
    Instant closedAt = world.instant();

    a.presence.close(); // a rolling deploy
    a.running = false;
    advance(Duration.ofSeconds(4));
    DeviceConnection moved = b.presence.connect("alice", "phone"); // alice's client reconnects to b
    advanceWithHeartbeats(GRACE, moved);
    advance(RENEW);

    assertThat(bob.changes()).singleElement().satisfies(p -> {
      assertThat(p.userId()).isEqualTo("dave");
      assertThat(p.state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(p.lastSeen()).isEqualTo(closedAt);
    });
    assertThat(b.presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  void aPausedNodeThatWasSweptRejoinsAndItsUsersComeBackOnlineOnce() {
    Node a = start("a");
    Node b = start("b");
    DeviceConnection alice = a.presence.connect("alice", "phone");
    RecordingSink bob = b.watch("bob", "alice");
    RecordingSink carol = a.watch("carol", "alice");
    advance(Duration.ofSeconds(2));

    a.running = false; // a long GC pause: nothing on a moves, but nothing is lost either
    advance(LEASE.plus(GRACE).plus(RENEW));
    assertThat(bob.changes()).extracting(UserPresence::state).containsExactly(PresenceState.OFFLINE);

    a.running = true;
    alice.heartbeat();
    advanceWithHeartbeats(RENEW.plusSeconds(1), alice);

    assertThat(bob.changes()).extracting(UserPresence::state)
        .containsExactly(PresenceState.OFFLINE, PresenceState.ONLINE);
    assertThat(alice.isOpen()).isTrue();
    assertThat(b.presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
    advanceWithHeartbeats(Duration.ofMinutes(1), alice);
    assertThat(bob.changes()).hasSize(2);
    assertThat(carol.changes()).extracting(UserPresence::state)
        .as("a's own watcher saw the same once it caught up")
        .endsWith(PresenceState.ONLINE);
  }

  @Test
  void afterTheStoreLostItsDataEveryNodeReassertsStatusThenDevicesAndVersionsKeepGrowing() {
    Node a = start("a");
    Node b = start("b");
    DeviceConnection alice = a.presence.connect("alice", "phone");
    DeviceConnection dave = b.presence.connect("dave", "laptop");
    b.presence.setStatus("dave", StatusMode.INVISIBLE, "shh", null);
    a.presence.setStatus("alice", StatusMode.DND, "focus", null);
    RecordingSink bob = b.watch("bob", "alice", "dave");
    long aliceVersion = b.presence.get("alice").version();
    List<UserPresence> daveSeen = new ArrayList<>();
    b.presence.subscribe("erin", new PresenceSink() {
      @Override
      public void onPresence(List<UserPresence> changes) {
        changes.stream().filter(p -> p.userId().equals("dave")).forEach(daveSeen::add);
      }

      @Override
      public void onTyping(List<TypingEvent> events) {}
    }).watchUsers(List.of("dave"));

    ((InMemoryPresenceStore) store).clear(); // FLUSHALL
    advanceWithHeartbeats(RENEW.plusSeconds(2), alice, dave);

    UserPresence aliceNow = b.presence.get("alice");
    assertThat(aliceNow.state()).isEqualTo(PresenceState.DND);
    assertThat(aliceNow.customText()).isEqualTo("focus");
    assertThat(aliceNow.version()).isGreaterThan(aliceVersion);
    assertThat(b.presence.viewAs("bob").get("dave").state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(daveSeen).allSatisfy(p -> assertThat(p.state()).isEqualTo(PresenceState.OFFLINE));
    assertThat(b.presence.viewAs("dave").get("dave").state()).as("dave's own view").isEqualTo(PresenceState.ONLINE);
    // the stream goes on: a later change is newer than anything bob has
    alice.setIdle(true);
    a.presence.setStatus("alice", StatusMode.AUTO);
    advanceWithHeartbeats(Duration.ofSeconds(2), alice, dave);
    assertThat(bob.changes()).last().satisfies(p -> assertThat(p.state()).isEqualTo(PresenceState.IDLE));
  }

  @Test
  void aConnectionTheReassertFindsTakenOverIsToldAfterTheLeaseLetGo() throws Exception {
    Node a = start("a");
    Node b = start("b");
    Object aLease = leaseOf(a);
    List<CloseReason> reasons = new ArrayList<>();
    List<Boolean> underLease = new ArrayList<>();
    DeviceConnection alice =
        a.presence.connect("alice", "phone", DeviceInfo.UNKNOWN, (connection, reason) -> {
          reasons.add(reason);
          underLease.add(Thread.holdsLock(aLease));
        });

    ((InMemoryPresenceStore) store).clear(); // FLUSHALL
    DeviceConnection moved = b.presence.connect("alice", "phone"); // the phone reconnects to b first
    advanceWithHeartbeats(RENEW.plusSeconds(2), alice, moved);

    assertThat(reasons).containsExactly(CloseReason.TAKEN_OVER);
    assertThat(underLease).as("told inside the lease's monitor").containsExactly(false);
    assertThat(b.presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
  }

  private static Object leaseOf(Node node) throws ReflectiveOperationException {
    java.lang.reflect.Field lease = PresenceEngine.class.getDeclaredField("lease");
    lease.setAccessible(true);
    return lease.get(node.presence);
  }

  @Test
  void anInvisibleUserTypingWhileTheStoreRefillsShowsNoIndicator() {
    Node a = start("a");
    Node b = start("b");
    for (Node node : List.of(a, b)) {
      node.presence.joinChannel("general", "alice");
      node.presence.joinChannel("general", "bob");
    }
    DeviceConnection alice = a.presence.connect("alice", "phone");
    a.presence.setStatus("alice", StatusMode.INVISIBLE);
    RecordingSink bob = new RecordingSink(b.time);
    b.presence.subscribe("bob", bob).watchChannel("general");

    ((InMemoryPresenceStore) store).clear();
    alice.typing("general"); // before a's next renewal: the store says "AUTO, never set" now
    advanceWithHeartbeats(RENEW.plusSeconds(1), alice);
    alice.typing("general");
    advance(Duration.ofSeconds(3));
    alice.typing("general");

    assertThat(bob.typingEvents()).isEmpty();
    assertThat(bob.changes()).allSatisfy(p -> assertThat(p.state()).isEqualTo(PresenceState.OFFLINE));
    assertThat(((InMemoryPresenceStore) store).get("alice").mode()).isEqualTo(StatusMode.INVISIBLE);
  }

  @Test
  void aStoreThatPublishesItsOwnChangesIsNotPublishedAgainByTheEngine() {
    AtomicInteger published = new AtomicInteger();
    store =
        new ForwardingPresenceStore(new InMemoryPresenceStore(world)) {
          @Override
          public boolean publishesChanges() {
            return true;
          }
        };
    LocalPresenceBus counting = new LocalPresenceBus();
    try (Presence presence =
        Fixtures.manual(world).store(store).bus(new dev.presence.spi.PresenceBus() {
          @Override
          public Connection join(String nodeId, Listener listener) {
            Connection inner = counting.join(nodeId, listener);
            return new Connection() {
              @Override
              public void publish(PresenceChange change) {
                published.incrementAndGet();
                inner.publish(change);
              }

              @Override
              public java.util.concurrent.CompletionStage<Void> watchUsers(java.util.Collection<String> userIds) {
                return inner.watchUsers(userIds);
              }

              @Override
              public void unwatchUsers(java.util.Collection<String> userIds) {
                inner.unwatchUsers(userIds);
              }

              @Override
              public void publishTyping(TypingEvent event) {
                inner.publishTyping(event);
              }

              @Override
              public java.util.concurrent.CompletionStage<Void> watchChannels(java.util.Collection<String> ids) {
                return inner.watchChannels(ids);
              }

              @Override
              public void unwatchChannels(java.util.Collection<String> channelIds) {
                inner.unwatchChannels(channelIds);
              }

              @Override
              public void close() {
                inner.close();
              }
            };
          }
        }).build()) {
      presence.connect("alice", "phone");
      presence.setStatus("alice", StatusMode.DND);

      assertThat(presence.get("alice").version()).isEqualTo(2);
      assertThat(published).hasValue(0);
    }
  }
}
