package dev.presence.spi;

import dev.presence.testkit.PresenceBusTypingContract;

/** The in-process bus passes the typing part of the bus compatibility kit. */
class LocalPresenceBusTypingTest extends PresenceBusTypingContract {
  @Override
  protected PresenceBus newBus() {
    return new LocalPresenceBus();
  }
}
