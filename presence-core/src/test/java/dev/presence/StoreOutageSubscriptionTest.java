package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import dev.presence.testkit.ManualTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A subscription whose snapshot cannot be read (the store is down) fails with nothing half done:
 * the caller gets the store's exception, and a retry works like a first attempt.
 */
class StoreOutageSubscriptionTest {
  private final ManualTime time = new ManualTime();
  private final OutageStore store = new OutageStore();
  private final InterestRecordingBus bus = new InterestRecordingBus();
  private final Presence presence =
      Fixtures.manual(time).store(store).bus(bus).maxSubscriptionsPerSubscriber(1).build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aWatchWhoseSnapshotCannotBeReadChangesNothing() {
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);

    store.down = true;
    assertThatThrownBy(() -> subscriber.watchUsers(List.of("alice")))
        .isInstanceOf(PresenceStoreException.class);
    store.down = false;

    assertThat(bus.users).as("no interest left behind").isEmpty();
    assertThat(subscriber.watchUsers(List.of("carol")).users())
        .as("the failed watch does not count toward the limit").hasSize(1);
    presence.connect("alice", "phone");
    time.advanceSeconds(2);
    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void aWatchRetriedAfterAnOutageGetsItsSnapshotAndThenTheChanges() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);
    store.down = true;
    assertThatThrownBy(() -> subscriber.watchUsers(List.of("alice")))
        .isInstanceOf(PresenceStoreException.class);
    store.down = false;

    PresenceSnapshot snapshot = subscriber.watchUsers(List.of("alice"));
    alice.setIdle(true);
    time.advanceSeconds(1);

    assertThat(snapshot.users()).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
    assertThat(sink.changes()).extracting(UserPresence::state).containsExactly(PresenceState.IDLE);
  }

  @Test
  void aChannelWatchWhoseSnapshotCannotBeReadChangesNothing() {
    presence.joinChannel("general", "alice");
    RecordingSink sink = new RecordingSink(time);
    Subscriber subscriber = presence.subscribe("bob", sink);

    store.down = true;
    assertThatThrownBy(() -> subscriber.watchChannel("general"))
        .isInstanceOf(PresenceStoreException.class);
    store.down = false;

    assertThat(bus.users).isEmpty();
    assertThat(bus.channels).isEmpty();
    presence.connect("alice", "phone").typing("general");
    time.advanceSeconds(2);
    assertThat(sink.isUntouched()).isTrue();
    assertThat(subscriber.watchChannel("general").users()).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE);
  }

  @Test
  void aJoinWhoseMemberCannotBeReadChangesNothingAndCanBeRetried() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe("bob", sink).watchChannel("general");

    store.down = true;
    assertThatThrownBy(() -> presence.joinChannel("general", "alice"))
        .isInstanceOf(PresenceStoreException.class);
    store.down = false;
    assertThat(presence.channelMembers("general")).isEmpty();
    assertThat(bus.users).isEmpty();

    presence.joinChannel("general", "alice");
    time.advanceSeconds(1);
    assertThat(sink.changes()).containsExactly(presence.get("alice"));
    alice.setIdle(true);
    time.advanceSeconds(1);
    assertThat(sink.changes()).extracting(UserPresence::state)
        .containsExactly(PresenceState.ONLINE, PresenceState.IDLE);
  }

  /** Our own store SPI whose reads fail while it is down; writes always work. */
  static final class OutageStore implements PresenceStore {
    private final InMemoryPresenceStore delegate = new InMemoryPresenceStore();
    volatile boolean down;

    @Override
    public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
      return delegate.apply(userId, mutation, policy);
    }

    @Override
    public UserRecord get(String userId) {
      check();
      return delegate.get(userId);
    }

    @Override
    public List<UserRecord> getAll(List<String> userIds) {
      check();
      return delegate.getAll(userIds);
    }

    private void check() {
      if (down) {
        throw new PresenceStoreException("store unreachable", null);
      }
    }
  }
}
