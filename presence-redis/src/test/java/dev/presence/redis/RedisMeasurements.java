package dev.presence.redis;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceState;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.redis.testing.RedisBinary;
import dev.presence.redis.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Measurements of presence-redis for BENCHMARKS.md, run by hand (not part of {@code mvn verify}):
 * Redis commands per heartbeat and per change (against the seed's Redis variant), change throughput
 * and latency between two engines, time from {@code kill -9} of a server to its users' offline
 * changes, and Redis memory per user. Each mode starts its own {@code redis-server} (the binary {@link
 * RedisBinary#resolve()} picks) and stops it at the end. Command lines: BENCHMARKS.md, section "Redis
 * (presence-redis)".
 */
public final class RedisMeasurements {
  private RedisMeasurements() {}

  /**
   * Runs one measurement and prints its result.
   *
   * @param args {@code commands}, {@code throughput [users] [rounds]}, {@code crash [runs]} or {@code
   *     memory [users]}
   * @throws Exception if a measurement fails
   */
  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "";
    System.out.println("redis-server: " + RedisBinary.resolve() + ", JDK " + Runtime.version()
        + ", cores " + Runtime.getRuntime().availableProcessors());
    try (RedisServer server = RedisServer.start()) {
      System.out.println("version: " + infoField(server, "server", "redis_version"));
      switch (mode) {
        case "commands" -> commands(server);
        case "throughput" -> throughput(server, intArg(args, 1, 2000), intArg(args, 2, 10));
        case "crash" -> crash(server, intArg(args, 1, 5));
        case "memory" -> memory(server, intArg(args, 1, 10_000));
        default -> throw new IllegalArgumentException("mode: commands | throughput | crash | memory, not " + mode);
      }
    }
    System.exit(0); // Lettuce's and the engines' threads would keep a finished measurement alive
  }

  // ---- (a) commands per heartbeat and per change

  private static void commands(RedisServer server) throws Exception {
    int heartbeats = 1000;
    int changes = 100;
    String app = app();
    // Renewal far off, so no lease command falls inside the measured windows.
    RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application(app).build();
    RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).application(app).build();
    Presence presence = Presence.builder().store(store).bus(bus).nodeId("web-1")
        .lease(Duration.ofSeconds(60)).leaseRenewInterval(Duration.ofSeconds(20))
        .statusChangeLimit(1_000_000, Duration.ofSeconds(1)).flushInterval(Duration.ZERO).build();
    try {
      DeviceConnection alice = presence.connect("alice", "phone");
      awaitState(presence, "alice", PresenceState.ONLINE);
      Thread.sleep(500);

      Map<String, Long> before = commandstats(server);
      for (int i = 0; i < heartbeats; i++) {
        alice.heartbeat();
      }
      Thread.sleep(500);
      Map<String, Long> afterHeartbeats = commandstats(server);
      print("engine: " + heartbeats + " heartbeats", delta(before, afterHeartbeats), heartbeats);

      long evalBefore = afterHeartbeats.getOrDefault("evalsha", 0L);
      for (int i = 0; i < changes; i++) {
        alice.setIdle(i % 2 == 0);
        PresenceState expected = i % 2 == 0 ? PresenceState.IDLE : PresenceState.ONLINE;
        awaitState(presence, "alice", expected);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (commandstats(server).getOrDefault("evalsha", 0L) - evalBefore < changes
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      Thread.sleep(300);
      print("engine: " + changes + " state changes (idle/active)", delta(afterHeartbeats, commandstats(server)),
          changes);
    } finally {
      presence.close();
      store.close();
      bus.close();
    }

    // The seed's Redis variant (presence-skill.txt, "Redis-Backed Presence at Scale"), command for command.
    RedisClient client = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> redis = connection.sync();
      String key = "seed:presence:alice";
      Map<String, Long> before = commandstats(server);
      for (int i = 0; i < heartbeats; i++) { // heartbeat(userId, serverId)
        redis.hset(key, Map.of("updatedAt", Long.toString(System.currentTimeMillis())));
        redis.expire(key, 45);
      }
      Map<String, Long> afterHeartbeats = commandstats(server);
      print("seed variant: " + heartbeats + " heartbeats", delta(before, afterHeartbeats), heartbeats);
      for (int i = 0; i < changes; i++) { // setPresence(userId, status, serverId)
        String status = i % 2 == 0 ? "idle" : "online";
        redis.hset(key, Map.of("status", status, "serverId", "web-1",
            "updatedAt", Long.toString(System.currentTimeMillis())));
        redis.expire(key, 45);
        redis.publish("presence-updates", "{\"userId\":\"alice\",\"status\":\"" + status + "\"}");
      }
      print("seed variant: " + changes + " state changes", delta(afterHeartbeats, commandstats(server)), changes);
    } finally {
      client.shutdown();
    }
  }

  private static void print(String what, Map<String, Long> delta, int operations) {
    long total = delta.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf("%s: commandstats delta %s (total %d, %.2f per operation)%n", what, delta, total,
        (double) total / operations);
  }

  // ---- (b) throughput and latency between two engines

  private static void throughput(RedisServer server, int users, int rounds) throws Exception {
    String app = app();
    List<AutoCloseable> closing = new ArrayList<>();
    Presence writer = engine(server, app, "writer", closing);
    Presence reader = engine(server, app, "reader", closing);
    try {
      Map<String, Long> sentAt = new ConcurrentHashMap<>();
      Map<String, PresenceState> sentState = new ConcurrentHashMap<>();
      List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicLong arrived = new AtomicLong();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < users; i++) {
        ids.add("user-" + i);
      }
      reader.subscribe("watcher", new PresenceSink() {
        @Override
        public void onPresence(List<UserPresence> changes) {
          long now = System.nanoTime();
          for (UserPresence change : changes) {
            Long sent = sentAt.get(change.userId());
            if (sent != null && change.state() == sentState.get(change.userId())) {
              latencies.add(now - sent);
              sentAt.remove(change.userId());
              arrived.incrementAndGet();
            }
          }
        }

        @Override
        public void onTyping(List<TypingEvent> events) {}
      }).watchUsers(ids);
      List<DeviceConnection> devices = new ArrayList<>();
      for (String id : ids) {
        devices.add(writer.connect(id, "d"));
      }
      await(Duration.ofSeconds(60), () -> ids.stream().allMatch(id -> reader.get(id).state() == PresenceState.ONLINE));

      // Burst: every user toggles at once, round after round; the round ends when the watcher has them all.
      long start = System.nanoTime();
      for (int round = 0; round < rounds; round++) {
        boolean idle = round % 2 == 0;
        for (int i = 0; i < users; i++) {
          String id = ids.get(i);
          sentState.put(id, idle ? PresenceState.IDLE : PresenceState.ONLINE);
          sentAt.put(id, System.nanoTime());
          devices.get(i).setIdle(idle);
        }
        long expected = (long) users * (round + 1);
        await(Duration.ofSeconds(120), () -> arrived.get() >= expected);
      }
      long elapsed = System.nanoTime() - start;
      System.out.printf("burst: %d users x %d rounds = %d changes in %d ms: %.0f changes/s; "
              + "latency to the other engine's watcher (queueing included) %s%n",
          users, rounds, (long) users * rounds, elapsed / 1_000_000, users * rounds / (elapsed / 1e9),
          percentiles(latencies));

      // Paced: one change at a time, 5 ms apart: the latency of a change on an idle system.
      latencies.clear();
      arrived.set(0);
      int samples = Math.min(users, 1000);
      for (int i = 0; i < samples; i++) {
        String id = ids.get(i);
        boolean idle = rounds % 2 == 0;
        sentState.put(id, idle ? PresenceState.IDLE : PresenceState.ONLINE);
        sentAt.put(id, System.nanoTime());
        devices.get(i).setIdle(idle);
        long expected = i + 1;
        await(Duration.ofSeconds(10), () -> arrived.get() >= expected);
        Thread.sleep(5);
      }
      System.out.printf("paced: %d changes one at a time, latency %s%n", samples, percentiles(latencies));
    } finally {
      for (AutoCloseable c : closing) {
        c.close();
      }
    }
  }

  private static Presence engine(RedisServer server, String app, String node, List<AutoCloseable> closing) {
    RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application(app).build();
    RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).application(app).build();
    Presence presence = Presence.builder().store(store).bus(bus).nodeId(node).flushInterval(Duration.ZERO)
        .statusChangeLimit(1_000_000, Duration.ofSeconds(1)).maxSubscriptionsPerSubscriber(1_000_000).build();
    closing.add(0, bus);
    closing.add(0, store);
    closing.add(0, presence::close);
    return presence;
  }

  private static String percentiles(List<Long> nanos) {
    long[] sorted;
    synchronized (nanos) {
      sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    if (sorted.length == 0) {
      return "(no samples)";
    }
    return String.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)", sorted[sorted.length / 2] / 1e6,
        sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] / 1e6,
        sorted[sorted.length - 1] / 1e6, sorted.length);
  }

  // ---- (c) kill -9 of a server to its users' offline changes

  private static void crash(RedisServer server, int runs) throws Exception {
    Duration lease = ChildJvmCrashTest.LEASE;
    Duration renew = ChildJvmCrashTest.RENEW;
    Duration grace = ChildJvmCrashTest.GRACE;
    List<Long> times = new ArrayList<>();
    for (int run = 0; run < runs; run++) {
      String app = app();
      List<AutoCloseable> closing = new ArrayList<>();
      RedisPresenceStore store = RedisPresenceStore.builder().uri(server.uri()).application(app).build();
      RedisPresenceBus bus = RedisPresenceBus.builder().uri(server.uri()).application(app).build();
      Presence survivor = Presence.builder().store(store).bus(bus).nodeId("web-1")
          .lease(lease).leaseRenewInterval(renew).grace(grace).build();
      closing.add(bus);
      closing.add(store);
      closing.add(0, survivor::close);
      try {
        Map<String, List<String>> devices = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
          devices.put("u" + i, List.of("phone"));
        }
        Map<String, Integer> offline = new ConcurrentHashMap<>();
        survivor.subscribe("watcher", new PresenceSink() {
          @Override
          public void onPresence(List<UserPresence> changes) {
            changes.stream().filter(c -> c.state() == PresenceState.OFFLINE)
                .forEach(c -> offline.merge(c.userId(), 1, Integer::sum));
          }

          @Override
          public void onTyping(List<TypingEvent> events) {}
        }).watchUsers(devices.keySet());
        try (EngineInChildJvm child = EngineInChildJvm.start(
            "redis://127.0.0.1:" + server.port(), app, "web-2", lease, renew, grace, devices)) {
          await(Duration.ofSeconds(30),
              () -> devices.keySet().stream().allMatch(u -> survivor.get(u).state() == PresenceState.ONLINE));
          Thread.sleep(1000 + run * 97L % 300); // kill at different points of the renewal period
          long killedAt = child.kill();
          await(Duration.ofSeconds(30), () -> offline.size() == devices.size());
          long ms = (System.nanoTime() - killedAt) / 1_000_000;
          Thread.sleep(lease.plus(grace).toMillis());
          times.add(ms);
          System.out.printf("run %d: kill -9 -> all %d users offline on the other engine in %d ms; "
              + "offline changes per user %s%n", run + 1, devices.size(), ms, new TreeMap<>(offline).values());
        }
      } finally {
        for (AutoCloseable c : closing) {
          c.close();
        }
      }
    }
    System.out.printf("lease %d ms, renew %d ms, grace %d ms, flush interval %s (default): kill -> last offline "
            + "min %d ms, max %d ms, all %s%n", lease.toMillis(), renew.toMillis(), grace.toMillis(),
        dev.presence.PresenceBuilder.DEFAULT_FLUSH_INTERVAL, times.stream().mapToLong(Long::longValue).min().orElse(0),
        times.stream().mapToLong(Long::longValue).max().orElse(0), times);
  }

  // ---- (d) memory per user

  private static void memory(RedisServer server, int users) throws Exception {
    String app = app();
    List<AutoCloseable> closing = new ArrayList<>();
    Presence presence = engine(server, app, "web-1", closing);
    try {
      RedisKeys keys = RedisKeys.of(app);
      long base = usedMemory(server);
      List<DeviceConnection> first = new ArrayList<>();
      for (int i = 0; i < users; i++) {
        first.add(presence.connect("user-" + i, "phone"));
      }
      String last = "user-" + (users - 1);
      await(Duration.ofSeconds(60), () -> presence.get(last).state() == PresenceState.ONLINE
          && memoryUsage(server, keys.user(last)) > 0);
      Thread.sleep(1000);
      long online = usedMemory(server);
      System.out.printf("one device: MEMORY USAGE %s = %d B; used_memory delta / users = %d B "
              + "(%d users; includes the node's per-slot user index and the keyspace dict)%n",
          keys.user("user-0"), memoryUsage(server, keys.user("user-0")), (online - base) / users, users);
      for (int i = 0; i < users; i++) {
        presence.connect("user-" + i, "laptop");
      }
      Thread.sleep(3000);
      long twoDevices = usedMemory(server);
      System.out.printf("two devices: MEMORY USAGE = %d B; used_memory delta per extra device = %d B%n",
          memoryUsage(server, keys.user("user-0")), (twoDevices - online) / users);
      System.out.printf("per user, beside the hash: MEMORY USAGE %s (replay guard, expires after 10 min) = %d B; "
              + "keys in the database: %s%n", keys.ops("user-0"), memoryUsage(server, keys.ops("user-0")),
          server.call("DBSIZE"));
    } finally {
      for (AutoCloseable c : closing) {
        c.close();
      }
    }
    // An offline user's record stays (last seen), without devices.
    String offlineApp = app();
    List<AutoCloseable> closing2 = new ArrayList<>();
    Presence again = engine(server, offlineApp, "web-1", closing2);
    try {
      RedisKeys keys = RedisKeys.of(offlineApp);
      DeviceConnection device = again.connect("bob", "phone");
      await(Duration.ofSeconds(10), () -> memoryUsage(server, keys.user("bob")) > 0);
      device.disconnect();
      await(Duration.ofSeconds(30), () -> again.get("bob").state() == PresenceState.OFFLINE);
      Thread.sleep(1000);
      System.out.printf("offline (after a disconnect and the grace): MEMORY USAGE %s = %d B, %s = %d B%n",
          keys.user("bob"), memoryUsage(server, keys.user("bob")), keys.ops("bob"),
          memoryUsage(server, keys.ops("bob")));
    } finally {
      for (AutoCloseable c : closing2) {
        c.close();
      }
    }
  }

  // ---- helpers

  private static String app() {
    return "m-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static int intArg(String[] args, int index, int otherwise) {
    return args.length > index ? Integer.parseInt(args[index]) : otherwise;
  }

  private static long memoryUsage(RedisServer server, String key) {
    Object answer = server.call("MEMORY", "USAGE", key, "SAMPLES", "0");
    return answer == null ? 0 : (Long) answer;
  }

  private static long usedMemory(RedisServer server) {
    return Long.parseLong(infoField(server, "memory", "used_memory"));
  }

  private static String infoField(RedisServer server, String section, String field) {
    return Arrays.stream(((String) server.call("INFO", section)).split("\r\n"))
        .filter(line -> line.startsWith(field + ":")).findFirst().orElseThrow().substring(field.length() + 1);
  }

  /** {@code INFO commandstats} as command name → calls. */
  static Map<String, Long> commandstats(RedisServer server) {
    Map<String, Long> calls = new TreeMap<>();
    for (String line : ((String) server.call("INFO", "commandstats")).split("\r\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        String count = line.substring(line.indexOf("calls=") + 6, line.indexOf(',', line.indexOf("calls=")));
        calls.put(name, Long.parseLong(count));
      }
    }
    return calls;
  }

  /**
   * What changed between two {@link #commandstats} readings, without {@code INFO}: only the
   * measurement sends it.
   */
  static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> delta = new TreeMap<>();
    after.forEach((name, calls) -> {
      long d = calls - before.getOrDefault(name, 0L);
      if (d != 0 && !name.equals("info")) {
        delta.put(name, d);
      }
    });
    return delta;
  }

  private static void awaitState(Presence presence, String user, PresenceState state) throws InterruptedException {
    await(Duration.ofSeconds(10), () -> presence.get(user).state() == state);
  }

  private static void await(Duration limit, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit);
      }
      Thread.sleep(2);
    }
  }
}
