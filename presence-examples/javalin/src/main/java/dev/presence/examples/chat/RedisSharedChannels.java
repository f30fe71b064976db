package dev.presence.examples.chat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Channel membership on Redis: a set per channel ({@code <app>:demo:members:{<channel>}}) and one
 * pub/sub channel ({@code <app>:demo:joins}) that tells every server of a join. Members are never
 * removed: a member who left shows offline, which is all the demo's member list needs.
 */
final class RedisSharedChannels implements SharedChannels {
  private static final Logger LOG = LoggerFactory.getLogger(RedisSharedChannels.class);

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> commands;
  private final StatefulRedisPubSubConnection<String, String> joins;
  private final String prefix;
  private volatile BiConsumer<String, String> listener = (channel, user) -> {};

  /**
   * Connects to Redis and starts listening for joins.
   *
   * @param uri {@code redis://host:port}
   * @param application the key prefix, the same as the presence store's
   */
  RedisSharedChannels(String uri, String application) {
    RedisURI redisUri = RedisURI.create(uri);
    redisUri.setTimeout(Duration.ofSeconds(2)); // a subscribe must not hang on a dead Redis
    this.client = RedisClient.create(redisUri);
    this.prefix = application + ":demo:";
    try {
      this.commands = client.connect();
      this.joins = client.connectPubSub();
      joins.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String message) {
          // "<length of the channel id>:<channel id><user id>": ids may hold any character
          int colon = message.indexOf(':');
          int length = Integer.parseInt(message.substring(0, colon));
          String channelId = message.substring(colon + 1, colon + 1 + length);
          String userId = message.substring(colon + 1 + length);
          listener.accept(channelId, userId);
        }
      });
      joins.sync().subscribe(prefix + "joins");
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  @Override
  public Set<String> join(String channelId, String userId) {
    String key = prefix + "members:{" + channelId + "}";
    try {
      if (commands.sync().sadd(key, userId) == 1) {
        commands.sync().publish(prefix + "joins", channelId.length() + ":" + channelId + userId);
      }
      return commands.sync().smembers(key);
    } catch (RuntimeException e) {
      // Presence still works for members on this server; the page shows who it can.
      LOG.warn("channel membership on Redis unavailable: {}", e.toString());
      return Set.of();
    }
  }

  @Override
  public void onJoin(BiConsumer<String, String> listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public void close() {
    client.shutdown();
  }
}
