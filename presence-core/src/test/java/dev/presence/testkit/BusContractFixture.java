package dev.presence.testkit;

import dev.presence.spi.PresenceBus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the bus kits share: a fresh bus per test, ids unique to the test, joined connections closed
 * after it, and the hooks an asynchronous bus overrides. Extend {@link PresenceBusContract} and
 * {@link PresenceBusTypingContract}, not this.
 */
public abstract class BusContractFixture {
  private final String prefix = "kit-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final List<PresenceBus.Connection> joined = new ArrayList<>();

  /** The bus under test, fresh for each test. */
  protected PresenceBus bus;

  /** Creates the bus under test; called before each test. */
  protected abstract PresenceBus newBus();

  /** How long to wait for a delivery that must arrive; default 5 seconds. */
  protected Duration deliveryTimeout() {
    return Duration.ofSeconds(5);
  }

  /**
   * Waits until earlier watch, unwatch and {@code close} calls have taken effect. The default does
   * nothing: they take effect before they return.
   */
  protected void settle() throws Exception {}

  @BeforeEach
  void createBus() {
    bus = newBus();
  }

  @AfterEach
  void closeBus() {
    for (PresenceBus.Connection connection : joined) {
      connection.close();
    }
    bus.close();
  }

  /** An id (user, channel or node) unique to this test. */
  protected final String id(String name) {
    return prefix + name;
  }

  /** The ids of the given short names. */
  protected final List<String> ids(String... names) {
    List<String> ids = new ArrayList<>();
    for (String name : names) {
      ids.add(id(name));
    }
    return ids;
  }

  /** Joins the bus as the node of this short name; the connection is closed after the test. */
  protected final PresenceBus.Connection join(String name, PresenceBus.Listener listener) {
    PresenceBus.Connection connection = bus.join(id(name), listener);
    joined.add(connection);
    return connection;
  }
}
