package dev.presence.redis;

import dev.presence.testkit.PresenceBusContract;

/** {@link PresenceBusContract} for {@link RedisPresenceBus}: watches are confirmed before the kit publishes. */
abstract class RedisBusKit extends PresenceBusContract {

  @Override
  protected void settle() {
    ((RedisPresenceBus) bus).awaitSubscriptions(deliveryTimeout());
  }
}
