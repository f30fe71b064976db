package dev.presence.redis.testing;

import io.lettuce.core.RedisURI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Redis Cluster of masters without replicas, formed from Java, for tests.
 *
 * <p>Formation: each node starts with {@code cluster-enabled yes} and its own {@code nodes.conf} in
 * its folder; node {@code i} takes an equal share of the 16,384 slots with {@code CLUSTER
 * ADDSLOTSRANGE} and a distinct config epoch; the first node {@code CLUSTER MEET}s the others; then
 * {@link #awaitHealthy()} polls until every node reports {@code cluster_state:ok} and all agree on
 * the slot map. About 2 s: a master refuses to report {@code ok} until 2 s after it started
 * ({@code CLUSTER_WRITABLE_DELAY}), which also makes every master restart cost 2 s or more.
 *
 * <p>The node timeout is 2 s (Redis's default is 15 s), so a killed master is marked failed quickly
 * and, with no replica to promote and {@code cluster-require-full-coverage yes}, the whole cluster
 * reports {@code cluster_state:fail} (commands to the live masters get {@code CLUSTERDOWN}) about 4 s
 * after the kill, until it is back. A restarted master keeps its node id and slots ({@code nodes.conf}
 * survives restarts), and the others clear its failure within about two node timeouts.
 *
 * <p>Not thread-safe: one test drives a cluster at a time.
 */
public final class RedisCluster implements AutoCloseable {
  /** Redis's number of hash slots. */
  public static final int SLOTS = 16_384;
  /** How many masters {@link #start()} forms. */
  public static final int DEFAULT_MASTERS = 3;
  private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(30);
  private static final int NODE_TIMEOUT_MILLIS = 2_000;
  private static final int MIGRATE_BATCH = 100;

  private final List<RedisServer> masters;
  private final List<String> nodeIds;

  private RedisCluster(List<RedisServer> masters, List<String> nodeIds) {
    this.masters = List.copyOf(masters);
    this.nodeIds = List.copyOf(nodeIds);
  }

  // ---- starting

  /**
   * Forms a cluster of 3 masters with the binary of {@link RedisBinary#resolve()}.
   *
   * @return the healthy cluster
   */
  public static RedisCluster start() {
    return start(RedisBinary.resolve(), DEFAULT_MASTERS);
  }

  /**
   * Forms a cluster of masters, slots split evenly in node order (node 0 has the lowest).
   *
   * @param binary a {@code redis-server} executable
   * @param count how many masters, at least 1
   * @return the healthy cluster
   */
  public static RedisCluster start(Path binary, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("a cluster needs at least 1 master but was asked for " + count);
    }
    List<RedisServer> nodes = new ArrayList<>();
    try {
      List<String> args = List.of("--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MILLIS));
      for (int i = 0; i < count; i++) {
        nodes.add(RedisServer.start(binary, true, args));
      }
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        RedisServer node = nodes.get(i);
        ids.add((String) node.call("CLUSTER", "MYID"));
        // Distinct epochs up front, as redis-cli does, so no epoch collision has to be resolved.
        node.call("CLUSTER", "SET-CONFIG-EPOCH", i + 1);
        node.call("CLUSTER", "ADDSLOTSRANGE", firstSlot(i, count), firstSlot(i + 1, count) - 1);
      }
      for (int i = 1; i < count; i++) {
        nodes.get(0).call("CLUSTER", "MEET", "127.0.0.1", nodes.get(i).port(), clusterPort(nodes.get(i)));
      }
      RedisCluster cluster = new RedisCluster(nodes, ids);
      cluster.awaitHealthy();
      return cluster;
    } catch (RuntimeException | Error e) {
      nodes.forEach(RedisServer::close);
      throw e;
    }
  }

  // ---- API

  /**
   * The masters.
   *
   * @return every master, in the order of their slot ranges
   */
  public List<RedisServer> masters() {
    return masters;
  }

  /**
   * One master.
   *
   * @param i its index, 0-based, in the order of the slot ranges
   * @return the master
   */
  public RedisServer master(int i) {
    return masters.get(i);
  }

  /**
   * The cluster node id of one master, as {@code CLUSTER NODES} and {@code SETSLOT} name it.
   *
   * @param i the master's index
   * @return its node id, kept across restarts
   */
  public String nodeId(int i) {
    return nodeIds.get(i);
  }

  /**
   * The seeds for a {@code RedisClusterClient}.
   *
   * @return new Lettuce URIs of every master, with a 10 s command timeout
   */
  public List<RedisURI> uris() {
    return masters.stream().map(RedisServer::uri).toList();
  }

  /**
   * {@code CLUSTER KEYSLOT} as the server computes it.
   *
   * @param key a key, sent as UTF-8
   * @return its slot
   */
  public int keySlot(String key) {
    return ((Long) firstRunning().call("CLUSTER", "KEYSLOT", key)).intValue();
  }

  /**
   * The index of the master that serves a slot, as node 0 (or the first running node) sees it.
   *
   * @param slot a slot, 0 to 16,383
   * @return the master's index
   */
  public int ownerOf(int slot) {
    String owner = slotMap(firstRunning()).floorEntry((long) slot).getValue()[1];
    return nodeIds.indexOf(owner);
  }

  /**
   * Moves one slot and its keys to another master, as {@code redis-cli --cluster reshard} does:
   * {@code SETSLOT IMPORTING} on the target, {@code SETSLOT MIGRATING} on the source, {@code
   * GETKEYSINSLOT} plus {@code MIGRATE} in batches, then {@code SETSLOT NODE} on the target, the
   * source and the others. Returns once every node agrees on the new owner.
   *
   * @param slot the slot
   * @param target the index of the master that gets it
   * @return how many keys moved
   */
  public int migrateSlot(int slot, int target) {
    int source = ownerOf(slot);
    if (source == target) {
      throw new IllegalArgumentException("slot " + slot + " is already on master " + target);
    }
    RedisServer from = masters.get(source);
    RedisServer to = masters.get(target);
    to.call("CLUSTER", "SETSLOT", slot, "IMPORTING", nodeIds.get(source));
    from.call("CLUSTER", "SETSLOT", slot, "MIGRATING", nodeIds.get(target));
    int moved = 0;
    try (Resp resp = Resp.connect(from.port())) {
      while (true) {
        // Binary: keys move byte for byte, whatever their encoding.
        List<?> keys = (List<?>) resp.callBinary("CLUSTER", "GETKEYSINSLOT", slot, MIGRATE_BATCH);
        if (keys.isEmpty()) {
          break;
        }
        List<Object> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", to.port(), "", 0, 5_000, "KEYS"));
        migrate.addAll(keys);
        resp.call(migrate.toArray());
        moved += keys.size();
      }
    }
    // Target first, so that it owns the slot before the source starts redirecting there.
    to.call("CLUSTER", "SETSLOT", slot, "NODE", nodeIds.get(target));
    from.call("CLUSTER", "SETSLOT", slot, "NODE", nodeIds.get(target));
    for (int i = 0; i < masters.size(); i++) {
      if (i != source && i != target) {
        masters.get(i).call("CLUSTER", "SETSLOT", slot, "NODE", nodeIds.get(target));
      }
    }
    awaitHealthy();
    return moved;
  }

  /**
   * Kills a master with SIGKILL; the others mark it failed, and report the cluster down, about 4 s later.
   *
   * @param i the master's index
   */
  public void killMaster(int i) {
    masters.get(i).kill();
  }

  /**
   * Restarts master {@code i} (killing it first if it runs) with no data, keeping its node id and
   * slots, and waits until the cluster is healthy again.
   *
   * @param i the master's index
   */
  public void restartMasterEmpty(int i) {
    masters.get(i).restartEmpty();
    awaitHealthy();
  }

  /**
   * Restarts master {@code i} (killing it first if it runs) from its last {@code SAVE}, keeping its
   * node id and slots, and waits until the cluster is healthy again.
   *
   * @param i the master's index
   */
  public void restartMasterFromRdb(int i) {
    masters.get(i).restartFromRdb();
    awaitHealthy();
  }

  /** {@code FLUSHALL} on every master. */
  public void flushAll() {
    masters.forEach(RedisServer::flushAll);
  }

  /**
   * Polls until every node reports {@code cluster_state:ok}, knows every other node, has all 16,384
   * slots assigned, and all nodes agree on which node serves which slots.
   *
   * @throws IllegalStateException with what the nodes last said, if that takes more than 30 s
   */
  public void awaitHealthy() {
    long deadline = System.nanoTime() + HEALTHY_TIMEOUT.toNanos();
    String last = "";
    while (true) {
      try {
        last = unhealthyReason();
        if (last == null) {
          return;
        }
      } catch (RuntimeException e) {
        last = e.toString(); // a node restarting: poll again
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cluster not healthy after " + HEALTHY_TIMEOUT + ": " + last);
      }
      RedisServer.sleep(20);
    }
  }

  /** Kills every master and deletes their folders. */
  @Override
  public void close() {
    masters.forEach(RedisServer::close);
  }

  @Override
  public String toString() {
    return "Redis cluster of " + masters;
  }

  // ---- internals

  private String unhealthyReason() {
    String expected = null;
    for (int i = 0; i < masters.size(); i++) {
      RedisServer node = masters.get(i);
      String info = (String) node.call("CLUSTER", "INFO");
      if (!info.contains("cluster_state:ok")
          || !info.contains("cluster_slots_assigned:" + SLOTS + "\r")
          || !info.contains("cluster_slots_ok:" + SLOTS + "\r")
          || !info.contains("cluster_known_nodes:" + masters.size() + "\r")) {
        return "node " + i + " says " + info.replace("\r\n", " ");
      }
      String map = describe(slotMap(node));
      if (expected == null) {
        expected = map;
      } else if (!expected.equals(map)) {
        return "node " + i + " sees slots " + map + " but node 0 sees " + expected;
      }
    }
    return null;
  }

  /** {@code CLUSTER SLOTS} as first slot of each range to {last slot, node id}. */
  private static TreeMap<Long, String[]> slotMap(RedisServer node) {
    TreeMap<Long, String[]> map = new TreeMap<>();
    for (Object range : (List<?>) node.call("CLUSTER", "SLOTS")) {
      List<?> r = (List<?>) range;
      List<?> master = (List<?>) r.get(2);
      map.put((Long) r.get(0), new String[] {r.get(1).toString(), (String) master.get(2)});
    }
    return map;
  }

  private static String describe(TreeMap<Long, String[]> map) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<Long, String[]> e : map.entrySet()) {
      out.append(e.getKey()).append('-').append(e.getValue()[0]).append('=').append(e.getValue()[1]).append(' ');
    }
    return out.toString();
  }

  private RedisServer firstRunning() {
    return masters.stream()
        .filter(RedisServer::isRunning)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no master is running"));
  }

  private static int firstSlot(int node, int count) {
    return (int) ((long) SLOTS * node / count);
  }

  private static int clusterPort(RedisServer node) {
    return node.clusterPort();
  }
}
