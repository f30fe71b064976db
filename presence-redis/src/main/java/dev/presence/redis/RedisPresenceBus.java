package dev.presence.redis;

import dev.presence.PresenceChange;
import dev.presence.TypingEvent;
import dev.presence.spi.PresenceBus;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PresenceBus} on Redis sharded pub/sub ({@code SSUBSCRIBE}/{@code SPUBLISH}), on a cluster
 * and on a standalone server alike (Redis 7 serves shard channels on a standalone server too, so one
 * code path covers both). Interest-based: a node subscribes to the shard channel {@code <app>:c:{U}}
 * of each user it watches and {@code <app>:t:{C}} of each typing channel it watches, so it receives
 * nothing else. Channels are in the slot of the user's record, so a store script could publish there.
 *
 * <p>Each joined node has its own pub/sub connection. Subscriptions are sent in one {@code SSUBSCRIBE}
 * per slot (a command naming several slots fails with CROSSSLOT), and a watch's stage completes once
 * Redis confirmed every channel. The bus subscribes again, per slot, after any reconnect of its
 * client's connections (Lettuce's own resubscription on a cluster is one multi-slot command, which
 * fails) and after a shard unsubscription it did not ask for (a slot migrated: Redis drops the
 * slot's subscribers and Lettuce does not subscribe again), then calls {@link
 * PresenceBus.Listener#onResync} with the watched users. Every message names its origin node, which
 * drops its own. Listeners run on one thread per node, never on a Lettuce I/O thread; a listener that
 * throws is logged.
 *
 * <p>Thread-safe. Create one with {@link #builder()}; {@link #close()} closes every node and the
 * connections (and the client, if the bus created it).
 */
public final class RedisPresenceBus implements PresenceBus {
  private static final Logger log = LoggerFactory.getLogger(RedisPresenceBus.class);
  /** After a reconnect, wait this long for the others (a cluster reconnects node by node) before subscribing again. */
  private static final long RESUBSCRIBE_DELAY_MILLIS = 100;

  private final RedisConnector connector;
  private final RedisKeys keys;
  private final Duration timeout;
  private final ConcurrentHashMap<String, NodeConnection> nodes = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler;
  private final RedisConnectionStateListener reconnects;
  private volatile boolean closed;
  /** Resyncs handed to the engine after a reconnect or a failed subscription ({@link RedisStats#resyncs()}). */
  private final LongAdder resyncs = new LongAdder();

  private RedisPresenceBus(RedisConnector connector, RedisKeys keys, Duration timeout) {
    this.connector = connector;
    this.keys = keys;
    this.timeout = timeout;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "presence-redis-bus-resubscribe");
              t.setDaemon(true);
              return t;
            });
    this.reconnects =
        new RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
            for (NodeConnection node : nodes.values()) {
              node.reconnected();
            }
          }
        };
    connector.client().addListener(reconnects);
  }

  /**
   * A builder of a bus; see {@link Builder}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Opens the node's pub/sub connection (blocking, at most the connect timeout).
   *
   * @throws IllegalArgumentException if the node id is not valid (empty, control characters, over 256 bytes)
   */
  @Override
  public Connection join(String nodeId, Listener listener) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(listener, "listener");
    IdEncoding.encode("node id", nodeId);
    if (closed) {
      throw new IllegalStateException("the bus is closed");
    }
    NodeConnection placeholder = new NodeConnection(nodeId, listener);
    if (nodes.putIfAbsent(nodeId, placeholder) != null) {
      throw new IllegalStateException("node '" + nodeId + "' has already joined this bus");
    }
    try {
      placeholder.open();
    } catch (RuntimeException e) {
      nodes.remove(nodeId, placeholder);
      placeholder.close();
      throw e;
    }
    return placeholder;
  }

  /** Closes every joined node, then the connections (and the client if the bus created it). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (NodeConnection node : List.copyOf(nodes.values())) {
      node.close();
    }
    connector.client().removeListener(reconnects);
    scheduler.shutdownNow();
    connector.close();
  }

  /**
   * Waits until every subscription asked for so far is confirmed (tests; a watch's stage says it too).
   *
   * @throws IllegalStateException if that takes longer than {@code wait}
   */
  void awaitSubscriptions(Duration wait) {
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    for (NodeConnection node : nodes.values()) {
      pending.addAll(node.awaiting.values());
    }
    try {
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("subscriptions not confirmed within " + wait, e);
    } catch (Exception e) {
      throw new IllegalStateException("a subscription failed", e);
    }
  }

  /**
   * A snapshot of this bus's counters, for metrics ({@code RedisPresenceMetrics}).
   *
   * <p>Thread-safe; not atomic across counters. {@link RedisStats#leaseSweeps()} is always 0 here.
   *
   * @return commands sent (publishes and subscriptions), connections made again, resyncs
   */
  public RedisStats stats() {
    return new RedisStats(connector.commands(), connector.reconnects(), resyncs.sum(), 0);
  }

  @Override
  public String toString() {
    return "RedisPresenceBus{" + keys.prefix() + ", nodes=" + nodes.keySet() + "}";
  }

  /** What one shard channel carries. */
  private record Interest(boolean user, String id) {}

  /** One joined node: its pub/sub connection, what it watches, its delivery thread. */
  private final class NodeConnection extends RedisPubSubAdapter<String, String> implements Connection {
    private final String nodeId;
    private final Listener listener;
    private final ExecutorService delivery;
    /** Channel → what the node watches through it; changed under {@code this}. */
    private final Map<String, Interest> watched = new ConcurrentHashMap<>();
    /** Channel → completes when Redis confirms the subscription last sent for it. */
    final Map<String, CompletableFuture<Void>> awaiting = new ConcurrentHashMap<>();
    private final AtomicBoolean resubscribeScheduled = new AtomicBoolean();
    /** Set by a reconnect of any of the client's connections: then everything is subscribed again. */
    private final AtomicBoolean resubscribeEverything = new AtomicBoolean();
    /** Channels Redis unsubscribed without being asked (their slot migrated): only these are subscribed again. */
    private final Set<String> dropped = ConcurrentHashMap.newKeySet();
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile boolean open = true;

    NodeConnection(String nodeId, Listener listener) {
      this.nodeId = nodeId;
      this.listener = listener;
      this.delivery =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "presence-redis-bus-" + nodeId);
                t.setDaemon(true);
                return t;
              });
    }

    void open() {
      StatefulRedisPubSubConnection<String, String> connection = connector.connectPubSub();
      connection.addListener(this);
      pubSub = connection;
    }

    // ---- publishing

    @Override
    public void publish(PresenceChange change) {
      Objects.requireNonNull(change, "change");
      if (open) {
        send(keys.userChanges(change.userId()), BusMessages.presence(nodeId, change));
      }
    }

    @Override
    public void publishTyping(TypingEvent event) {
      Objects.requireNonNull(event, "event");
      if (open) {
        send(keys.typing(event.channelId()), BusMessages.typing(nodeId, event));
      }
    }

    private void send(String channel, String message) {
      connector.async().spublish(channel, message).whenComplete((receivers, failure) -> {
        if (failure != null) {
          log.warn("bus: publishing on {} failed (a lost change is repaired by the next one or a resync)", channel, failure);
        }
      });
    }

    // ---- watching

    @Override
    public CompletionStage<Void> watchUsers(Collection<String> userIds) {
      return watch(userIds, true);
    }

    @Override
    public CompletionStage<Void> watchChannels(Collection<String> channelIds) {
      return watch(channelIds, false);
    }

    @Override
    public void unwatchUsers(Collection<String> userIds) {
      unwatch(userIds, true);
    }

    @Override
    public void unwatchChannels(Collection<String> channelIds) {
      unwatch(channelIds, false);
    }

    private List<String> channelsOf(Collection<String> ids, boolean user) {
      Objects.requireNonNull(ids, user ? "userIds" : "channelIds");
      List<String> channels = new ArrayList<>(ids.size());
      for (String id : ids) {
        Objects.requireNonNull(id, user ? "userId" : "channelId");
        channels.add(user ? keys.userChanges(id) : keys.typing(id));
      }
      return channels;
    }

    private CompletionStage<Void> watch(Collection<String> ids, boolean user) {
      List<String> channels = channelsOf(ids, user);
      List<String> idList = List.copyOf(ids);
      if (!open) {
        return CompletableFuture.failedFuture(new IllegalStateException("node '" + nodeId + "' left the bus"));
      }
      List<CompletableFuture<Void>> confirmations = new ArrayList<>(channels.size());
      List<String> toSubscribe = new ArrayList<>();
      synchronized (this) {
        for (int i = 0; i < channels.size(); i++) {
          String channel = channels.get(i);
          if (watched.putIfAbsent(channel, new Interest(user, idList.get(i))) == null) {
            toSubscribe.add(channel);
            confirmations.add(awaitConfirmation(channel));
          } else {
            CompletableFuture<Void> pending = awaiting.get(channel);
            if (pending != null) {
              confirmations.add(pending);
            }
          }
        }
        subscribe(toSubscribe);
      }
      CompletableFuture<Void> inForce = new CompletableFuture<>();
      CompletableFuture.allOf(confirmations.toArray(CompletableFuture[]::new))
          .orTimeout(timeout.toMillis() * 2, TimeUnit.MILLISECONDS)
          .whenCompleteAsync(
              (done, failure) -> {
                if (failure == null) {
                  inForce.complete(null);
                } else {
                  inForce.completeExceptionally(failure);
                }
              },
              delivery);
      return inForce;
    }

    private void unwatch(Collection<String> ids, boolean user) {
      List<String> channels = channelsOf(ids, user);
      List<String> toUnsubscribe = new ArrayList<>();
      synchronized (this) {
        for (String channel : channels) {
          if (watched.remove(channel) != null) {
            toUnsubscribe.add(channel);
            CompletableFuture<Void> pending = awaiting.remove(channel);
            if (pending != null) {
              pending.complete(null); // no longer wanted: nothing to wait for
            }
          }
        }
        if (open && !toUnsubscribe.isEmpty()) {
          for (List<String> slot : bySlot(toUnsubscribe)) {
            connector.commandSent();
            pubSub.async().sunsubscribe(slot.toArray(String[]::new));
          }
        }
      }
    }

    private CompletableFuture<Void> awaitConfirmation(String channel) {
      return awaiting.computeIfAbsent(channel, c -> new CompletableFuture<>());
    }

    /** Sends one SSUBSCRIBE per slot; a failed one fails its channels' confirmations. Under {@code this}. */
    private void subscribe(List<String> channels) {
      if (channels.isEmpty() || !open) {
        return;
      }
      for (List<String> slot : bySlot(channels)) {
        connector.commandSent();
        pubSub.async().ssubscribe(slot.toArray(String[]::new)).whenComplete((ok, failure) -> {
          if (failure != null) {
            log.warn("bus: node '{}' could not subscribe to {} channels; trying again", nodeId, slot.size(), failure);
            resubscribeSoon();
          }
        });
      }
    }

    /** Groups channels by cluster slot: one SSUBSCRIBE may only name channels of one slot. */
    private List<List<String>> bySlot(List<String> channels) {
      Map<Integer, List<String>> groups = new TreeMap<>();
      for (String channel : channels) {
        groups.computeIfAbsent(SlotHash.getSlot(channel), s -> new ArrayList<>()).add(channel);
      }
      return new ArrayList<>(groups.values());
    }

    /** After a reconnect: subscribe again to everything watched, then resync every watched user. */
    void reconnected() {
      resubscribeEverything.set(true);
      resubscribeSoon();
    }

    /** Subscribes again, soon, to what needs it (see {@link #resubscribe}). */
    void resubscribeSoon() {
      if (!open || !resubscribeScheduled.compareAndSet(false, true)) {
        return;
      }
      long jitter = ThreadLocalRandom.current().nextLong(RESUBSCRIBE_DELAY_MILLIS);
      try {
        scheduler.schedule(this::resubscribe, RESUBSCRIBE_DELAY_MILLIS + jitter, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closedBus) {
        resubscribeScheduled.set(false);
      }
    }

    /**
     * Subscribes again, one SSUBSCRIBE per slot: to every watched channel after a reconnect, else to the
     * dropped ones and those whose subscription failed; then resyncs the users among them.
     */
    private void resubscribe() {
      resubscribeScheduled.set(false);
      boolean everything = resubscribeEverything.getAndSet(false);
      List<CompletableFuture<Void>> confirmations = new ArrayList<>();
      Set<String> users = new HashSet<>();
      Set<String> channels = new java.util.LinkedHashSet<>();
      synchronized (this) {
        if (!open) {
          return;
        }
        for (String channel : everything ? watched.keySet() : Set.copyOf(dropped)) {
          dropped.remove(channel);
          if (watched.containsKey(channel)) {
            channels.add(channel);
          }
        }
        for (String channel : awaiting.keySet()) {
          if (watched.containsKey(channel)) {
            channels.add(channel); // a subscription that failed or is still unconfirmed
          }
        }
        for (String channel : channels) {
          // A confirmation still awaited (a watch's, say) is kept: the new SSUBSCRIBE completes it too.
          confirmations.add(awaitConfirmation(channel));
          Interest interest = watched.get(channel);
          if (interest.user()) {
            users.add(interest.id());
          }
        }
        subscribe(new ArrayList<>(channels));
      }
      CompletableFuture.allOf(confirmations.toArray(CompletableFuture[]::new))
          .orTimeout(timeout.toMillis() * 2, TimeUnit.MILLISECONDS)
          .whenCompleteAsync(
              (done, failure) -> {
                if (failure != null) {
                  // all again next time, so the resync names every user this attempt was for
                  if (everything) {
                    resubscribeEverything.set(true);
                  } else {
                    dropped.addAll(channels);
                  }
                  resubscribeSoon();
                } else if (open && !users.isEmpty()) {
                  resyncs.increment();
                  try {
                    listener.onResync(List.copyOf(users));
                  } catch (RuntimeException e) {
                    log.warn("bus listener of node '{}' failed on a resync", nodeId, e);
                  }
                }
              },
              delivery);
    }

    // ---- from Redis (Lettuce I/O threads: hand over, never block)

    @Override
    public void ssubscribed(String channel, long count) {
      CompletableFuture<Void> pending = awaiting.remove(channel);
      if (pending != null) {
        pending.complete(null);
      }
    }

    @Override
    public void sunsubscribed(String channel, long count) {
      if (open && watched.containsKey(channel)) {
        dropped.add(channel); // not asked for: the slot moved to another master
        resubscribeSoon();
      }
    }

    @Override
    public void smessage(String channel, String text) {
      if (!open || !watched.containsKey(channel)) {
        return;
      }
      BusMessages.Message message;
      try {
        message = BusMessages.decode(text);
      } catch (RuntimeException e) {
        log.warn("bus: dropping a message on {} that is not a bus message", channel, e);
        return;
      }
      if (nodeId.equals(message.origin())) {
        return;
      }
      try {
        delivery.execute(() -> deliver(channel, message));
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        // the node left meanwhile
      }
    }

    private void deliver(String channel, BusMessages.Message message) {
      if (!open || !watched.containsKey(channel)) {
        return;
      }
      try {
        if (message.change() != null) {
          listener.onPresenceChange(message.change());
        } else {
          listener.onTyping(message.typing());
        }
      } catch (RuntimeException e) {
        log.warn("bus listener of node '{}' failed on a message on {}", nodeId, channel, e);
      }
    }

    @Override
    public void close() {
      synchronized (this) {
        if (!open) {
          return;
        }
        open = false;
      }
      nodes.remove(nodeId, this);
      for (CompletableFuture<Void> pending : awaiting.values()) {
        pending.complete(null);
      }
      awaiting.clear();
      StatefulRedisPubSubConnection<String, String> connection = pubSub;
      if (connection != null) {
        connection.removeListener(this);
        connection.closeAsync();
      }
      delivery.shutdown();
    }

    @Override
    public String toString() {
      return "RedisPresenceBus.Connection{" + nodeId + (open ? "" : ", closed") + "}";
    }
  }

  /**
   * Builds a {@link RedisPresenceBus}: exactly one of a URI, cluster seed URIs or the application's own
   * client, as for {@link RedisPresenceStore.Builder}. Not thread-safe.
   */
  public static final class Builder {
    private RedisURI uri;
    private List<RedisURI> clusterUris;
    private RedisClient client;
    private RedisClusterClient clusterClient;
    private String application = RedisKeys.DEFAULT_APPLICATION;
    private Duration commandTimeout = Duration.ofSeconds(2);
    private int requestQueueSize = 10_000;

    private Builder() {}

    /**
     * A standalone server, e.g. {@code redis://localhost:6379}.
     *
     * @param uri the server
     * @return this builder
     */
    public Builder uri(String uri) {
      return uri(RedisURI.create(uri));
    }

    /**
     * A standalone server.
     *
     * @param uri the server
     * @return this builder
     */
    public Builder uri(RedisURI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /**
     * A cluster, by some of its nodes.
     *
     * @param seeds some nodes of the cluster
     * @return this builder
     */
    public Builder clusterUris(List<RedisURI> seeds) {
      if (seeds.isEmpty()) {
        throw new IllegalArgumentException("at least one cluster seed is needed");
      }
      this.clusterUris = List.copyOf(seeds);
      return this;
    }

    /**
     * The application's own standalone client; the bus never shuts it down.
     *
     * @param client the application's client
     * @return this builder
     */
    public Builder client(RedisClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The application's own cluster client; the bus never shuts it down.
     *
     * @param client the application's client
     * @return this builder
     */
    public Builder clusterClient(RedisClusterClient client) {
      this.clusterClient = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The application's name, which starts every channel; the same as the store's. Default {@code presence}.
     *
     * @param application the name
     * @return this builder
     * @throws IllegalArgumentException if the name is not valid
     */
    public Builder application(String application) {
      RedisKeys.of(application);
      this.application = application;
      return this;
    }

    /**
     * How long a command, or the confirmation of a watch, may take; default 2 s (a watch waits twice that).
     *
     * @param timeout the timeout
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder commandTimeout(Duration timeout) {
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("command timeout must be positive but was " + timeout);
      }
      this.commandTimeout = timeout;
      return this;
    }

    /**
     * The most commands queued on a connection before new ones fail; default 10,000.
     *
     * @param size the most queued commands
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder requestQueueSize(int size) {
      if (size <= 0) {
        throw new IllegalArgumentException("request queue size must be positive but was " + size);
      }
      this.requestQueueSize = size;
      return this;
    }

    /**
     * Connects and returns the bus.
     *
     * @return the connected bus
     * @throws IllegalStateException if not exactly one server, cluster or client was given
     * @throws io.lettuce.core.RedisConnectionException if Redis cannot be reached
     */
    public RedisPresenceBus build() {
      int given = (uri != null ? 1 : 0) + (clusterUris != null ? 1 : 0) + (client != null ? 1 : 0)
          + (clusterClient != null ? 1 : 0);
      if (given != 1) {
        throw new IllegalStateException("give exactly one of uri, clusterUris, client, clusterClient (" + given + " given)");
      }
      RedisConnector connector =
          uri != null ? RedisConnector.standalone(uri, commandTimeout, requestQueueSize)
              : clusterUris != null ? RedisConnector.cluster(clusterUris, commandTimeout, requestQueueSize)
              : client != null ? RedisConnector.of(client)
              : RedisConnector.of(clusterClient);
      return new RedisPresenceBus(connector, RedisKeys.of(application), commandTimeout);
    }
  }
}
