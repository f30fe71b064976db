package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.UserRecord;
import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many threads work on the devices of the same few users at once. Time is a {@link ManualTime}, so
 * nothing sleeps: either it stands still while the threads run (and every outcome can be predicted
 * exactly), or one thread moves it while the others run (and the checks are invariants).
 */
class ConcurrencyStressTest {
  private static final int THREADS = 8;
  private static final int OPS_PER_THREAD = 20_000;
  private static final List<String> USERS = List.of("u0", "u1", "u2", "u3");

  private final ManualTime time = new ManualTime(Harness.START);
  private final VersionChecker versions = new VersionChecker();
  private final Presence presence =
      Presence.builder().ticker(time).clock(time).scheduler(time).listener(versions).build();
  private final PresenceEngine engine = (PresenceEngine) presence;
  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);

  @AfterEach
  void close() {
    pool.shutdownNow();
    presence.close();
  }

  /** Checks that each user's changes arrive with consecutive versions: none lost, none reordered. */
  static final class VersionChecker implements PresenceListener {
    final Map<String, Long> last = new ConcurrentHashMap<>();
    final Queue<String> errors = new ConcurrentLinkedQueue<>();

    @Override
    public void onChange(PresenceChange change) {
      last.compute(
          change.userId(),
          (user, previous) -> {
            long expected = previous == null ? 0 : previous;
            if (change.previous().version() != expected || change.current().version() != expected + 1) {
              errors.add(user + ": after version " + expected + " came " + change);
            }
            return Math.max(expected, change.current().version());
          });
    }
  }

  /** One device, owned by one thread, and what the engine must make of it. */
  static final class Model {
    final String userId;
    final String deviceId;
    DeviceConnection handle;
    boolean everConnected;
    boolean connected;
    boolean clientIdle;
    boolean hidden;

    Model(String userId, String deviceId) {
      this.userId = userId;
      this.deviceId = deviceId;
    }

    boolean idle() {
      return clientIdle || hidden;
    }
  }

  @Test
  void manyThreadsChurningDevicesOfTheSameUsersLeaveEveryAggregateAsTheSurvivingDevicesImply()
      throws Exception {
    List<List<Model>> owned = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      List<Model> models = new ArrayList<>();
      for (String user : USERS) {
        for (int d = 0; d < 3; d++) {
          models.add(new Model(user, "t" + t + "-d" + d));
        }
      }
      owned.add(models);
    }
    Queue<String> mismatches = new ConcurrentLinkedQueue<>();
    long[] connects = new long[THREADS];
    long[] disconnects = new long[THREADS];

    runTogether(
        THREADS,
        t -> {
          Random random = new Random(1_000 + t);
          List<Model> models = owned.get(t);
          for (int op = 0; op < OPS_PER_THREAD; op++) {
            Model m = models.get(random.nextInt(models.size()));
            int kind = m.handle == null ? 0 : random.nextInt(10);
            boolean flag = random.nextBoolean();
            boolean result;
            switch (kind) {
              case 0, 1 -> {
                m.handle = presence.connect(m.userId, m.deviceId);
                if (!m.everConnected) {
                  m.clientIdle = false;
                  m.hidden = false;
                }
                m.everConnected = true;
                m.connected = true;
                connects[t]++;
                result = true;
              }
              case 2 -> result = m.handle.heartbeat();
              case 3 -> {
                result = m.handle.activity();
                if (m.connected) {
                  m.clientIdle = false;
                }
              }
              case 4 -> {
                result = m.handle.setIdle(flag);
                if (m.connected) {
                  m.clientIdle = flag;
                }
              }
              case 5 -> {
                result = m.handle.setVisible(flag);
                if (m.connected) {
                  m.hidden = !flag;
                }
              }
              case 6 -> {
                result = presence.setIdle(m.userId, m.deviceId, flag);
                if (m.connected) {
                  m.clientIdle = flag;
                }
              }
              default -> {
                result = random.nextBoolean() ? m.handle.disconnect() : presence.disconnect(m.userId, m.deviceId);
                if (m.connected) {
                  disconnects[t]++;
                }
                boolean expected = m.connected;
                m.connected = false;
                if (result != expected) {
                  mismatches.add(m.userId + "/" + m.deviceId + " disconnect returned " + result);
                }
                continue;
              }
            }
            if (result != m.connected) {
              mismatches.add(m.userId + "/" + m.deviceId + " op " + kind + " returned " + result);
            }
          }
        });

    assertThat(mismatches).isEmpty();
    assertThat(versions.errors).isEmpty();
    List<Model> all = owned.stream().flatMap(List::stream).toList();
    for (Model m : all) {
      if (m.handle != null) {
        assertThat(m.handle.isOpen()).as(m.deviceId).isEqualTo(m.connected);
      }
    }

    // Before grace ends every device ever connected is recorded, with the activity it last had.
    for (String user : USERS) {
      List<Model> devices = all.stream().filter(m -> m.userId.equals(user) && m.everConnected).toList();
      UserRecord record = engine.store.get(user);
      assertThat(activities(record)).as(user).isEqualTo(expectedActivities(devices));
      assertThat(presence.get(user).state()).as(user).isEqualTo(expectedState(devices));
    }
    assertThat(presence.stats().devicesInGrace())
        .isEqualTo(all.stream().filter(m -> m.everConnected && !m.connected).count());

    time.advance(PresenceBuilder.DEFAULT_GRACE);

    assertThat(versions.errors).isEmpty();
    long online = 0;
    long idle = 0;
    for (String user : USERS) {
      List<Model> surviving = all.stream().filter(m -> m.userId.equals(user) && m.connected).toList();
      UserPresence p = presence.get(user);
      PresenceState expected = expectedState(surviving);
      assertThat(p.state()).as(user).isEqualTo(expected);
      assertThat(activities(engine.store.get(user))).as(user).isEqualTo(expectedActivities(surviving));
      assertThat(p.version()).as(user).isEqualTo(versions.last.getOrDefault(user, 0L));
      online += expected == PresenceState.ONLINE ? 1 : 0;
      idle += expected == PresenceState.IDLE ? 1 : 0;
    }
    PresenceStats stats = presence.stats();
    assertThat(stats.devicesConnected()).isEqualTo(all.stream().filter(m -> m.connected).count());
    assertThat(stats.devicesInGrace()).isZero();
    assertThat(stats.usersOnline()).isEqualTo(online);
    assertThat(stats.usersIdle()).isEqualTo(idle);
    assertThat(stats.usersDnd()).isZero();
    assertThat(stats.connects()).isEqualTo(sum(connects));
    assertThat(stats.disconnects()).isEqualTo(sum(disconnects));
    assertThat(stats.expiries()).isZero();
    assertThat(stats.listenerFailures()).isZero();
  }

  @Test
  void manyThreadsFightingOverTheSameDevicesLeaveAtMostOneOpenConnectionPerDevice()
      throws Exception {
    List<String> devices = List.of("phone", "laptop", "tablet");
    Queue<DeviceConnection> handles = new ConcurrentLinkedQueue<>();
    long[] connects = new long[THREADS];

    runTogether(
        THREADS,
        t -> {
          Random random = new Random(2_000 + t);
          Map<String, DeviceConnection> mine = new HashMap<>();
          for (int op = 0; op < OPS_PER_THREAD; op++) {
            String user = USERS.get(random.nextInt(USERS.size()));
            String device = devices.get(random.nextInt(devices.size()));
            String key = user + "/" + device;
            DeviceConnection handle = mine.get(key);
            int kind = handle == null ? 0 : random.nextInt(6);
            switch (kind) {
              case 0, 1 -> {
                DeviceConnection fresh = presence.connect(user, device);
                mine.put(key, fresh);
                handles.add(fresh);
                connects[t]++;
              }
              case 2 -> handle.heartbeat();
              case 3 -> handle.activity();
              case 4 -> handle.disconnect();
              default -> presence.disconnect(user, device);
            }
          }
        });

    assertThat(versions.errors).isEmpty();
    time.advance(PresenceBuilder.DEFAULT_GRACE);

    Map<String, List<DeviceConnection>> open =
        handles.stream()
            .filter(DeviceConnection::isOpen)
            .collect(Collectors.groupingBy(h -> h.userId() + "/" + h.deviceId()));
    open.forEach((key, list) -> assertThat(list).as(key).hasSize(1));
    for (String user : USERS) {
      Set<String> connected =
          open.values().stream()
              .map(list -> list.get(0))
              .filter(h -> h.userId().equals(user))
              .map(DeviceConnection::deviceId)
              .collect(Collectors.toSet());
      assertThat(deviceIds(engine.store.get(user))).as(user).isEqualTo(connected);
      assertThat(presence.get(user).state())
          .as(user)
          .isEqualTo(connected.isEmpty() ? PresenceState.OFFLINE : PresenceState.ONLINE);
      assertThat(presence.get(user).version()).isEqualTo(versions.last.getOrDefault(user, 0L));
    }
    PresenceStats stats = presence.stats();
    assertThat(stats.devicesConnected()).isEqualTo(open.size());
    assertThat(stats.devicesInGrace()).isZero();
    assertThat(stats.usersOnline())
        .isEqualTo(open.keySet().stream().map(k -> k.substring(0, k.indexOf('/'))).distinct().count());
    assertThat(stats.connects()).isEqualTo(sum(connects));
    assertThat(versions.errors).isEmpty();
  }

  @Test
  void timersFiringWhileThreadsChurnKeepTheEngineAndTheStoreInAgreement() throws Exception {
    List<String> devices = List.of("phone", "laptop", "tablet", "watch");
    Queue<DeviceConnection> handles = new ConcurrentLinkedQueue<>();
    int workers = THREADS - 1;
    CountDownLatch workersDone = new CountDownLatch(workers);

    runTogether(
        THREADS,
        t -> {
          if (t == workers) { // the clock thread: ticks while the others work, then a bit more
            for (int step = 0; step < 1_000 && workersDone.getCount() > 0; step++) {
              time.advanceMillis(100);
            }
            return;
          }
          try {
            Random random = new Random(3_000 + t);
            Map<String, DeviceConnection> mine = new HashMap<>();
            for (int op = 0; op < OPS_PER_THREAD / 2; op++) {
              String user = USERS.get(random.nextInt(USERS.size()));
              String device = devices.get(random.nextInt(devices.size()));
              String key = user + "/" + device;
              DeviceConnection handle = mine.get(key);
              int kind = handle == null ? 0 : random.nextInt(9);
              switch (kind) {
                case 0, 1 -> {
                  DeviceConnection fresh = presence.connect(user, device);
                  mine.put(key, fresh);
                  handles.add(fresh);
                }
                case 2 -> handle.heartbeat();
                case 3 -> handle.activity();
                case 4 -> handle.setIdle(random.nextBoolean());
                case 5 -> handle.setVisible(random.nextBoolean());
                case 6 -> presence.setStatus(user, random.nextBoolean() ? StatusMode.AUTO : StatusMode.DND);
                case 7 -> handle.disconnect();
                default -> presence.disconnect(user, device);
              }
            }
          } finally {
            workersDone.countDown();
          }
        });

    time.advance(PresenceBuilder.DEFAULT_GRACE);

    assertThat(versions.errors).isEmpty();
    Map<String, List<DeviceConnection>> open =
        handles.stream()
            .filter(DeviceConnection::isOpen)
            .collect(Collectors.groupingBy(h -> h.userId() + "/" + h.deviceId()));
    open.forEach((key, list) -> assertThat(list).as(key).hasSize(1));
    long online = 0;
    long idle = 0;
    long dnd = 0;
    for (String user : USERS) {
      UserRecord record = engine.store.get(user);
      Map<String, DeviceActivity> expected = new HashMap<>();
      for (List<DeviceConnection> list : open.values()) {
        DeviceSession session = (DeviceSession) list.get(0);
        if (session.userId().equals(user)) {
          expected.put(session.deviceId(), session.recorded());
          assertThat(session.recorded())
              .as("%s recorded as idle exactly when it is idle", session)
              .isEqualTo(session.idle ? DeviceActivity.IDLE : DeviceActivity.ACTIVE);
        }
      }
      assertThat(activities(record)).as(user).isEqualTo(expected);
      PresenceState self = record.selfState();
      PresenceState implied =
          expected.isEmpty()
              ? PresenceState.OFFLINE
              : record.mode() == StatusMode.DND
                  ? PresenceState.DND
                  : expected.containsValue(DeviceActivity.ACTIVE) ? PresenceState.ONLINE : PresenceState.IDLE;
      assertThat(self).as(user).isEqualTo(implied);
      assertThat(presence.get(user).state()).as(user).isEqualTo(implied);
      assertThat(presence.get(user).version()).isEqualTo(versions.last.getOrDefault(user, 0L));
      online += implied == PresenceState.ONLINE ? 1 : 0;
      idle += implied == PresenceState.IDLE ? 1 : 0;
      dnd += implied == PresenceState.DND ? 1 : 0;
    }
    PresenceStats stats = presence.stats();
    assertThat(stats.devicesConnected()).isEqualTo(open.size());
    assertThat(stats.devicesInGrace()).isZero();
    assertThat(stats.usersOnline()).isEqualTo(online);
    assertThat(stats.usersIdle()).isEqualTo(idle);
    assertThat(stats.usersDnd()).isEqualTo(dnd);
    assertThat(stats.listenerFailures()).isZero();
  }

  /** A body run by one of several threads, given its index. */
  @FunctionalInterface
  interface Body {
    void run(int thread) throws Exception;
  }

  /** Starts {@code threads} bodies at once and waits for all of them, failing on any exception. */
  private void runTogether(int threads, Body body) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int index = t;
      Callable<Void> task =
          () -> {
            start.await();
            body.run(index);
            return null;
          };
      futures.add(pool.submit(task));
    }
    start.countDown();
    for (Future<?> future : futures) {
      future.get(2, TimeUnit.MINUTES);
    }
  }

  private static Map<String, DeviceActivity> activities(UserRecord record) {
    Map<String, DeviceActivity> result = new HashMap<>();
    for (DeviceRecord device : record.devices()) {
      result.put(device.deviceId(), device.activity());
    }
    return result;
  }

  private static Set<String> deviceIds(UserRecord record) {
    Set<String> ids = new HashSet<>();
    for (DeviceRecord device : record.devices()) {
      ids.add(device.deviceId());
    }
    return ids;
  }

  private static Map<String, DeviceActivity> expectedActivities(List<Model> devices) {
    Map<String, DeviceActivity> result = new HashMap<>();
    for (Model m : devices) {
      result.put(m.deviceId, m.idle() ? DeviceActivity.IDLE : DeviceActivity.ACTIVE);
    }
    return result;
  }

  private static PresenceState expectedState(List<Model> devices) {
    if (devices.isEmpty()) {
      return PresenceState.OFFLINE;
    }
    return devices.stream().anyMatch(m -> !m.idle()) ? PresenceState.ONLINE : PresenceState.IDLE;
  }

  private static long sum(long[] values) {
    long total = 0;
    for (long value : values) {
      total += value;
    }
    return total;
  }
}
