package dev.presence.examples.chat;

import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.spi.PresenceBus;
import dev.presence.spi.PresenceStore;
import java.util.Objects;

/**
 * The one seam where the demo decides where presence lives: a store and a bus. The server builds its
 * engine from whatever backend it is given, so a Redis mode is one more factory method here (taking a
 * {@code RedisPresenceStore} and {@code RedisPresenceBus}) plus a command-line option.
 *
 * @param name what the server prints at startup, for example {@code in-memory}
 * @param store where user records live
 * @param bus how changes reach other nodes
 */
public record PresenceBackend(String name, PresenceStore store, PresenceBus bus) implements AutoCloseable {

  /**
   * Creates a backend.
   *
   * @throws NullPointerException if an argument is null
   */
  public PresenceBackend {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(bus, "bus");
  }

  /** The default: a store and a bus in this JVM, so the demo is a single node. */
  public static PresenceBackend inMemory() {
    return new PresenceBackend("in-memory", new InMemoryPresenceStore(), new LocalPresenceBus());
  }

  /** Closes the bus and the store (the engine leaves both open, as they were given to it). */
  @Override
  public void close() {
    try {
      bus.close();
    } finally {
      store.close();
    }
  }
}
