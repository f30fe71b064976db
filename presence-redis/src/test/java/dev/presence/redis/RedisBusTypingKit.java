package dev.presence.redis;

import dev.presence.testkit.PresenceBusTypingContract;

/** {@link PresenceBusTypingContract} for {@link RedisPresenceBus}: watches are confirmed before the kit publishes. */
abstract class RedisBusTypingKit extends PresenceBusTypingContract {

  @Override
  protected void settle() {
    ((RedisPresenceBus) bus).awaitSubscriptions(deliveryTimeout());
  }
}
