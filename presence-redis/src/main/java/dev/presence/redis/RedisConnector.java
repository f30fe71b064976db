package dev.presence.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One shared Lettuce connection, standalone or cluster, with the client that made it when this
 * module created the client (then closing shuts the client down too). Thread-safe.
 */
final class RedisConnector implements AutoCloseable {
  private final AbstractRedisClient ownedClient;
  /** The client that made the connection: owned, or the application's. */
  private final AbstractRedisClient client;
  private final StatefulConnection<String, String> connection;
  private final RedisClusterAsyncCommands<String, String> async;
  private final boolean cluster;
  /** Commands sent through this connector ({@link RedisStats#commands()}). */
  private final LongAdder commands = new LongAdder();
  /** Connections of the client made again after they were lost ({@link RedisStats#reconnects()}). */
  private final LongAdder reconnects = new LongAdder();
  private final RedisConnectionStateListener reconnectCounter =
      new RedisConnectionStateListener() {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
          reconnects.increment();
        }
      };

  private RedisConnector(
      AbstractRedisClient ownedClient,
      AbstractRedisClient client,
      StatefulConnection<String, String> connection,
      RedisClusterAsyncCommands<String, String> async,
      boolean cluster) {
    this.ownedClient = ownedClient;
    this.client = client;
    this.connection = connection;
    this.async = counting(async, commands);
    this.cluster = cluster;
    client.addListener(reconnectCounter); // added once connected: the first connections are not counted
  }

  /**
   * The commands, counting each one sent (each method that returns a {@link RedisFuture}). A proxy
   * costs far less than the round trip of the command it counts.
   */
  @SuppressWarnings("unchecked")
  private static RedisClusterAsyncCommands<String, String> counting(
      RedisClusterAsyncCommands<String, String> target, LongAdder commands) {
    return (RedisClusterAsyncCommands<String, String>)
        Proxy.newProxyInstance(
            RedisClusterAsyncCommands.class.getClassLoader(),
            new Class<?>[] {RedisClusterAsyncCommands.class},
            (proxy, method, args) -> {
              if (RedisFuture.class.isAssignableFrom(method.getReturnType())) {
                commands.increment();
              }
              try {
                return method.invoke(target, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** Counts a command sent on another connection of this connector (pub/sub). */
  void commandSent() {
    commands.increment();
  }

  long commands() {
    return commands.sum();
  }

  long reconnects() {
    return reconnects.sum();
  }

  /** Connects with the application's own client, whose options are the application's. */
  static RedisConnector of(RedisClient client) {
    StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8);
    return new RedisConnector(null, client, connection, connection.async(), false);
  }

  /** Connects with the application's own cluster client, whose options are the application's. */
  static RedisConnector of(RedisClusterClient client) {
    StatefulRedisClusterConnection<String, String> connection = client.connect(StringCodec.UTF8);
    connectToMasters(connection);
    return new RedisConnector(null, client, connection, connection.async(), true);
  }

  /** Creates a client for one standalone server and connects. */
  static RedisConnector standalone(RedisURI uri, Duration timeout, int requestQueueSize) {
    RedisURI timed = RedisURI.builder(uri).withTimeout(timeout).build();
    RedisClient client = RedisClient.create(resources(), timed);
    client.setOptions(
        ClientOptions.builder()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .requestQueueSize(requestQueueSize)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    try {
      StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8);
      return new RedisConnector(client, client, connection, connection.async(), false);
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      throw e;
    }
  }

  /** Creates a cluster client from seed servers and connects. */
  static RedisConnector cluster(List<RedisURI> seeds, Duration timeout, int requestQueueSize) {
    List<RedisURI> timed = seeds.stream().map(u -> RedisURI.builder(u).withTimeout(timeout).build()).toList();
    RedisClusterClient client = RedisClusterClient.create(resources(), timed);
    client.setOptions(
        ClusterClientOptions.builder()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .requestQueueSize(requestQueueSize)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .topologyRefreshOptions(
                ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
            .build());
    try {
      StatefulRedisClusterConnection<String, String> connection = client.connect(StringCodec.UTF8);
      connectToMasters(connection);
      return new RedisConnector(client, client, connection, connection.async(), true);
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      throw e;
    }
  }

  /**
   * Opens the connection to every master now: with {@code REJECT_COMMANDS}, Lettuce rejects a command
   * whose node connection is still being opened, so the first command to each master would fail.
   */
  private static void connectToMasters(StatefulRedisClusterConnection<String, String> connection) {
    for (RedisClusterNode node : connection.getPartitions()) {
      if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
        connection.getConnection(node.getUri().getHost(), node.getUri().getPort());
      }
    }
  }

  /** Jittered reconnects, so that many nodes do not reconnect in step after an outage. */
  private static ClientResources resources() {
    return ClientResources.builder()
        .reconnectDelay(Delay.fullJitter(Duration.ofMillis(20), Duration.ofSeconds(5), 100, TimeUnit.MILLISECONDS))
        .build();
  }

  /**
   * The {@code run_id} of the server that holds {@code key}: it changes whenever that server restarts.
   */
  CompletionStage<String> runIdOf(String key) {
    CompletionStage<String> info;
    if (connection instanceof StatefulRedisClusterConnection<String, String> clusterConnection) {
      RedisClusterNode owner = clusterConnection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
      info = clusterConnection.getConnection(owner.getUri().getHost(), owner.getUri().getPort()).async().info("server");
    } else {
      info = ((StatefulRedisConnection<String, String>) connection).async().info("server");
    }
    return info.thenApply(
        text -> {
          for (String line : text.split("\r?\n")) {
            if (line.startsWith("run_id:")) {
              return line.substring("run_id:".length()).trim();
            }
          }
          return "";
        });
  }

  /**
   * Opens a pub/sub connection with the same client. On a cluster, its connection to every master is
   * opened now, for the reason given at {@link #connectToMasters}.
   */
  StatefulRedisPubSubConnection<String, String> connectPubSub() {
    if (client instanceof RedisClusterClient clusterClient) {
      StatefulRedisClusterPubSubConnection<String, String> pubSub = clusterClient.connectPubSub(StringCodec.UTF8);
      for (RedisClusterNode node : pubSub.getPartitions()) {
        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
          pubSub.getConnection(node.getUri().getHost(), node.getUri().getPort());
        }
      }
      return pubSub;
    }
    return ((RedisClient) client).connectPubSub(StringCodec.UTF8);
  }

  /** On a cluster, the lowest slot of each master (as the client's topology has it); on a standalone server none. */
  List<Integer> firstSlotOfEachMaster() {
    if (!(connection instanceof StatefulRedisClusterConnection<String, String> clusterConnection)) {
      return List.of();
    }
    List<Integer> slots = new java.util.ArrayList<>();
    for (RedisClusterNode node : clusterConnection.getPartitions()) {
      if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.getSlots().isEmpty()) {
        slots.add(java.util.Collections.min(node.getSlots()));
      }
    }
    return slots;
  }

  /** The client, to listen to its connections' state. */
  AbstractRedisClient client() {
    return client;
  }

  /** The async commands of the shared connection (thread-safe). */
  RedisClusterAsyncCommands<String, String> async() {
    return async;
  }

  /** Whether the connection is to a cluster. */
  boolean isCluster() {
    return cluster;
  }

  @Override
  public void close() {
    client.removeListener(reconnectCounter);
    connection.close();
    if (ownedClient != null) {
      ownedClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      ownedClient.getResources().shutdown(0, 2, TimeUnit.SECONDS);
    }
  }
}
