package dev.presence;

import dev.presence.spi.PresenceBus;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

/**
 * This node's {@link PresenceBus.Connection} behind the {@link Guarded} policy: a failing bus call is
 * counted in {@link PresenceStats#busFailures()} and logged; the local change it carried has happened
 * regardless, and other nodes catch up on the user's next change.
 */
final class GuardedBus {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  private final PresenceBus.Connection bus;
  private final LongAdder failures;

  GuardedBus(PresenceBus.Connection bus, LongAdder failures) {
    this.bus = bus;
    this.failures = failures;
  }

  void publish(PresenceChange change) {
    try {
      bus.publish(change);
    } catch (Throwable e) {
      Guarded.failed(e, failures, "publishing the change of {} to the bus failed", Ids.shown(change.userId()));
    }
  }

  void publishTyping(TypingEvent event) {
    try {
      bus.publishTyping(event);
    } catch (Throwable e) {
      Guarded.failed(
          e,
          failures,
          "publishing typing of {} in {} to the bus failed",
          Ids.shown(event.userId()),
          Ids.shown(event.channelId()));
    }
  }

  /** Asks the bus to watch a user; the stage completes when the watch is in force (at once on a failure). */
  CompletionStage<Void> watchUser(String userId) {
    try {
      CompletionStage<Void> confirmed = bus.watchUsers(List.of(userId));
      return confirmed != null ? confirmed : DONE;
    } catch (Throwable e) {
      Guarded.failed(e, failures, "asking the bus to watch user {} failed", Ids.shown(userId));
      return DONE;
    }
  }

  /** The bus could not confirm a watch it accepted: counted and logged; the bus owns retrying it. */
  void watchFailed(String userId, Throwable failure) {
    Guarded.failed(failure, failures, "the bus could not confirm its watch of user {}", Ids.shown(userId));
  }

  void unwatchUser(String userId) {
    try {
      bus.unwatchUsers(List.of(userId));
    } catch (Throwable e) {
      Guarded.failed(e, failures, "asking the bus to unwatch user {} failed", Ids.shown(userId));
    }
  }

  void watchChannel(String channelId) {
    try {
      bus.watchChannels(List.of(channelId));
    } catch (Throwable e) {
      Guarded.failed(e, failures, "asking the bus to watch channel {} failed", Ids.shown(channelId));
    }
  }

  void unwatchChannel(String channelId) {
    try {
      bus.unwatchChannels(List.of(channelId));
    } catch (Throwable e) {
      Guarded.failed(e, failures, "asking the bus to unwatch channel {} failed", Ids.shown(channelId));
    }
  }

  void close() {
    try {
      bus.close();
    } catch (Throwable e) {
      Guarded.failed(e, failures, "closing the bus connection failed");
    }
  }
}
