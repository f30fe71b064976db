package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Heartbeat TTL: a device that stops heartbeating is gone, with no second grace. */
class HeartbeatTtlTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aSilentDeviceExpiresAtTheDefaultTtlWithNoSecondGrace() {
    assertThat(PresenceBuilder.DEFAULT_HEARTBEAT_TTL).isEqualTo(Duration.ofSeconds(45));
    DeviceConnection phone = h.presence.connect("alice", "phone");

    h.advanceMillis(44_900);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(100);

    UserPresence alice = h.get("alice");
    assertThat(alice.state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(alice.version()).isEqualTo(2);
    assertThat(alice.lastSeen()).isEqualTo(Harness.START); // connecting was its last sign of life
    assertThat(phone.isOpen()).isFalse();
    assertThat(h.stats().expiries()).isEqualTo(1);
    assertThat(h.stats().disconnects()).isZero();
    assertThat(h.stats().devicesConnected()).isZero();
    assertThat(h.stats().devicesInGrace()).isZero();
  }

  @Test
  void heartbeatsKeepADeviceAliveIndefinitely() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    for (int i = 0; i < 4 * 60 * 3; i++) { // three hours
      h.advanceSeconds(15);
      assertThat(phone.heartbeat()).isTrue();
      assertThat(h.get("alice").isConnected()).isTrue();
    }
    assertThat(h.stats().expiries()).isZero();
    assertThat(h.stats().devicesConnected()).isEqualTo(1);
    // without input it went idle after five minutes, but it never went offline
    assertThat(h.changes).extracting(c -> c.current().state())
        .containsExactly(PresenceState.ONLINE, PresenceState.IDLE);
  }

  @Test
  void heartbeatsByIdKeepADeviceAliveToo() {
    h.presence.connect("alice", "phone");
    for (int i = 0; i < 20; i++) {
      h.advanceSeconds(40);
      assertThat(h.presence.heartbeat("alice", "phone")).isTrue();
    }
    assertThat(h.get("alice").isConnected()).isTrue();
    assertThat(h.stats().expiries()).isZero();
  }

  @Test
  void afterExpiryLastSeenIsTheLastHeartbeatTime() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(15);
    phone.heartbeat();
    h.advanceSeconds(15);
    phone.heartbeat(); // at 30 s, the last one

    h.advanceMillis(44_900);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(100);

    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(30));
  }

  @Test
  void aHeartbeatBetweenTicksCountsFromTheTickBeforeItSoExpiryIsAtMostOneTickEarly() {
    // Heartbeats read the time of the last timer tick rather than the ticker (it is most of their
    // cost), so their resolution is one tick (100 ms): immaterial against a 45 s TTL.
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceMillis(37_550);
    phone.heartbeat(); // recorded as 37.5 s: TTL ends at 82.5 s

    h.advanceMillis(44_900); // 82.45 s
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(50); // 82.5 s

    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.START.plusMillis(37_500));
  }

  @Test
  void anExpiryBetweenTicksFiresAtTheNextTickNeverBefore() {
    DeviceConnection phone = h.presence.connect("alice", "phone"); // connects read the exact time
    h.advanceMillis(37_550);
    h.presence.disconnect("alice", "phone");
    h.presence.connect("alice", "phone"); // TTL of this connection ends at 82.55 s, between ticks

    h.advanceMillis(44_950); // 82.5 s
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(100); // 82.6 s

    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(phone.isOpen()).isFalse();
  }

  @Test
  void activityCountsAsAHeartbeat() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    for (int i = 0; i < 10; i++) {
      h.advanceSeconds(40);
      phone.activity();
    }
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).hasSize(1);
  }

  @Test
  void anExpiredDeviceRejectsHeartbeatsSoTheClientReconnects() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(45);

    assertThat(phone.heartbeat()).isFalse();
    assertThat(phone.activity()).isFalse();
    assertThat(h.presence.heartbeat("alice", "phone")).isFalse();
    assertThat(phone.disconnect()).isFalse();
    assertThat(h.stats().disconnects()).isZero();
  }

  @Test
  void theExpiryOfOneDeviceLeavesTheOthersAlone() {
    h.presence.connect("alice", "phone");
    DeviceConnection laptop = h.presence.connect("alice", "laptop");

    h.advanceWithHeartbeats(Duration.ofSeconds(60), laptop);

    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.changes).hasSize(1);
    assertThat(h.stats().expiries()).isEqualTo(1);
    assertThat(h.stats().devicesConnected()).isEqualTo(1);
  }

  @Test
  void aDeviceInGraceIsNotExpiredAgainByItsTtl() {
    DeviceConnection phone = h.presence.connect("alice", "phone");
    h.advanceSeconds(40);
    phone.disconnect(); // the TTL would have ended at 45 s; grace ends at 50 s

    h.advanceMillis(9_900);
    assertThat(h.state("alice")).isEqualTo(PresenceState.ONLINE);
    h.advanceMillis(100);

    assertThat(h.state("alice")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.get("alice").lastSeen()).isEqualTo(Harness.atSeconds(40));
    assertThat(h.stats().expiries()).isZero();
  }

  @Test
  void aConfiguredTtlIsHonouredToTheTick() {
    try (Harness custom = Harness.start(b -> b.heartbeatTtl(Duration.ofSeconds(5)))) {
      custom.presence.connect("bob", "phone");
      custom.advanceMillis(4_900);
      assertThat(custom.state("bob")).isEqualTo(PresenceState.ONLINE);
      custom.advanceMillis(100);
      assertThat(custom.state("bob")).isEqualTo(PresenceState.OFFLINE);
    }
  }

  @Test
  void aHeartbeatWritesNothingToTheStore() {
    CountingStore store = new CountingStore();
    try (Harness counted = Harness.start(b -> b.store(store))) {
      DeviceConnection phone = counted.presence.connect("alice", "phone");
      int writesAfterConnect = store.writes.get();
      for (int i = 0; i < 1_000; i++) {
        assertThat(phone.heartbeat()).isTrue();
        assertThat(phone.activity()).isTrue();
        counted.presence.heartbeat("alice", "phone");
      }
      counted.advanceWithHeartbeats(Duration.ofSeconds(120), phone);

      assertThat(writesAfterConnect).isEqualTo(1);
      assertThat(store.writes.get()).isEqualTo(1);
    }
  }

  /** Counts {@link #apply} calls. */
  static final class CountingStore implements PresenceStore {
    final InMemoryPresenceStore delegate = new InMemoryPresenceStore();
    final AtomicInteger writes = new AtomicInteger();

    @Override
    public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
      writes.incrementAndGet();
      return delegate.apply(userId, mutation, policy);
    }

    @Override
    public UserRecord get(String userId) {
      return delegate.get(userId);
    }

    @Override
    public List<UserRecord> getAll(List<String> userIds) {
      return delegate.getAll(userIds);
    }
  }
}
