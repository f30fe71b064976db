package dev.presence.spi;

import dev.presence.testkit.ManualTime;
import dev.presence.testkit.NodeLeaseContract;
import java.time.Duration;

/** The in-memory store passes the node lease kit, on a manual clock. */
class InMemoryNodeLeaseTest extends NodeLeaseContract {
  private final ManualTime time = new ManualTime();

  @Override
  protected PresenceStore newStore() {
    return new InMemoryPresenceStore(time);
  }

  @Override
  protected void elapse(Duration duration) {
    time.advance(duration);
  }

  @Override
  protected long storeMillis() {
    return time.millis();
  }

  @Override
  protected void loseAllData() {
    ((InMemoryPresenceStore) store).clear();
  }
}
