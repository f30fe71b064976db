package dev.presence.examples.chat;

import dev.presence.redis.RedisPresenceBus;
import dev.presence.redis.RedisPresenceStore;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.util.Objects;

/**
 * The one seam where the demo decides where presence lives: a store, a bus and the channel
 * membership servers share. The server builds its engine from whatever backend it is given: {@link
 * #inMemory()} for one server, {@link #redis(String)} for several servers on one Redis.
 *
 * @param name what the server prints at startup, for example {@code in-memory}
 * @param store where user records live
 * @param bus how changes reach other nodes
 * @param channels channel membership shared with other servers
 */
public record PresenceBackend(String name, PresenceStore store, PresenceBus bus, SharedChannels channels)
    implements AutoCloseable {

  /**
   * Creates a backend.
   *
   * @throws NullPointerException if an argument is null
   */
  public PresenceBackend {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(bus, "bus");
    Objects.requireNonNull(channels, "channels");
  }

  /**
   * A backend whose channel membership stays in the engine: right for one server.
   *
   * @throws NullPointerException if an argument is null
   */
  public PresenceBackend(String name, PresenceStore store, PresenceBus bus) {
    this(name, store, bus, SharedChannels.none());
  }

  /** The default: a store and a bus in this JVM, so the demo is a single node. */
  public static PresenceBackend inMemory() {
    return new PresenceBackend("in-memory", new InMemoryPresenceStore(), new LocalPresenceBus());
  }

  /**
   * Presence and channel membership on one Redis, under the key prefix {@code chat}: every demo server
   * started with the same URI shares them.
   *
   * @param uri {@code redis://host:port}
   * @return the backend; its connections are closed by {@link #close()}
   * @throws RuntimeException if Redis cannot be reached
   */
  public static PresenceBackend redis(String uri) {
    RedisPresenceStore store = RedisPresenceStore.builder().uri(uri).application("chat").build();
    RedisPresenceBus bus = null;
    try {
      bus = RedisPresenceBus.builder().uri(uri).application("chat").build();
      return new PresenceBackend("redis " + uri, store, bus, new RedisSharedChannels(uri, "chat"));
    } catch (RuntimeException e) {
      if (bus != null) {
        bus.close();
      }
      store.close();
      throw e;
    }
  }

  /** Closes the shared channels, the bus and the store (the engine leaves them open, as they were given to it). */
  @Override
  public void close() {
    try {
      channels.close();
    } finally {
      try {
        bus.close();
      } finally {
        store.close();
      }
    }
  }
}
