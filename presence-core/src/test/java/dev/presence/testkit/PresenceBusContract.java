package dev.presence.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.PresenceChange;
import dev.presence.PresenceState;
import dev.presence.UserPresence;
import dev.presence.spi.PresenceBus;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit of {@link PresenceBus}: every bus implementation must pass it. It states the
 * interest contract: a node receives the changes of the users it watches, published by other
 * nodes, and nothing else; its own publications never come back; unwatching and closing stop
 * delivery; node ids are unique; a throwing listener hurts nobody else.
 *
 * <p>To check an implementation, extend this class in a test and create a bus:
 *
 * <pre>{@code
 * class RedisPresenceBusTest extends PresenceBusContract {
 *   @Override
 *   protected PresenceBus newBus() {
 *     return RedisPresenceBus.create(redisUri);
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #newBus()} is called before each test; the bus and every connection a test joined are
 * closed after it. User and node ids carry a prefix unique to the test, so buses backed by a shared
 * server need no cleanup.
 *
 * <p>Asynchronous buses: a change that should arrive is awaited up to {@link #deliveryTimeout()}
 * (an in-process bus delivers before {@code publish} returns, so nothing waits). A change that must
 * not arrive is checked after a later change that must arrive has arrived at the same node. An
 * implementation whose {@code watchUsers}, {@code unwatchUsers} or {@code close} take effect only
 * some time after they return overrides {@link #settle()} to wait until they have. Delivery order
 * between different users is never assumed.
 */
public abstract class PresenceBusContract extends BusContractFixture {
  /** A user id unique to this test. */
  protected final String user(String name) {
    return id(name);
  }

  /** One joined node and the changes it received. */
  protected final class Node {
    /** The node id, unique to this test. */
    public final String id;
    /** Changes delivered to this node, in arrival order. */
    public final BlockingQueue<PresenceChange> received = new LinkedBlockingQueue<>();
    /** The node's connection. */
    public final PresenceBus.Connection connection;

    Node(String name, PresenceBus.Listener extra) {
      this.id = id(name);
      this.connection =
          join(
              name,
              change -> {
                try {
                  extra.onPresenceChange(change); // counted before it is recorded: a test that saw it sees the count
                } finally {
                  received.add(change);
                }
              });
    }

    /** Watches the given users (by short name), waits for the bus to confirm, and settles. */
    public Node watch(String... names) throws Exception {
      connection.watchUsers(ids(names)).toCompletableFuture().get(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
      settle();
      return this;
    }

    /** Unwatches the given users (by short name) and settles. */
    public Node unwatch(String... names) throws Exception {
      connection.unwatchUsers(ids(names));
      settle();
      return this;
    }

    /** The next change delivered, waiting up to the delivery timeout; fails if none comes. */
    public PresenceChange next() throws InterruptedException {
      PresenceChange change = received.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
      assertThat(change).as("a change delivered to %s within %s", id, deliveryTimeout()).isNotNull();
      return change;
    }
  }

  /** Joins a node that records what it receives. */
  protected final Node node(String name) {
    return new Node(name, change -> {});
  }

  /** A change of the user (by short name) to {@code version}. */
  protected final PresenceChange change(String name, long version) {
    String userId = user(name);
    Instant at = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(version);
    return new PresenceChange(
        new UserPresence(userId, PresenceState.OFFLINE, null, at.minusSeconds(1), version - 1),
        new UserPresence(userId, PresenceState.ONLINE, "v" + version, at, version));
  }

  @Test
  public void aWatchIsInForceOnceItsStageCompletesWithNoFurtherWait() throws Exception {
    Node a = node("a");
    Node b = node("b");

    b.connection.watchUsers(ids("alice", "bob")).toCompletableFuture()
        .get(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
    a.connection.publish(change("alice", 1));
    a.connection.publish(change("bob", 1));

    assertThat(List.of(b.next().userId(), b.next().userId())).containsExactlyInAnyOrder(user("alice"), user("bob"));
  }

  @Test
  public void watchingAnAlreadyWatchedUserCompletesToo() throws Exception {
    Node b = node("b").watch("alice");

    b.connection.watchUsers(ids("alice")).toCompletableFuture()
        .get(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
    node("a").connection.publish(change("alice", 1));

    assertThat(b.next().version()).isEqualTo(1);
  }

  @Test
  public void aNodeReceivesTheChangesOfTheUsersItWatches() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("alice");
    PresenceChange change = change("alice", 7);

    a.connection.publish(change);

    assertThat(b.next()).isEqualTo(change);
  }

  @Test
  public void onlyChangesOfWatchedUsersAreDelivered() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("alice");

    a.connection.publish(change("bob", 1));
    a.connection.publish(change("alice", 1));

    assertThat(b.next().userId()).isEqualTo(user("alice"));
    assertThat(b.received).isEmpty();
  }

  @Test
  public void everyWatchingNodeReceivesTheChange() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("alice");
    Node c = node("c").watch("alice", "bob");

    a.connection.publish(change("alice", 3));

    assertThat(b.next()).isEqualTo(change("alice", 3));
    assertThat(c.next()).isEqualTo(change("alice", 3));
  }

  @Test
  public void aPublisherNeverReceivesItsOwnChanges() throws Exception {
    Node a = node("a").watch("alice");
    Node b = node("b").watch("alice");

    a.connection.publish(change("alice", 1));
    assertThat(b.next()).isEqualTo(change("alice", 1));
    b.connection.publish(change("alice", 2));
    assertThat(a.next()).isEqualTo(change("alice", 2));

    assertThat(a.received).isEmpty();
    assertThat(b.received).isEmpty();
  }

  @Test
  public void unwatchingStopsDelivery() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("alice", "bob");

    b.unwatch("alice");
    a.connection.publish(change("alice", 1));
    a.connection.publish(change("bob", 1));

    assertThat(b.next().userId()).isEqualTo(user("bob"));
    assertThat(b.received).isEmpty();
  }

  @Test
  public void watchingIsIdempotentAndOneUnwatchUndoesIt() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("alice", "alice").watch("alice", "carol");

    a.connection.publish(change("alice", 1));
    a.connection.publish(change("carol", 1));
    List<String> users = List.of(b.next().userId(), b.next().userId());
    assertThat(users).containsExactlyInAnyOrder(user("alice"), user("carol"));

    b.unwatch("alice");
    a.connection.publish(change("alice", 2));
    a.connection.publish(change("carol", 2));
    assertThat(b.next()).isEqualTo(change("carol", 2));
    assertThat(b.received).isEmpty();
  }

  @Test
  public void unwatchingAUserNeverWatchedDoesNothing() throws Exception {
    Node b = node("b");

    assertThatCode(() -> b.unwatch("nobody")).doesNotThrowAnyException();
    assertThatCode(() -> b.connection.unwatchUsers(List.of())).doesNotThrowAnyException();
    assertThatCode(() -> b.connection.watchUsers(List.of())).doesNotThrowAnyException();
  }

  @Test
  public void aClosedConnectionReceivesNothing() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("alice");
    Node c = node("c").watch("alice");

    b.connection.close();
    settle();
    a.connection.publish(change("alice", 1));

    assertThat(c.next()).isEqualTo(change("alice", 1));
    assertThat(b.received).isEmpty();
    assertThatCode(b.connection::close).doesNotThrowAnyException();
  }

  @Test
  public void aDuplicateNodeIdIsRejectedAndTheFirstNodeKeepsWorking() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("alice");

    assertThatThrownBy(() -> bus.join(b.id, change -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(b.id);

    a.connection.publish(change("alice", 1));
    assertThat(b.next()).isEqualTo(change("alice", 1));
  }

  @Test
  public void aNodeIdIsFreeAgainOnceItsConnectionIsClosed() throws Exception {
    Node a = node("a");
    Node first = node("b");
    first.connection.close();
    settle();

    BlockingQueue<PresenceChange> received = new LinkedBlockingQueue<>();
    PresenceBus.Connection again = join("b", received::add);
    again.watchUsers(List.of(user("alice")));
    settle();
    a.connection.publish(change("alice", 1));

    assertThat(received.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(change("alice", 1));
    assertThat(first.received).isEmpty();
  }

  @Test
  public void aThrowingListenerDoesNotStopDeliveryToOthersOrToItself() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Node a = node("a");
    Node failing =
        new Node(
            "failing",
            change -> {
              calls.incrementAndGet();
              throw new IllegalStateException("listener bug");
            });
    failing.watch("alice");
    Node healthy = node("healthy").watch("alice");

    a.connection.publish(change("alice", 1));
    a.connection.publish(change("alice", 2));

    List<PresenceChange> got = List.of(healthy.next(), healthy.next());
    assertThat(got).containsExactlyInAnyOrder(change("alice", 1), change("alice", 2));
    failing.next();
    failing.next();
    assertThat(calls.get()).isEqualTo(2);
  }

  @Test
  public void joiningAClosedBusIsRejected() {
    bus.close();

    assertThatThrownBy(() -> bus.join(id("late"), change -> {}))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  public void nullArgumentsAreRejected() {
    Node a = node("a");

    assertThatThrownBy(() -> bus.join(null, change -> {})).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> bus.join(id("x"), null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.publish(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.watchUsers(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.watchUsers(Arrays.asList(user("alice"), null)))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.unwatchUsers(null)).isInstanceOf(NullPointerException.class);
  }
}
