package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.UserRecord;
import dev.presence.testkit.ForwardingPresenceStore;
import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A subscriber's queued edges always have a flush armed. The lock-free fanout queues an edge on the
 * subscriber's stack; a path under the subscriber's monitor may queue one first without arming (a
 * channel member whose baseline is still being read). A later lock-free push must still arm the
 * flush, or the stack waits for an arm that never comes: here the member leaves before her baseline
 * is read, so the watch that was reading it arms nothing either. Found in review of the lock-free
 * delivery; deterministic, on one thread.
 */
class FlushArmingTest {
  private final ManualTime time = new ManualTime();
  private Runnable duringSnapshotRead;

  @Test
  void aChangeQueuedBehindAnEdgeStillWaitingForItsBaselineIsDelivered() {
    ForwardingPresenceStore store =
        new ForwardingPresenceStore(new InMemoryPresenceStore()) {
          @Override
          public List<UserRecord> getAll(List<String> userIds) {
            Runnable hook = duringSnapshotRead;
            duringSnapshotRead = null;
            if (hook != null) {
              hook.run();
            }
            return super.getAll(userIds);
          }
        };
    Presence presence = Fixtures.manual(time).store(store).build();
    try {
      DeviceConnection alice = presence.connect("alice", "phone");
      DeviceConnection carol = presence.connect("carol", "phone");
      presence.joinChannel("general", "carol");
      List<UserPresence> got = new ArrayList<>();
      Subscriber bob = presence.subscribe("bob", new RecordingSink(got));
      bob.watchUsers(List.of("alice"));
      time.advanceSeconds(1);
      got.clear();

      // While bob's channel snapshot is being read (no lock held): carol's change queues her edge,
      // which has no baseline yet, under bob's monitor; alice's is pushed behind it lock-free; then
      // carol leaves, so the snapshot finds no edge of hers to arm a flush for.
      duringSnapshotRead =
          () -> {
            carol.setIdle(true);
            alice.setIdle(true);
            presence.leaveChannel("general", "carol");
          };
      bob.watchChannel("general");
      time.advanceSeconds(5);

      assertThat(got).anySatisfy(p -> assertIdle(p, "alice"));

      got.clear();
      alice.setIdle(false);
      time.advanceSeconds(5);
      assertThat(got).anySatisfy(p -> assertThat(p.userId()).isEqualTo("alice"));
      assertThat(got.get(got.size() - 1).state()).isEqualTo(PresenceState.ONLINE);
    } finally {
      presence.close();
    }
  }

  private static void assertIdle(UserPresence presence, String userId) {
    assertThat(presence.userId()).isEqualTo(userId);
    assertThat(presence.state()).isEqualTo(PresenceState.IDLE);
  }

  /** Keeps every presence entry it is given. */
  private record RecordingSink(List<UserPresence> got) implements PresenceSink {
    @Override
    public void onPresence(List<UserPresence> changes) {
      got.addAll(changes);
    }

    @Override
    public void onTyping(List<TypingEvent> events) {}
  }
}
