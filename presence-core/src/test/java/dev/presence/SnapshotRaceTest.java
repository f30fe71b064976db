package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Snapshot then stream: a change that races the subscribe is either in the snapshot or in the
 * stream, never in both and never in neither.
 */
class SnapshotRaceTest {
  private final ManualTime time = new ManualTime();
  private final RacingStore store = new RacingStore();
  private final Presence presence = Fixtures.manual(time).store(store).build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aChangeMadeAfterTheSubscriptionIsRegisteredButBeforeTheStoreReadIsInTheSnapshotOnly() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    store.beforeNextRead(() -> alice.setIdle(true));

    PresenceSnapshot snapshot = presence.subscribe("bob", sink).watchUsers(List.of("alice"));
    time.advanceSeconds(5);

    assertThat(snapshot.users()).containsExactly(presence.get("alice"));
    assertThat(snapshot.users().get(0).state()).isEqualTo(PresenceState.IDLE);
    assertThat(sink.isUntouched()).as("nothing twice").isTrue();
  }

  @Test
  void aChangeMadeRightAfterTheStoreReadIsDeliveredInTheNextBatch() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    store.afterNextRead(() -> alice.setIdle(true));

    PresenceSnapshot snapshot = presence.subscribe("bob", sink).watchUsers(List.of("alice"));
    time.advanceSeconds(1);

    assertThat(snapshot.users()).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
    assertThat(sink.changes()).as("nothing missed").containsExactly(presence.get("alice"));
    assertThat(sink.changes().get(0).version()).isEqualTo(snapshot.users().get(0).version() + 1);
  }

  @Test
  void changesOnBothSidesOfTheStoreReadAreEachDeliveredOnceInOrder() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    store.beforeNextRead(() -> alice.setIdle(true));
    store.afterNextRead(() -> presence.setStatus("alice", StatusMode.DND, "call", null));

    PresenceSnapshot snapshot = presence.subscribe("bob", sink).watchUsers(List.of("alice", "carol"));
    time.advanceSeconds(3);

    assertThat(snapshot.users()).extracting(UserPresence::state)
        .containsExactly(PresenceState.IDLE, PresenceState.OFFLINE);
    assertThat(sink.changes()).containsExactly(presence.get("alice"));
    assertThat(sink.view(snapshot).get("alice")).isEqualTo(presence.get("alice"));
  }

  @Test
  void aChangeReversedRightAfterTheStoreReadDeliversNothing() {
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    store.afterNextRead(() -> {
      alice.setIdle(true);
      alice.setIdle(false);
    });

    PresenceSnapshot snapshot = presence.subscribe("bob", sink).watchUsers(List.of("alice"));
    time.advanceSeconds(3);

    assertThat(snapshot.users()).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
    assertThat(sink.isUntouched()).isTrue();
  }

  @Test
  void aChannelSnapshotRacingAMembersChangeHasNoGapAndNoDuplicate() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("general", "carol");
    DeviceConnection alice = presence.connect("alice", "phone");
    DeviceConnection carol = presence.connect("carol", "phone");
    RecordingSink sink = new RecordingSink(time);
    store.beforeNextRead(() -> alice.setIdle(true));
    store.afterNextRead(() -> carol.setIdle(true));

    PresenceSnapshot snapshot = presence.subscribe("bob", sink).watchChannel("general");
    time.advanceSeconds(3);

    assertThat(snapshot.users()).filteredOn(p -> p.userId().equals("alice"))
        .containsExactly(presence.get("alice"));
    assertThat(snapshot.users()).filteredOn(p -> p.userId().equals("carol"))
        .extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
    assertThat(sink.changes()).containsExactly(presence.get("carol"));
  }

  @Test
  void aMemberChangingWhileItJoinsAWatchedChannelIsDeliveredOnceWithItsLatestState() {
    presence.joinChannel("general", "carol");
    DeviceConnection alice = presence.connect("alice", "phone");
    RecordingSink sink = new RecordingSink(time);
    presence.subscribe("bob", sink).watchChannel("general");
    store.afterNextRead(() -> alice.setIdle(true));

    presence.joinChannel("general", "alice");
    time.advanceSeconds(3);

    assertThat(sink.changes()).containsExactly(presence.get("alice"));
    assertThat(presence.get("alice").state()).isEqualTo(PresenceState.IDLE);
  }

  @Test
  @Timeout(60)
  void subscribersRacingAStreamOfChangesGetEachVersionAtMostOnceAndEndOnTheLatest() throws Exception {
    try (Presence immediate = Fixtures.manual(time).flushInterval(Duration.ZERO).build()) {
      immediate.connect("alice", "phone");
      int changes = 3_000;
      int subscribers = 300;
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        Future<?> changer = threads.submit(() -> {
          start.await();
          for (int i = 0; i < changes; i++) {
            immediate.setStatus("alice", StatusMode.AUTO, "text " + i, null);
          }
          return null;
        });
        Future<List<Watch>> watcher = threads.submit(() -> {
          start.await();
          List<Watch> watches = new ArrayList<>();
          for (int i = 0; i < subscribers; i++) {
            RecordingSink sink = new RecordingSink(time);
            PresenceSnapshot snapshot = immediate.subscribe("watcher-" + i, sink).watchUsers(List.of("alice"));
            watches.add(new Watch(snapshot, sink));
          }
          return watches;
        });
        start.countDown();
        changer.get(30, TimeUnit.SECONDS);
        List<Watch> watches = watcher.get(30, TimeUnit.SECONDS);

        UserPresence latest = immediate.get("alice");
        assertThat(latest.customText()).isEqualTo("text " + (changes - 1));
        for (Watch watch : watches) {
          long snapshotVersion = watch.snapshot().users().get(0).version();
          List<Long> versions = watch.sink().changes().stream().map(UserPresence::version).toList();
          assertThat(versions).as("nothing twice, nothing older than the snapshot")
              .allMatch(v -> v > snapshotVersion)
              .isSorted()
              .doesNotHaveDuplicates();
          assertThat(watch.sink().view(watch.snapshot()).get("alice")).as("nothing missed").isEqualTo(latest);
        }
      } finally {
        threads.shutdownNow();
      }
    }
  }

  private record Watch(PresenceSnapshot snapshot, RecordingSink sink) {}

  /**
   * Our own store SPI with hooks around the next read, to land a change exactly between the
   * subscription's registration and its snapshot read, or right after the read.
   */
  static final class RacingStore implements PresenceStore {
    private final InMemoryPresenceStore delegate = new InMemoryPresenceStore();
    private Runnable beforeRead;
    private Runnable afterRead;

    synchronized void beforeNextRead(Runnable hook) {
      beforeRead = hook;
    }

    synchronized void afterNextRead(Runnable hook) {
      afterRead = hook;
    }

    private synchronized Runnable take(boolean before) {
      Runnable hook = before ? beforeRead : afterRead;
      if (before) {
        beforeRead = null;
      } else {
        afterRead = null;
      }
      return hook;
    }

    @Override
    public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
      return delegate.apply(userId, mutation, policy);
    }

    @Override
    public UserRecord get(String userId) {
      run(take(true));
      UserRecord record = delegate.get(userId);
      run(take(false));
      return record;
    }

    @Override
    public List<UserRecord> getAll(List<String> userIds) {
      run(take(true));
      List<UserRecord> records = delegate.getAll(userIds);
      run(take(false));
      return records;
    }

    private static void run(Runnable hook) {
      if (hook != null) {
        hook.run();
      }
    }
  }
}
