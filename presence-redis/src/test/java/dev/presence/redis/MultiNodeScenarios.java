package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceState;
import dev.presence.Scheduler;
import dev.presence.StatusMode;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whole engines on Redis, in real time with short leases: the multi-node fault scenarios of the core's
 * {@code CrashCleanupTest} (a node killed, restarted under its id, closed for a deploy, the store
 * losing its data), which run there on a fake clock and the in-memory store. Here the lease clock is
 * Redis {@code TIME}, so waiting is a bounded poll.
 *
 * <p>{@link #newStore()} and {@link #newBus()} are called once per node (a node in another process has
 * its own clients) on the shared server; {@link #loseAllData()} empties it. Ids carry a prefix unique
 * to each test.
 */
abstract class MultiNodeScenarios {
  private static final Duration LEASE = Duration.ofMillis(1500);
  private static final Duration RENEW = Duration.ofMillis(250);
  private static final Duration GRACE = Duration.ofMillis(600);

  private final String prefix = "mn-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final List<Node> nodes = new ArrayList<>();

  /** A store for one node, on the shared backing data. */
  protected abstract PresenceStore newStore();

  /** A bus for one node, on the shared backing server. */
  protected abstract PresenceBus newBus();

  /** Makes the backing store lose all its data (a flush, or a restart empty). */
  protected abstract void loseAllData();

  /** How long a scenario may wait for something to happen; raise it for a slow backend. */
  protected Duration patience() {
    return Duration.ofSeconds(20);
  }

  /**
   * Drives an engine's timer ticks, and can hold them back: a paused node (a long GC pause, a
   * partition) renews nothing and expires nothing, then catches up when resumed.
   */
  static final class PausableScheduler implements Scheduler {
    private final ScheduledExecutorService executor;
    private final List<Runnable> held = new ArrayList<>();
    private boolean paused;

    PausableScheduler(ScheduledExecutorService executor) {
      this.executor = executor;
    }

    @Override
    public java.util.concurrent.Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
      return executor.schedule(() -> runOrHold(task), delay, unit);
    }

    private void runOrHold(Runnable task) {
      synchronized (this) {
        if (paused) {
          held.add(task);
          return;
        }
      }
      task.run();
    }

    synchronized void pause() {
      paused = true;
    }

    void resume() {
      List<Runnable> due;
      synchronized (this) {
        paused = false;
        due = List.copyOf(held);
        held.clear();
      }
      due.forEach(executor::execute);
    }
  }

  /** One engine with its own clients and its own timer thread, which a crash stops. */
  protected final class Node {
    final Presence presence;
    final PresenceStore store;
    final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    final PausableScheduler ticks = new PausableScheduler(timers);
    private PresenceBus.Connection onBus;
    private final PresenceBus bus;

    Node(String name) {
      store = newStore();
      bus = newBus();
      PresenceBus mine = (nodeId, listener) -> onBus = bus.join(nodeId, listener);
      presence =
          Presence.builder()
              .store(store)
              .bus(mine)
              .nodeId(prefix + name)
              .scheduler(ticks)
              .lease(LEASE)
              .leaseRenewInterval(RENEW)
              .grace(GRACE)
              .flushInterval(Duration.ZERO)
              .build();
    }

    /** kill -9: its timers stop and it leaves the bus without a word; nothing else is told. */
    void crash() {
      timers.shutdownNow();
      onBus.close();
    }
  }

  private Node start(String name) {
    Node node = new Node(name);
    nodes.add(node);
    return node;
  }

  @AfterEach
  void stopNodes() {
    for (Node node : nodes) {
      if (!node.timers.isShutdown()) {
        node.presence.close();
      }
      node.timers.shutdownNow();
      node.bus.close();
      node.store.close();
    }
  }

  private String id(String name) {
    return prefix + name;
  }

  /** A watcher's stream of presence changes. */
  private List<UserPresence> watch(Node node, String... users) {
    List<UserPresence> seen = new CopyOnWriteArrayList<>();
    List<String> ids = new ArrayList<>();
    for (String user : users) {
      ids.add(id(user));
    }
    node.presence.subscribe(id("watcher"), new PresenceSink() {
      @Override
      public void onPresence(List<UserPresence> changes) {
        seen.addAll(changes);
      }

      @Override
      public void onTyping(List<TypingEvent> events) {}
    }).watchUsers(ids);
    return seen;
  }

  private long count(List<UserPresence> seen, String user, PresenceState state) {
    return seen.stream().filter(p -> p.userId().equals(id(user)) && p.state() == state).count();
  }

  private void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + patience().toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " did not happen within " + patience());
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** Waits out one more lease and grace, for a wrong second event to show up if there is one. */
  private void settle() throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(LEASE.plus(GRACE).toMillis());
  }

  @Test
  public void aKilledNodesUsersGoOfflineOnceAndAUserWithADeviceOnALiveNodeDoesNotFlicker() throws Exception {
    Node a = start("a");
    Node b = start("b");
    a.presence.connect(id("alice"), "phone");
    a.presence.connect(id("carol"), "phone");
    b.presence.connect(id("carol"), "laptop");
    List<UserPresence> seen = watch(b, "alice", "carol");

    a.crash();

    await("alice's offline", () -> count(seen, "alice", PresenceState.OFFLINE) == 1);
    settle();
    assertThat(count(seen, "alice", PresenceState.OFFLINE)).isEqualTo(1);
    assertThat(count(seen, "carol", PresenceState.OFFLINE)).isZero();
    assertThat(b.presence.get(id("carol")).state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  public void aNodeRestartedUnderItsIdClearsItsPreviousLifeBeforeItServes() throws Exception {
    Node a = start("a");
    Node b = start("b");
    a.presence.connect(id("alice"), "phone");
    List<UserPresence> seen = watch(b, "alice");
    a.crash();

    Node again = start("a"); // long before the old lease ran out

    assertThat(again.presence.get(id("alice")).state()).isEqualTo(PresenceState.OFFLINE);
    await("alice's offline", () -> count(seen, "alice", PresenceState.OFFLINE) == 1);
    again.presence.connect(id("alice"), "phone");
    await("alice back online", () -> count(seen, "alice", PresenceState.ONLINE) == 1);
    settle();
    assertThat(count(seen, "alice", PresenceState.OFFLINE)).isEqualTo(1);
    assertThat(b.presence.get(id("alice")).state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  public void aClosedNodesDevicesStayForTheGraceSoAReconnectElsewhereIsSilent() throws Exception {
    Node a = start("a");
    Node b = start("b");
    a.presence.connect(id("alice"), "phone");
    a.presence.connect(id("dave"), "phone");
    List<UserPresence> seen = watch(b, "alice", "dave");
    Instant before = Instant.now();

    a.presence.close(); // a rolling deploy
    Instant after = Instant.now();
    b.presence.connect(id("alice"), "phone"); // alice's client reconnects to b, within the grace

    await("dave's offline", () -> count(seen, "dave", PresenceState.OFFLINE) == 1);
    settle();
    assertThat(count(seen, "alice", PresenceState.OFFLINE)).isZero();
    assertThat(b.presence.get(id("alice")).state()).isEqualTo(PresenceState.ONLINE);
    Instant lastSeen = b.presence.get(id("dave")).lastSeen();
    assertThat(lastSeen).isBetween(before.minusMillis(1_000), after.plusMillis(1_000));
    assertThat(count(seen, "dave", PresenceState.OFFLINE)).isEqualTo(1);
  }

  @Test
  public void aPausedNodeThatWasSweptRejoinsAndItsUsersComeBackOnlineOnce() throws Exception {
    Node a = start("a");
    Node b = start("b");
    DeviceConnection alice = a.presence.connect(id("alice"), "phone");
    List<UserPresence> seen = watch(b, "alice");

    a.ticks.pause(); // nothing on a renews or expires; its sockets and bus stay
    await("alice swept while a is paused", () -> count(seen, "alice", PresenceState.OFFLINE) == 1);
    a.ticks.resume();

    await("alice back online", () -> count(seen, "alice", PresenceState.ONLINE) == 1);
    alice.heartbeat();
    settle();
    alice.heartbeat();
    assertThat(count(seen, "alice", PresenceState.OFFLINE)).isEqualTo(1);
    assertThat(count(seen, "alice", PresenceState.ONLINE)).isEqualTo(1);
    assertThat(alice.isOpen()).isTrue();
    assertThat(b.presence.get(id("alice")).state()).isEqualTo(PresenceState.ONLINE);
  }

  @Test
  public void afterTheStoreLostItsDataEveryNodeReassertsAndAnInvisibleUserNeverShows() throws Exception {
    Node a = start("a");
    Node b = start("b");
    DeviceConnection alice = a.presence.connect(id("alice"), "phone");
    b.presence.connect(id("dave"), "laptop");
    b.presence.setStatus(id("dave"), StatusMode.INVISIBLE);
    a.presence.setStatus(id("alice"), StatusMode.DND, "focus", null);
    List<UserPresence> seen = watch(b, "alice", "dave");
    long before = b.presence.get(id("alice")).version();

    loseAllData();

    await("alice re-asserted", () -> {
      try {
        UserPresence now = b.presence.get(id("alice"));
        return now.state() == PresenceState.DND && now.version() > before;
      } catch (RuntimeException storeStillRefilling) {
        return false;
      }
    });
    settle();
    assertThat(count(seen, "dave", PresenceState.ONLINE)).as("dave never shown").isZero();
    assertThat(b.presence.viewAs(id("watcher")).get(id("dave")).state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(b.presence.viewAs(id("dave")).get(id("dave")).state()).isEqualTo(PresenceState.ONLINE);
    a.presence.setStatus(id("alice"), StatusMode.AUTO);
    await("the stream goes on", () -> count(seen, "alice", PresenceState.ONLINE) >= 1);
    assertThat(alice.isOpen()).isTrue();
  }
}
