package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.PresenceBus;
import dev.presence.testkit.ManualTime;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A failing visibility policy or bus is counted in the stats, and the engine carries on. */
class GuardedFailuresTest {
  private final ManualTime time = new ManualTime();

  @Test
  void aThrowingVisibilityPolicyHidesTheTargetAndIsCounted() {
    try (Presence presence =
        Fixtures.manual(time)
            .visibilityPolicy((watcher, target) -> {
              throw new AssertionError("policy bug");
            })
            .build()) {
      presence.connect("alice", "phone");

      assertThat(presence.viewAs("bob").get("alice")).isEqualTo(UserPresence.unknown("alice"));
      assertThat(presence.stats().visibilityFailures()).isEqualTo(1);
      assertThat(presence.viewAs("alice").get("alice").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(presence.stats().visibilityFailures()).as("the user's own view asks no policy").isEqualTo(1);
    }
  }

  @Test
  void aThrowingBusIsCountedAndChangesStillHappenHere() {
    try (Presence presence = Fixtures.manual(time).bus(new ThrowingBus()).build()) {
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchUsers(List.of("alice")); // watch fails: 1
      presence.connect("alice", "phone"); // publish fails: 2

      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(presence.stats().busFailures()).isEqualTo(2);
    }
  }

  /** A bus whose every call from the node throws. */
  private static final class ThrowingBus implements PresenceBus {
    @Override
    public Connection join(String nodeId, Listener listener) {
      return new Connection() {
        @Override
        public void publish(PresenceChange change) {
          throw new IllegalStateException("bus down");
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> watchUsers(Collection<String> userIds) {
          throw new IllegalStateException("bus down");
        }

        @Override
        public void unwatchUsers(Collection<String> userIds) {
          throw new IllegalStateException("bus down");
        }

        @Override
        public void publishTyping(TypingEvent event) {
          throw new IllegalStateException("bus down");
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> watchChannels(Collection<String> channelIds) {
          throw new IllegalStateException("bus down");
        }

        @Override
        public void unwatchChannels(Collection<String> channelIds) {
          throw new IllegalStateException("bus down");
        }

        @Override
        public void close() {}
      };
    }
  }
}
