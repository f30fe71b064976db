package dev.presence.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.PresenceChange;
import dev.presence.PresenceState;
import dev.presence.TypingEvent;
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
 * The compatibility kit of typing on a {@link PresenceBus}, beside {@code PresenceBusContract}:
 * every bus implementation must pass both. A node receives the typing events of the channels it
 * watches, published by other nodes, intact and nothing else; its own events never come back;
 * unwatching and closing stop delivery; channel interest and user interest are separate.
 *
 * <p>To check an implementation, extend this class in a test and create a bus:
 *
 * <pre>{@code
 * class RedisPresenceBusTypingTest extends PresenceBusTypingContract {
 *   @Override
 *   protected PresenceBus newBus() {
 *     return RedisPresenceBus.create(redisUri);
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #newBus()} is called before each test; the bus and every connection a test joined are
 * closed after it. Channel, user and node ids carry a prefix unique to the test, so buses backed by
 * a shared server need no cleanup.
 *
 * <p>Asynchronous buses: an event that should arrive is awaited up to {@link #deliveryTimeout()}
 * (an in-process bus delivers before {@code publishTyping} returns, so nothing waits). An event that
 * must not arrive is checked after a later event that must arrive has arrived at the same node. An
 * implementation whose {@code watchChannels}, {@code unwatchChannels} or {@code close} take effect
 * only some time after they return overrides {@link #settle()} to wait until they have. Delivery
 * order between different channels is never assumed.
 */
public abstract class PresenceBusTypingContract extends BusContractFixture {
  private static final Instant AT = Instant.parse("2026-01-01T00:00:05Z");

  /** One joined node and what it received. */
  protected final class Node {
    /** The node id, unique to this test. */
    public final String id;
    /** Typing events delivered to this node, in arrival order. */
    public final BlockingQueue<TypingEvent> typing = new LinkedBlockingQueue<>();
    /** Presence changes delivered to this node, in arrival order. */
    public final BlockingQueue<PresenceChange> changes = new LinkedBlockingQueue<>();
    /** The node's connection. */
    public final PresenceBus.Connection connection;

    Node(String name, Runnable onTyping) {
      this.id = id(name);
      this.connection =
          join(
              name,
              new PresenceBus.Listener() {
                @Override
                public void onPresenceChange(PresenceChange change) {
                  changes.add(change);
                }

                @Override
                public void onTyping(TypingEvent event) {
                  try {
                    onTyping.run(); // counted before it is recorded: a test that saw it sees the count
                  } finally {
                    typing.add(event);
                  }
                }
              });
    }

    /** Watches the given channels (by short name) and settles. */
    public Node watch(String... channels) throws Exception {
      connection.watchChannels(ids(channels)).toCompletableFuture()
          .get(deliveryTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      settle();
      return this;
    }

    /** Unwatches the given channels (by short name) and settles. */
    public Node unwatch(String... channels) throws Exception {
      connection.unwatchChannels(ids(channels));
      settle();
      return this;
    }

    /** Publishes a typing event. */
    public void type(TypingEvent event) {
      connection.publishTyping(event);
    }

    /** The next event delivered, waiting up to the delivery timeout; fails if none comes. */
    public TypingEvent next() throws InterruptedException {
      TypingEvent event = typing.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
      assertThat(event).as("a typing event delivered to %s within %s", id, deliveryTimeout()).isNotNull();
      return event;
    }
  }

  /** Joins a node that records what it receives. */
  protected final Node node(String name) {
    return new Node(name, () -> {});
  }

  /** A typing event of a user (by short name) in a channel (by short name). */
  protected final TypingEvent typing(String channel, String user, TypingEvent.Kind kind) {
    return new TypingEvent(id(channel), id(user), kind, kind == TypingEvent.Kind.STOPPED ? null : AT);
  }

  @Test
  public void aNodeReceivesTypingInTheChannelsItWatches() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("general");
    TypingEvent started = typing("general", "alice", TypingEvent.Kind.STARTED);

    a.type(started);

    assertThat(b.next()).isEqualTo(started);
  }

  @Test
  public void everyKindArrivesIntactWithItsExpiry() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("general");
    TypingEvent refreshed =
        new TypingEvent(id("general"), id("alice"), TypingEvent.Kind.REFRESHED, Instant.parse("2026-03-04T05:06:07.891Z"));

    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));
    assertThat(b.next()).isEqualTo(typing("general", "alice", TypingEvent.Kind.STARTED));
    a.type(refreshed);
    assertThat(b.next()).isEqualTo(refreshed);
    a.type(typing("general", "alice", TypingEvent.Kind.STOPPED));
    TypingEvent stopped = b.next();

    assertThat(stopped).isEqualTo(typing("general", "alice", TypingEvent.Kind.STOPPED));
    assertThat(stopped.expiresAt()).isNull();
  }

  @Test
  public void onlyTypingInWatchedChannelsIsDelivered() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("general");

    a.type(typing("random", "alice", TypingEvent.Kind.STARTED));
    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));

    assertThat(b.next().channelId()).isEqualTo(id("general"));
    assertThat(b.typing).isEmpty();
  }

  @Test
  public void everyWatchingNodeReceivesTheEventAndNoOtherNode() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("general");
    Node c = node("c").watch("general", "random");
    Node d = node("d").watch("random");

    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));
    a.type(typing("random", "alice", TypingEvent.Kind.STARTED));

    assertThat(b.next()).isEqualTo(typing("general", "alice", TypingEvent.Kind.STARTED));
    assertThat(List.of(c.next(), c.next())).extracting(TypingEvent::channelId)
        .containsExactlyInAnyOrder(id("general"), id("random"));
    assertThat(d.next().channelId()).isEqualTo(id("random"));
    assertThat(b.typing).isEmpty();
    assertThat(d.typing).isEmpty();
  }

  @Test
  public void aPublisherNeverReceivesItsOwnTyping() throws Exception {
    Node a = node("a").watch("general");
    Node b = node("b").watch("general");

    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));
    assertThat(b.next().userId()).isEqualTo(id("alice"));
    b.type(typing("general", "bob", TypingEvent.Kind.STARTED));
    assertThat(a.next().userId()).isEqualTo(id("bob"));

    assertThat(a.typing).isEmpty();
    assertThat(b.typing).isEmpty();
  }

  @Test
  public void unwatchingAChannelStopsItsTyping() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("general", "random");

    b.unwatch("general");
    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));
    a.type(typing("random", "alice", TypingEvent.Kind.STARTED));

    assertThat(b.next().channelId()).isEqualTo(id("random"));
    assertThat(b.typing).isEmpty();
  }

  @Test
  public void watchingAChannelIsIdempotentAndOneUnwatchUndoesIt() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("general", "general").watch("general", "random");

    b.unwatch("general");
    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));
    a.type(typing("random", "alice", TypingEvent.Kind.STARTED));

    assertThat(b.next().channelId()).isEqualTo(id("random"));
    assertThat(b.typing).isEmpty();
    assertThatCode(() -> b.unwatch("never-watched")).doesNotThrowAnyException();
    assertThatCode(() -> b.connection.watchChannels(List.of())).doesNotThrowAnyException();
    assertThatCode(() -> b.connection.unwatchChannels(List.of())).doesNotThrowAnyException();
  }

  @Test
  public void channelInterestAndUserInterestAreSeparateEvenForTheSameId() throws Exception {
    Node a = node("a");
    Node channelWatcher = node("channels").watch("shared");
    Node userWatcher = node("users");
    userWatcher.connection.watchUsers(List.of(id("shared")));
    settle();
    UserPresence before = new UserPresence(id("shared"), PresenceState.OFFLINE, null, null, 1);
    UserPresence after = new UserPresence(id("shared"), PresenceState.ONLINE, null, AT, 2);

    a.connection.publish(new PresenceChange(before, after));
    a.type(typing("shared", "alice", TypingEvent.Kind.STARTED));
    a.connection.publish(new PresenceChange(after, new UserPresence(id("shared"), PresenceState.IDLE, null, AT, 3)));

    assertThat(channelWatcher.next().channelId()).isEqualTo(id("shared"));
    assertThat(userWatcher.changes.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(userWatcher.changes.poll(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(userWatcher.typing).as("watching a user brings no typing").isEmpty();
    assertThat(channelWatcher.changes).as("watching a channel brings no presence").isEmpty();
  }

  @Test
  public void aClosedConnectionReceivesNoTyping() throws Exception {
    Node a = node("a");
    Node b = node("b").watch("general");
    Node c = node("c").watch("general");

    b.connection.close();
    settle();
    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));

    assertThat(c.next()).isEqualTo(typing("general", "alice", TypingEvent.Kind.STARTED));
    assertThat(b.typing).isEmpty();
  }

  @Test
  public void aThrowingTypingListenerDoesNotStopDeliveryToOthersOrToItself() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Node a = node("a");
    Node failing =
        new Node(
            "failing",
            () -> {
              calls.incrementAndGet();
              throw new IllegalStateException("listener bug");
            });
    failing.watch("general");
    Node healthy = node("healthy").watch("general");

    a.type(typing("general", "alice", TypingEvent.Kind.STARTED));
    a.type(typing("general", "alice", TypingEvent.Kind.STOPPED));

    assertThat(List.of(healthy.next(), healthy.next())).extracting(TypingEvent::kind)
        .containsExactlyInAnyOrder(TypingEvent.Kind.STARTED, TypingEvent.Kind.STOPPED);
    failing.next();
    failing.next();
    assertThat(calls.get()).isEqualTo(2);
  }

  @Test
  public void nullArgumentsAreRejected() {
    Node a = node("a");

    assertThatThrownBy(() -> a.connection.publishTyping(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.watchChannels(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.watchChannels(Arrays.asList(id("general"), null)))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.unwatchChannels(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> a.connection.unwatchChannels(Arrays.asList(id("general"), null)))
        .isInstanceOf(NullPointerException.class);
  }
}
