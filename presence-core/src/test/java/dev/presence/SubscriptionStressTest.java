package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads change presence while subscribers subscribe, unsubscribe and reconnect. Afterwards,
 * once everything has flushed, every open subscriber's view (its snapshots and batches, keeping the
 * highest version per user) shows what {@code viewAs(watcher).getAll} shows for the users it
 * watches. A change reversed within a window is not sent, so the view may hold an older version of
 * the same state; state and text must match, and the version may never be ahead.
 */
@Timeout(180)
class SubscriptionStressTest {
  private static final int TARGETS = 20;
  private static final int WORKERS = 4;
  private static final int WORKER_OPS = 4_000;
  private static final int WATCHER_THREADS = 3;
  private static final int WATCHER_OPS = 1_200;
  private static final List<String> CHANNELS = List.of("c0", "c1");

  private final ManualTime time = new ManualTime();
  /** Operations done by all threads; the clock moves 50 ms per 40 of them. */
  private final AtomicLong progress = new AtomicLong();
  private final AtomicLong clockSteps = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);

  @Test
  void everySubscribersViewEqualsTheEnginesStateWithInlineDelivery() throws Exception {
    run(false);
  }

  @Test
  void everySubscribersViewEqualsTheEnginesStateWithTheDeliveryPool() throws Exception {
    run(true);
  }

  private void run(boolean pool) throws Exception {
    PresenceBuilder builder =
        Presence.builder()
            .ticker(time)
            .clock(time)
            .scheduler(time)
            .grace(Duration.ofMillis(300))
            .idleAfter(Duration.ofSeconds(3))
            .heartbeatTtl(Duration.ofDays(1))
            .visibilityPolicy((watcher, target) -> Math.floorMod((watcher + "/" + target).hashCode(), 5) != 0);
    if (!pool) {
      builder.deliveryExecutor(Runnable::run);
    }
    try (Presence presence = builder.build()) {
      for (int i = 0; i < TARGETS; i++) {
        if (i < 10) {
          presence.joinChannel("c0", target(i));
        }
        if (i >= 5 && i < 15) {
          presence.joinChannel("c1", target(i));
        }
      }
      ConcurrentHashMap<String, DeviceConnection> devices = new ConcurrentHashMap<>();
      List<Watch> watches = java.util.Collections.synchronizedList(new ArrayList<>());
      ExecutorService threads = Executors.newFixedThreadPool(WORKERS + WATCHER_THREADS + 1);
      CountDownLatch start = new CountDownLatch(1);
      try {
        List<Future<?>> work = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
          long seed = w;
          work.add(threads.submit(() -> {
            start.await();
            churn(presence, devices, new Random(seed));
            return null;
          }));
        }
        for (int w = 0; w < WATCHER_THREADS; w++) {
          int watcherThread = w;
          work.add(threads.submit(() -> {
            start.await();
            subscribeAndUnsubscribe(presence, watcherThread, watches, new Random(100 + watcherThread));
            return null;
          }));
        }
        Future<?> clock = threads.submit(() -> {
          start.await();
          while (running.get()) {
            if (progress.get() - clockSteps.get() * 40 >= 40) {
              time.advanceMillis(50);
              clockSteps.incrementAndGet();
            } else {
              Thread.yield();
            }
          }
          return null;
        });
        start.countDown();
        for (Future<?> future : work) {
          future.get(120, TimeUnit.SECONDS);
        }
        running.set(false);
        clock.get(10, TimeUnit.SECONDS);
      } finally {
        running.set(false);
        threads.shutdownNow();
      }

      // Quiesce: grace ends, idle deadlines pass, every window flushes.
      time.advanceSeconds(10);
      List<Watch> open = watches.stream().filter(w -> w.subscriber.isOpen()).toList();
      assertThat(open).hasSizeGreaterThan(5);
      // How many batches a run produces depends on thread scheduling (a loaded CI machine makes few);
      // the check is only that the stream was exercised at all.
      assertThat(open.stream().mapToInt(w -> w.sink.batches().size()).sum())
          .as("batches delivered to the open subscribers").isPositive();
      if (pool) {
        awaitAllMatch(presence, open);
      }
      for (Watch watch : open) {
        assertMatches(presence, watch);
      }
    }
  }

  /** Connect, disconnect, idle, activity, visibility and status of the targets, at random. */
  private void churn(Presence presence, Map<String, DeviceConnection> devices, Random random) {
    for (int op = 0; op < WORKER_OPS; op++) {
      String user = target(random.nextInt(TARGETS));
      String key = user + "/d" + random.nextInt(2);
      DeviceConnection device = devices.get(key);
      int dice = random.nextInt(100);
      try {
        if (device == null || dice < 15) {
          devices.put(key, presence.connect(user, key.substring(key.indexOf('/') + 1)));
        } else if (dice < 30) {
          device.disconnect();
        } else if (dice < 45) {
          device.setIdle(random.nextBoolean());
        } else if (dice < 55) {
          device.activity();
        } else if (dice < 62) {
          device.setVisible(random.nextBoolean());
        } else if (dice < 85) {
          presence.setStatus(user, mode(random), text(random), null);
        } else {
          device.setStatus(mode(random), text(random), null);
        }
      } catch (LimitExceededException | IllegalStateException e) {
        // a device over its status budget, or a connection closed by another thread: both fine here
      }
      step();
    }
  }

  /** Counts an operation; keeps the threads within a few hundred operations of the clock. */
  private void step() {
    progress.incrementAndGet();
    while (running.get() && progress.get() - clockSteps.get() * 40 > 400) {
      Thread.yield();
    }
  }

  private static StatusMode mode(Random random) {
    int dice = random.nextInt(10);
    return dice < 6 ? StatusMode.AUTO : dice < 9 ? StatusMode.DND : StatusMode.INVISIBLE;
  }

  private static String text(Random random) {
    int dice = random.nextInt(3);
    return dice == 0 ? null : "t" + dice;
  }

  /** Subscribers of two watchers per thread come and go, watch and unwatch, and reconnect. */
  private void subscribeAndUnsubscribe(Presence presence, int thread, List<Watch> watches, Random random) {
    List<Watch> mine = new ArrayList<>();
    for (int op = 0; op < WATCHER_OPS; op++) {
      mine.removeIf(w -> !w.subscriber.isOpen());
      int dice = random.nextInt(100);
      if (mine.size() < 2 || dice < 8) {
        String watcher = "w" + thread + "-" + random.nextInt(2);
        RecordingSink sink = new RecordingSink(time);
        Watch watch;
        if (random.nextBoolean()) {
          DeviceConnection connection = presence.connect(watcher, "d" + random.nextInt(3));
          watch = new Watch(watcher, presence.subscribe(connection, sink), sink, connection);
        } else {
          watch = new Watch(watcher, presence.subscribe(watcher, sink), sink, null);
        }
        mine.add(watch);
        watches.add(watch);
        continue;
      }
      Watch watch = mine.get(random.nextInt(mine.size()));
      if (dice < 45) {
        List<String> users = new ArrayList<>();
        for (int i = random.nextInt(5) + 1; i > 0; i--) {
          users.add(target(random.nextInt(TARGETS)));
        }
        watch.watchUsers(users);
      } else if (dice < 60) {
        watch.watchChannel(CHANNELS.get(random.nextInt(CHANNELS.size())));
      } else if (dice < 80) {
        watch.unwatchUsers(List.of(target(random.nextInt(TARGETS)), target(random.nextInt(TARGETS))));
      } else if (dice < 88) {
        watch.unwatchChannel(CHANNELS.get(random.nextInt(CHANNELS.size())));
      } else if (dice < 94) {
        watch.subscriber.close();
      } else if (watch.connection != null) {
        watch.connection.disconnect(); // its subscriber ends; a later op reconnects and resubscribes
      }
      step();
    }
  }

  private static String target(int i) {
    return "t" + i;
  }

  private void awaitAllMatch(Presence presence, List<Watch> open) throws InterruptedException {
    for (int round = 0; round < 100; round++) {
      Watch behind = open.stream().filter(w -> !matches(presence, w)).findFirst().orElse(null);
      if (behind == null) {
        return;
      }
      // A batch put off behind a sink call still running needs its window to pass: move the clock,
      // then wait for the delivery threads to hand out what is due.
      time.advanceMillis(100);
      behind.sink.await(() -> matches(presence, behind), Duration.ofMillis(100));
    }
  }

  private boolean matches(Presence presence, Watch watch) {
    try {
      assertMatches(presence, watch);
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }

  private void assertMatches(Presence presence, Watch watch) {
    Set<String> scope = new HashSet<>();
    Map<String, UserPresence> view;
    synchronized (watch) {
      scope.addAll(watch.users);
      for (String channel : watch.channels) {
        scope.addAll(presence.channelMembers(channel));
      }
      view = new HashMap<>();
      for (UserPresence user : watch.snapshots) {
        view.merge(user.userId(), user, (a, b) -> b.version() > a.version() ? b : a);
      }
    }
    Map<String, Long> lastBatchVersion = new HashMap<>();
    for (RecordingSink.Batch batch : watch.sink.batches()) {
      assertThat(batch.changes()).extracting(UserPresence::userId).doesNotHaveDuplicates();
      for (UserPresence user : batch.changes()) {
        Long previous = lastBatchVersion.put(user.userId(), user.version());
        assertThat(previous == null || previous < user.version())
            .as("%s: versions of %s only grow from batch to batch", watch.watcher, user.userId()).isTrue();
        view.merge(user.userId(), user, (a, b) -> b.version() > a.version() ? b : a);
      }
    }
    List<String> users = List.copyOf(scope);
    List<UserPresence> truth = presence.viewAs(watch.watcher).getAll(users);
    for (UserPresence expected : truth) {
      UserPresence seen = view.get(expected.userId());
      assertThat(seen).as("%s has a presence of %s", watch.watcher, expected.userId()).isNotNull();
      assertThat(seen.state()).as("%s sees the state of %s", watch.watcher, expected.userId())
          .isEqualTo(expected.state());
      assertThat(Objects.equals(seen.customText(), expected.customText()))
          .as("%s sees the text of %s: %s vs %s", watch.watcher, expected.userId(), seen, expected).isTrue();
      assertThat(seen.version()).isLessThanOrEqualTo(expected.version());
    }
  }

  /** One subscriber as the test drives it: what it watches and every snapshot it got. */
  private static final class Watch {
    final String watcher;
    final Subscriber subscriber;
    final RecordingSink sink;
    final DeviceConnection connection;
    final Set<String> users = new HashSet<>();
    final Set<String> channels = new HashSet<>();
    final List<UserPresence> snapshots = new ArrayList<>();

    Watch(String watcher, Subscriber subscriber, RecordingSink sink, DeviceConnection connection) {
      this.watcher = watcher;
      this.subscriber = subscriber;
      this.sink = sink;
      this.connection = connection;
    }

    void watchUsers(List<String> ids) {
      try {
        PresenceSnapshot snapshot = subscriber.watchUsers(ids);
        synchronized (this) {
          users.addAll(ids);
          snapshots.addAll(snapshot.users());
        }
      } catch (IllegalStateException closed) {
        // closed by its connection meanwhile
      }
    }

    void watchChannel(String channel) {
      try {
        PresenceSnapshot snapshot = subscriber.watchChannel(channel);
        synchronized (this) {
          channels.add(channel);
          snapshots.addAll(snapshot.users());
        }
      } catch (IllegalStateException closed) {
        // closed by its connection meanwhile
      }
    }

    void unwatchUsers(List<String> ids) {
      subscriber.unwatchUsers(ids);
      synchronized (this) {
        users.removeAll(ids);
      }
    }

    void unwatchChannel(String channel) {
      subscriber.unwatchChannel(channel);
      synchronized (this) {
        channels.remove(channel);
      }
    }
  }
}
