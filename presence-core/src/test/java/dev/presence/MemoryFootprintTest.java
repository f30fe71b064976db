package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * The heap the engine and its default in-memory store keep per user and per device, measured by
 * walking the engine's object graph with JOL after connecting users through the public API, so that
 * a change that makes either bigger fails the build, not only a benchmark.
 *
 * <p>User ids belong to the application and are taken off; device ids are two shared strings. Fixed
 * costs (the timer wheel's sentinels, the executors) are taken off by measuring the same engine
 * before the users connect. Per device is what a user's second device adds; per user is a user with
 * one device minus one device.
 *
 * <p>The ceilings are today's sizes with a little room for the JVM's layout, not issue 11's targets
 * (64 B per device, 96 B per user, 160 B for a user with one device; see BENCHMARKS.md, "Memory
 * (row 8)"). Lower them when the engine shrinks. Since a store record holds one device without a
 * list, a second device also pays for the two-device array (24 B): "per extra device" went up by
 * that much while both totals went down.
 */
class MemoryFootprintTest {
  private static final int USERS = 10_000;
  /**
   * Bytes per user with one device, ids excluded; includes {@link IdTable}'s one-byte probe tag per
   * slot (about 3.3 slots per entry at this size, in the user table and the device table).
   */
  static final double CEILING_USER_WITH_ONE_DEVICE = 285;
  /** Bytes a second device adds (its device-table tag bytes and the record's device array included). */
  static final double CEILING_DEVICE = 180;

  @Test
  void aUserWithOneDeviceAndASecondDeviceStayUnderTheirCeilings() {
    String[] userIds = new String[USERS];
    for (int i = 0; i < USERS; i++) {
      userIds[i] = "user-" + i;
    }
    double oneDevice = bytesPerUser(userIds, 1);
    double twoDevices = bytesPerUser(userIds, 2);
    double perDevice = twoDevices - oneDevice;
    double perUser = oneDevice - perDevice;
    System.out.printf(
        "MemoryFootprintTest: %.1f B per user with one device, %.1f B per extra device, %.1f B per user"
            + " beyond its devices (%d users; ids excluded)%n",
        oneDevice, perDevice, perUser, USERS);

    assertThat(oneDevice).isLessThanOrEqualTo(CEILING_USER_WITH_ONE_DEVICE);
    assertThat(perDevice).isLessThanOrEqualTo(CEILING_DEVICE);
    // Sanity: the walk saw the users (a session and a record each cost well over 64 B).
    assertThat(oneDevice).isGreaterThan(64);
    assertThat(perDevice).isGreaterThan(32);
  }

  /**
   * Issue 11 asked whether the in-memory store keeps its own copy of every user beside the engine's:
   * it does not. The engine's entry points at the very record the store holds, after a connect, a
   * second device, idle, a chosen status, its expiry and a device leaving; the engine's own objects
   * hold only what the store cannot (timers, handles, listeners).
   */
  @Test
  void theEngineAndTheInMemoryStoreHoldOneRecordPerUser() {
    try (Harness h = Harness.start()) {
      DeviceConnection phone = h.presence.connect("alice", "phone");
      assertOneRecord(h, "alice");
      DeviceConnection laptop = h.presence.connect("alice", "laptop");
      assertOneRecord(h, "alice");
      phone.setIdle(true);
      assertOneRecord(h, "alice");
      h.presence.setStatus("alice", StatusMode.DND, "in a meeting", java.time.Duration.ofSeconds(30));
      assertOneRecord(h, "alice");
      h.advanceWithHeartbeats(java.time.Duration.ofSeconds(31), phone, laptop); // the status expires
      assertThat(h.engine().store.get("alice").mode()).isEqualTo(StatusMode.AUTO);
      assertOneRecord(h, "alice");
      laptop.disconnect();
      h.advanceWithHeartbeats(java.time.Duration.ofSeconds(60), phone); // past grace: the laptop leaves the record
      assertOneRecord(h, "alice");
      assertThat(h.engine().store.get("alice").deviceCount()).isEqualTo(1);
    }
  }

  private static void assertOneRecord(Harness h, String userId) {
    assertThat(h.engine().users.get(userId).lastRecord).isSameAs(h.engine().store.get(userId));
  }

  /** Heap per user of an engine holding {@code userIds} with {@code devicesPerUser} devices each. */
  private static double bytesPerUser(String[] userIds, int devicesPerUser) {
    ManualTime time = new ManualTime(Harness.START);
    Presence presence =
        Presence.builder().ticker(time).clock(time).scheduler(time).storeExecutor(Runnable::run).build();
    try {
      long empty = GraphLayout.parseInstance(presence).totalSize();
      DeviceConnection[] handles = new DeviceConnection[userIds.length * devicesPerUser];
      for (int u = 0; u < userIds.length; u++) {
        for (int d = 0; d < devicesPerUser; d++) {
          handles[u * devicesPerUser + d] = presence.connect(userIds[u], d == 0 ? "phone" : "laptop");
        }
      }
      time.advanceMillis(1_000); // a few ticks: anything lazily made on the first ones is counted
      assertThat(presence.stats().devicesConnected()).isEqualTo(handles.length);
      long full = GraphLayout.parseInstance(presence).totalSize();
      long idBytes = GraphLayout.parseInstance((Object[]) userIds).totalSize() - VM.current().sizeOf(userIds);
      return (full - empty - idBytes) / (double) userIds.length;
    } finally {
      presence.close();
    }
  }
}
