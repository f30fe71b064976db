package dev.presence.redis;

import dev.presence.PresenceChange;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.NodeFencedException;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import dev.presence.spi.NodeMembership;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link PresenceStore} in Redis (standalone or cluster), through one shared Lettuce connection.
 *
 * <p>Each user is one hash {@code <app>:u:{U}} (see {@code RedisKeys}). With {@link
 * AggregationPolicy#standard()} every {@link #apply} is one EVALSHA of a Lua script that does what
 * {@link UserRecord#apply} does, atomically, in one round trip. Any other policy costs two: the record
 * is read, {@link UserRecord#apply} runs here, and a script stores the result only if the record's
 * revision did not move meanwhile (else it is read again). A command that Lettuce sends again after a
 * reconnect is answered from the op hash {@code o:{U}} instead of being applied twice.
 *
 * <p>Thread-safe. Stages of {@link #applyAsync} complete on the store's own threads, never on a Lettuce
 * I/O thread. Create one with {@link #builder()}; {@link #close()} closes the connection (and the client,
 * if the store created it).
 */
public final class RedisPresenceStore implements PresenceStore {
  private static final LuaScript APPLY = LuaScript.load("record.lua", "apply.lua");
  private static final LuaScript CAS = LuaScript.load("record.lua", "cas.lua");
  private static final LuaScript GET_ALL = LuaScript.load("get_all.lua");
  private static final LuaScript LEASE_JOIN = LuaScript.load("lease_common.lua", "lease_join.lua");
  private static final LuaScript LEASE_RENEW = LuaScript.load("lease_common.lua", "lease_renew.lua");
  private static final LuaScript LEASE_LEAVE = LuaScript.load("lease_common.lua", "lease_leave.lua");
  private static final LuaScript LEASE_CLAIM = LuaScript.load("lease_common.lua", "lease_claim.lua");
  private static final LuaScript LEASE_FINISH = LuaScript.load("lease_common.lua", "lease_finish.lua");
  private static final LuaScript LEASE_ABANDON = LuaScript.load("lease_common.lua", "lease_abandon.lua");
  private static final int MAX_CAS_ATTEMPTS = 64;
  /** How many command timeouts a join waits for another node to finish sweeping the node's previous life. */
  private static final int JOIN_WAIT_TIMEOUTS = 5;

  private final RedisConnector connector;
  private final RedisClusterAsyncCommands<String, String> redis;
  private final RedisKeys keys;
  private final Duration timeout;
  private final ExecutorService completions;
  /** Tells this store's op ids apart from every other client's. */
  private final String clientId = UUID.randomUUID().toString().substring(0, 13);
  private final AtomicLong opCounter = new AtomicLong();
  /** Lives of nodes swept ({@link RedisStats#leaseSweeps()}). */
  private final LongAdder leaseSweeps = new LongAdder();
  /** The version of users never recorded since the store last lost its data. */
  private volatile long versionBase;
  /** Whether this store has seen the store's epoch: if it then finds none, the data was lost. */
  private volatile boolean sawEpoch;
  /**
   * Cluster only: the sentinel token this store last saw in the first slot of each master ({@code ep:{T}}).
   * A master restarted empty loses it while the lease master keeps the leases and the epoch.
   */
  private final ConcurrentHashMap<Integer, String> sentinels = new ConcurrentHashMap<>();
  /** Set when a master lost its data: the next join moves the epoch up. */
  private volatile boolean partialLossFound;
  /** Store time of the last lease operation's answer. */
  private volatile long lastLeaseClockMillis;
  /** The latest membership of each node that joined through this store: what fences its writes. */
  private final ConcurrentHashMap<String, Membership> memberships = new ConcurrentHashMap<>();
  /** Whether the user script publishes each visible change on the user's shard channel itself. */
  private final boolean publishesChanges;
  /** The node that last joined through this store: the origin of the changes it publishes for no node. */
  private volatile String homeNodeId = "";

  private RedisPresenceStore(RedisConnector connector, RedisKeys keys, Duration timeout, boolean publishesChanges) {
    this.connector = connector;
    this.publishesChanges = publishesChanges;
    this.redis = connector.async();
    this.keys = keys;
    this.timeout = timeout;
    AtomicInteger threads = new AtomicInteger();
    this.completions =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "presence-redis-store-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    String epoch = await(redis.get(keys.epoch()));
    this.versionBase = epoch == null ? 0 : Long.parseLong(epoch);
    this.sawEpoch = epoch != null;
  }

  /**
   * A builder of a store; see {@link Builder}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ apply

  /**
   * {@inheritDoc}
   *
   * <p>Waits at most the command timeout for Redis.
   *
   * @throws NodeFencedException if the mutation writes a device of a node whose lease ran out
   */
  @Override
  public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
    return await(applyAsync(userId, mutation, policy));
  }

  /**
   * {@inheritDoc}
   *
   * <p>The stage completes on one of the store's threads, exceptionally with {@link
   * IllegalArgumentException} (a device past its limit, an invalid id), {@link NodeFencedException} or
   * {@link PresenceStoreException} (Redis unreachable or too slow).
   */
  @Override
  public CompletionStage<StoreUpdate> applyAsync(String userId, StoreMutation mutation, AggregationPolicy policy) {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(mutation, "mutation");
    Objects.requireNonNull(policy, "policy");
    return applyAsOp(userId, mutation, policy, opCounter.incrementAndGet(), originOf(mutation), null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>True when built with {@link Builder#publishChanges(boolean)}: the script then publishes each
   * visible change, in the format {@link RedisPresenceBus} reads, on the user's shard channel, in the
   * same step (no second round trip, and no change is stored without being published).
   */
  @Override
  public boolean publishesChanges() {
    return publishesChanges;
  }

  /** The node named as origin of a published change: the writing node, else the node of this store. */
  private String originOf(StoreMutation mutation) {
    if (mutation instanceof StoreMutation.PutDevice put) {
      return put.device().nodeId();
    }
    if (mutation instanceof StoreMutation.RemoveDevice remove) {
      return remove.nodeId();
    }
    return homeNodeId;
  }

  /**
   * Applies a mutation as the op numbered {@code op} of this store: sending the same op twice is what
   * Lettuce does when it replays a command after a reconnect (tests do it on purpose).
   */
  CompletionStage<StoreUpdate> applyAsOp(
      String userId, StoreMutation mutation, AggregationPolicy policy, long opNumber, String origin) {
    return applyAsOp(userId, mutation, policy, opNumber, origin, null);
  }

  /**
   * As above; a sweep's removals also pass the sweeper's lease deadline, so a sweeper that paused past
   * its lease (and whose sweep another node took over) cannot remove devices after that.
   */
  private CompletionStage<StoreUpdate> applyAsOp(
      String userId, StoreMutation mutation, AggregationPolicy policy, long opNumber, String origin, Membership sweeper) {
    try {
      String writer = writerOf(mutation);
      String[] scriptKeys = scriptKeys(userId, writer);
      String op = Long.toString(opNumber);
      Membership membership = writer == null || mutation instanceof StoreMutation.RemoveNode ? null : memberships.get(writer);
      if (membership != null && !membership.mayWrite()) {
        throw new NodeFencedException(
            writer, "node " + IdEncoding.shown(writer) + " holds no lease (it was lost, claimed or left); join again");
      }
      String deadline =
          membership != null ? Long.toString(membership.deadline) : sweeper != null ? Long.toString(sweeper.deadline) : "";
      CompletionStage<?> indexed =
          membership != null && mutation instanceof StoreMutation.PutDevice
              ? membership.registerSlot(RedisKeys.slotOfUser(userId))
              : CompletableFuture.completedFuture(null);
      CompletionStage<StoreUpdate> update =
          indexed.thenCompose(
              registered ->
                  policy == AggregationPolicy.standard()
                      ? applyByScript(userId, mutation, writer, deadline, scriptKeys, op, origin)
                      : applyByCas(userId, mutation, policy, writer, deadline, scriptKeys, op, origin, 1));
      return update.handleAsync(RedisPresenceStore::rethrow, completions);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<StoreUpdate> applyByScript(
      String userId, StoreMutation mutation, String writer, String deadline, String[] scriptKeys, String op, String origin) {
    long base = versionBase;
    List<String> args = new ArrayList<>(16);
    args.add(kindOf(mutation));
    args.add(Long.toString(mutation.atMillis()));
    args.add(Long.toString(base));
    args.add(clientId);
    args.add(op);
    args.add(writer == null ? "" : writer);
    args.add(deadline);
    args.add(userId);
    args.add(publishesChanges ? keys.userChanges(userId) : "");
    args.add(origin);
    addMutationArgs(mutation, args);
    return APPLY.<List<Object>>run(redis, scriptKeys, args.toArray(String[]::new))
        .thenApply(reply -> updateOf(userId, reply, base, writer));
  }

  private CompletionStage<StoreUpdate> applyByCas(
      String userId,
      StoreMutation mutation,
      AggregationPolicy policy,
      String writer,
      String deadline,
      String[] scriptKeys,
      String op,
      String origin,
      int attempt) {
    long base = versionBase;
    return redis.hgetall(keys.user(userId))
        .thenCompose(
            hash -> {
              RecordCodec.Stored stored = RecordCodec.decode(userId, hash, base);
              UserRecord next = stored.record().apply(mutation, policy);
              if (next == stored.record() && deadline.isEmpty()) {
                return CompletableFuture.completedFuture(new StoreUpdate(next, next));
              }
              List<String> args = new ArrayList<>(40);
              args.add(Long.toString(stored.revision()));
              args.add(clientId);
              args.add(op);
              args.add(writer == null ? "" : writer);
              args.add(deadline);
              args.add(userId);
              if (publishesChanges && next.version() != stored.record().version()) {
                args.add(keys.userChanges(userId));
                args.add(BusMessages.presence(origin, new PresenceChange(stored.record().presence(), next.presence())));
              } else {
                args.add("");
                args.add("");
              }
              // An unchanged record of a fenced writer is still written, so that the script checks the fence.
              args.addAll(RecordCodec.encode(next, stored));
              return CAS.<List<Object>>run(redis, scriptKeys, args.toArray(String[]::new))
                  .thenCompose(
                      reply -> {
                        if ("CONFLICT".equals(reply.get(0))) {
                          if (attempt >= MAX_CAS_ATTEMPTS) {
                            throw new PresenceStoreException(
                                "user " + IdEncoding.shown(userId) + " changed under " + attempt + " attempts to write it", null);
                          }
                          return applyByCas(userId, mutation, policy, writer, deadline, scriptKeys, op, origin, attempt + 1);
                        }
                        return CompletableFuture.completedFuture(updateOf(userId, reply, base, writer));
                      });
            });
  }

  /** Decodes a script reply; throws what it reports. */
  private StoreUpdate updateOf(String userId, List<Object> reply, long base, String writer) {
    String outcome = (String) reply.get(0);
    switch (outcome) {
      case "SAME" -> {
        UserRecord record = RecordCodec.decode(userId, (List<?>) reply.get(1), base).record();
        return new StoreUpdate(record, record);
      }
      case "CHANGED" -> {
        UserRecord before = RecordCodec.decode(userId, (List<?>) reply.get(1), base).record();
        UserRecord after = RecordCodec.decode(userId, (List<?>) reply.get(2), base).record();
        return new StoreUpdate(before, after);
      }
      case "LIMIT" -> throw UserRecord.tooManyDevices(
          userId, ((Long) reply.get(1)).intValue(), ((Long) reply.get(2)).intValue());
      case "FENCED" -> throw new NodeFencedException(
          writer, "the lease of node " + IdEncoding.shown(writer) + " ran out; renew it or join again");
      default -> throw new PresenceStoreException("unexpected script reply " + reply, null);
    }
  }

  // ------------------------------------------------------------------ leases

  /**
   * {@inheritDoc}
   *
   * <p>The lease lives in the sorted set {@code {L}nodes} with a deadline from Redis {@code TIME}; the
   * user script keeps a per-slot index of the node's users ({@code ni:{T}:N}, in the user's slot) and
   * this store records which slots a life of the node wrote to, so a sweep reads only those indexes.
   * The first join on a store with no epoch creates it: version base 0 if this store never saw one,
   * else a base from Redis {@code TIME} (the store lost its data). Blocks for a few round trips, more
   * if a previous life must be swept, and waits (up to five command timeouts) while another node is still
   * sweeping a previous life of this node, whose removals would otherwise hit the new life's devices.
   */
  @Override
  public NodeMembership join(
      String nodeId, Duration lease, Duration grace, AggregationPolicy policy, Consumer<StoreUpdate> onChange) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(grace, "grace");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(onChange, "onChange");
    if (lease.isNegative() || lease.isZero() || grace.isNegative()) {
      throw new IllegalArgumentException("lease must be positive and grace not negative but were " + lease + ", " + grace);
    }
    IdEncoding.encode("node id", nodeId);
    String life = UUID.randomUUID().toString();
    long waitUntil = System.nanoTime() + timeout.multipliedBy(JOIN_WAIT_TIMEOUTS).toNanos();
    List<Object> reply;
    while (true) {
      reply =
          await(
              LEASE_JOIN.run(
                  redis,
                  new String[] {keys.leases(), keys.leaseDetails(), keys.sweeping(), keys.epoch()},
                  nodeId,
                  life,
                  Long.toString(lease.toMillis()),
                  Long.toString(grace.toMillis()),
                  sawEpoch ? "1" : "0",
                  partialLossFound ? "1" : "0"));
      if (!"BUSY".equals(reply.get(0))) {
        break;
      }
      if (System.nanoTime() > waitUntil) {
        throw new PresenceStoreException(
            "node " + IdEncoding.shown(nodeId) + " is still being swept by another node; join again later", null);
      }
      sleepBriefly();
    }
    versionBase = Long.parseLong((String) reply.get(0));
    sawEpoch = true;
    partialLossFound = false;
    sentinels.clear(); // what this life finds now is its reference: the store may have lost data before
    aMasterLostItsData();
    lastLeaseClockMillis = Long.parseLong((String) reply.get(2));
    Membership membership = new Membership(nodeId, life, Long.parseLong((String) reply.get(1)));
    homeNodeId = nodeId;
    String earlierLife = (String) reply.get(3);
    List<StoreUpdate> changes = new ArrayList<>();
    if (!earlierLife.isEmpty()) {
      sweepLife(nodeId, earlierLife, Long.parseLong((String) reply.get(4)), policy, changes, membership);
    }
    for (int i = 5; i + 1 < reply.size(); i += 2) {
      sweepLife(nodeId, (String) reply.get(i), Long.parseLong((String) reply.get(i + 1)), policy, changes, membership);
    }
    changes.forEach(onChange);
    memberships.put(nodeId, membership);
    return membership;
  }

  /**
   * Removes the devices of one life of a node from every user in the slots it wrote to (RemoveNode,
   * atomic and idempotent per user), then forgets the claim. Blocks.
   */
  private void sweepLife(
      String nodeId, String life, long aliveMillis, AggregationPolicy policy, List<StoreUpdate> changes, Membership sweeper) {
    leaseSweeps.increment();
    StoreMutation removal = new StoreMutation.RemoveNode(nodeId, aliveMillis);
    Set<String> slots = await(redis.smembers(keys.nodeSlots(nodeId, life)));
    List<CompletableFuture<Set<String>>> indexes = new ArrayList<>();
    for (String slot : slots) {
      indexes.add(redis.smembers(keys.nodeIndex(Integer.parseInt(slot), nodeId)).toCompletableFuture());
    }
    await(CompletableFuture.allOf(indexes.toArray(CompletableFuture[]::new)));
    List<CompletableFuture<StoreUpdate>> removals = new ArrayList<>();
    for (CompletableFuture<Set<String>> index : indexes) {
      for (String userId : index.join()) {
        removals.add(
            applyAsOp(userId, removal, policy, opCounter.incrementAndGet(), sweeper.nodeId, sweeper).toCompletableFuture());
      }
    }
    await(CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new)));
    for (CompletableFuture<StoreUpdate> removed : removals) {
      if (removed.join().presenceChanged()) {
        changes.add(removed.join());
      }
    }
    await(
        LEASE_FINISH.run(
            redis,
            new String[] {keys.leases(), keys.leaseDetails(), keys.sweeping(), keys.nodeSlots(nodeId, life)},
            nodeId,
            life,
            Long.toString(aliveMillis)));
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PresenceStoreException("interrupted while waiting to join", e);
    }
  }

  /**
   * Cluster only, one parallel SET NX GET per master: whether a master's sentinel vanished or changed
   * since this store last saw it (the master restarted empty, while the lease master kept the leases).
   */
  private boolean aMasterLostItsData() {
    if (partialLossFound) {
      return true;
    }
    List<Integer> slots = connector.firstSlotOfEachMaster();
    List<CompletableFuture<String>> answers = new ArrayList<>(slots.size());
    List<String> candidates = new ArrayList<>(slots.size());
    for (int slot : slots) {
      String candidate = UUID.randomUUID().toString();
      candidates.add(candidate);
      answers.add(redis.setGet(keys.epoch(slot), candidate, SetArgs.Builder.nx()).toCompletableFuture());
    }
    await(CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)));
    boolean lost = false;
    for (int i = 0; i < slots.size(); i++) {
      String found = answers.get(i).join();
      String now = found == null ? candidates.get(i) : found;
      String seen = sentinels.put(slots.get(i), now);
      if (seen != null && !seen.equals(now)) {
        lost = true;
      }
    }
    if (lost) {
      partialLossFound = true;
    }
    return lost;
  }

  /** Store time ({@code TIME}, in ms) of the answer to the last join, renewal or leave through this store. */
  long lastLeaseClockMillis() {
    return lastLeaseClockMillis;
  }

  /** One life of a node, joined through this store. */
  private final class Membership implements NodeMembership {
    private final String nodeId;
    private final String life;
    /** The store time at which the lease runs out, as last renewed; the user script fences writes after it. */
    volatile long deadline;
    private volatile boolean lost;
    private volatile boolean left;
    /** Slots registered in this life's slot set (or being registered), so the sweep finds their index. */
    private final ConcurrentHashMap<Integer, CompletableFuture<Long>> registeredSlots = new ConcurrentHashMap<>();

    Membership(String nodeId, String life, long deadline) {
      this.nodeId = nodeId;
      this.life = life;
      this.deadline = deadline;
    }

    boolean mayWrite() {
      return !lost && !left;
    }

    /** Completes once the slot is in this life's slot set: one SADD per slot per life. */
    CompletionStage<Long> registerSlot(int slot) {
      CompletableFuture<Long> registered =
          registeredSlots.computeIfAbsent(
              slot, s -> redis.sadd(keys.nodeSlots(nodeId, life), Integer.toString(s)).toCompletableFuture());
      registered.whenComplete(
          (added, failure) -> {
            if (failure != null) {
              registeredSlots.remove(slot, registered); // the next write to the slot tries again
            }
          });
      return registered;
    }

    @Override
    public String nodeId() {
      return nodeId;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One script call; blocks at most the command timeout.
     */
    @Override
    public Renewal renew() {
      List<Object> reply =
          await(LEASE_RENEW.run(redis, new String[] {keys.leases(), keys.leaseDetails(), keys.epoch()}, nodeId, life));
      if ("LOST".equals(reply.get(0))) {
        lastLeaseClockMillis = Long.parseLong((String) reply.get(1));
        lost = true;
        return Renewal.LOST;
      }
      if (aMasterLostItsData()) {
        // The users of that master lost this node's devices: give the lease up without a sweep (a sweep
        // would show the other users leaving), so the engine joins again and re-asserts everything.
        await(LEASE_ABANDON.run(redis, new String[] {keys.leases(), keys.leaseDetails()}, nodeId, life));
        lost = true;
        return Renewal.LOST;
      }
      deadline = Long.parseLong((String) reply.get(1));
      lastLeaseClockMillis = Long.parseLong((String) reply.get(2));
      versionBase = Long.parseLong((String) reply.get(3));
      return Renewal.RENEWED;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One claim script, then for each claimed node one read of its slot set, one read per index
     * and one apply per user, sent together. Blocks until done.
     */
    @Override
    public int sweep(AggregationPolicy policy, Consumer<StoreUpdate> onChange) {
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(onChange, "onChange");
      if (!mayWrite()) {
        return 0;
      }
      String runId = await(connector.runIdOf(keys.leases()));
      List<Object> claimed =
          await(
              LEASE_CLAIM.run(
                  redis,
                  new String[] {keys.leases(), keys.leaseDetails(), keys.sweeping(), keys.restartGuard()},
                  nodeId,
                  life,
                  runId));
      List<StoreUpdate> changes = new ArrayList<>();
      for (int i = 0; i + 2 < claimed.size(); i += 3) {
        sweepLife(
            (String) claimed.get(i + 2), (String) claimed.get(i), Long.parseLong((String) claimed.get(i + 1)), policy, changes, this);
      }
      changes.forEach(onChange);
      return claimed.size() / 3;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One script call; from then on this node's device writes through this store are refused.
     */
    @Override
    public void leave() {
      left = true;
      List<Object> reply =
          await(LEASE_LEAVE.run(redis, new String[] {keys.leases(), keys.leaseDetails()}, nodeId, life));
      lastLeaseClockMillis = Long.parseLong((String) reply.get(1));
    }

    @Override
    public String toString() {
      return "NodeMembership{" + nodeId + (lost ? ", lost" : left ? ", left" : "") + "}";
    }
  }

  // ------------------------------------------------------------------ reads

  /**
   * {@inheritDoc}
   *
   * <p>One HGETALL; waits at most the command timeout.
   */
  @Override
  public UserRecord get(String userId) {
    Objects.requireNonNull(userId, "userId");
    long base = versionBase;
    Map<String, String> hash = await(redis.hgetall(keys.user(userId)));
    return RecordCodec.decode(userId, hash, base).record();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Standalone: one script reads every record. Cluster: one HGETALL per user, all sent at once, so
   * each master gets one pipelined batch and the masters answer in parallel. Waits at most the command
   * timeout.
   */
  @Override
  public List<UserRecord> getAll(List<String> userIds) {
    Objects.requireNonNull(userIds, "userIds");
    String[] userKeys = new String[userIds.size()];
    for (int i = 0; i < userKeys.length; i++) {
      userKeys[i] = keys.user(Objects.requireNonNull(userIds.get(i), "user id"));
    }
    if (userKeys.length == 0) {
      return List.of();
    }
    long base = versionBase;
    List<UserRecord> records = new ArrayList<>(userKeys.length);
    if (!connector.isCluster()) {
      List<Object> hashes = await(GET_ALL.<List<Object>>run(redis, userKeys));
      for (int i = 0; i < userKeys.length; i++) {
        records.add(RecordCodec.decode(userIds.get(i), (List<?>) hashes.get(i), base).record());
      }
      return List.copyOf(records);
    }
    List<CompletableFuture<Map<String, String>>> reads = new ArrayList<>(userKeys.length);
    for (String key : userKeys) {
      reads.add(redis.hgetall(key).toCompletableFuture());
    }
    await(CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)));
    for (int i = 0; i < userKeys.length; i++) {
      records.add(RecordCodec.decode(userIds.get(i), reads.get(i).join(), base).record());
    }
    return List.copyOf(records);
  }

  /** Closes the connection, and the client if this store created it. */
  @Override
  public void close() {
    connector.close();
    completions.shutdown();
  }

  /**
   * A snapshot of this store's counters, for metrics ({@code RedisPresenceMetrics}).
   *
   * <p>Thread-safe; not atomic across counters. {@link RedisStats#resyncs()} is always 0 here.
   *
   * @return commands sent, connections made again, lives of dead nodes swept
   */
  public RedisStats stats() {
    return new RedisStats(connector.commands(), connector.reconnects(), 0, leaseSweeps.sum());
  }

  @Override
  public String toString() {
    return "RedisPresenceStore{" + keys.prefix() + (connector.isCluster() ? ", cluster" : ", standalone") + "}";
  }

  // ------------------------------------------------------------------ internals

  /** The keys a user script touches: the record, the op hash and, for a node's write, its index in the user's slot. */
  private String[] scriptKeys(String userId, String writer) {
    if (writer == null) {
      return new String[] {keys.user(userId), keys.ops(userId)};
    }
    return new String[] {keys.user(userId), keys.ops(userId), keys.nodeIndex(RedisKeys.slotOfUser(userId), writer)};
  }

  private static String writerOf(StoreMutation mutation) {
    if (mutation instanceof StoreMutation.PutDevice put) {
      return put.device().nodeId();
    }
    if (mutation instanceof StoreMutation.RemoveDevice remove) {
      return remove.nodeId();
    }
    if (mutation instanceof StoreMutation.RemoveNode removeNode) {
      return removeNode.nodeId();
    }
    return null;
  }

  private static String kindOf(StoreMutation mutation) {
    if (mutation instanceof StoreMutation.PutDevice) {
      return "P";
    }
    if (mutation instanceof StoreMutation.RemoveDevice) {
      return "R";
    }
    if (mutation instanceof StoreMutation.RemoveNode) {
      return "N";
    }
    if (mutation instanceof StoreMutation.SetStatus) {
      return "S";
    }
    return "C";
  }

  private static void addMutationArgs(StoreMutation mutation, List<String> args) {
    if (mutation instanceof StoreMutation.PutDevice put) {
      args.add(put.device().deviceId());
      args.add(RecordCodec.activity(put.device().activity()));
      args.add(put.device().platform().name());
      args.add(Long.toString(put.device().sinceMillis()));
      args.add(Integer.toString(put.maxDevices()));
      args.add(put.claim() ? "1" : "0");
      args.add(put.evictDeviceId() != null ? "1" : "0");
      args.add(put.evictDeviceId() != null ? put.evictDeviceId() : "");
    } else if (mutation instanceof StoreMutation.RemoveDevice remove) {
      args.add(remove.deviceId());
    } else if (mutation instanceof StoreMutation.SetStatus set) {
      args.add(set.mode().name());
      args.add(set.customText() != null ? "1" : "0");
      args.add(set.customText() != null ? set.customText() : "");
      args.add(Long.toString(set.expiresAtMillis()));
      args.add(set.reassert() ? "1" : "0");
    } else if (mutation instanceof StoreMutation.ClearExpiredStatus clear) {
      args.add(Long.toString(clear.expiresAtMillis()));
    }
  }

  /** Turns a failed stage's cause into what the SPI promises. */
  private static StoreUpdate rethrow(StoreUpdate update, Throwable failure) {
    if (failure == null) {
      return update;
    }
    throw translate(failure);
  }

  private static RuntimeException translate(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof IllegalArgumentException
        || cause instanceof PresenceStoreException
        || cause instanceof NullPointerException) {
      return (RuntimeException) cause;
    }
    return new PresenceStoreException("Redis failed: " + cause, cause);
  }

  /** Waits for a stage at most the command timeout (plus a little, so Lettuce's own timeout wins). */
  private <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PresenceStoreException("interrupted while waiting for Redis", e);
    } catch (ExecutionException e) {
      throw translate(e);
    } catch (TimeoutException e) {
      throw new PresenceStoreException("Redis did not answer within " + timeout, e);
    }
  }

  /**
   * Builds a {@link RedisPresenceStore}. Give exactly one of a URI, cluster seed URIs, or the
   * application's own client. With a URI the store creates (and on close shuts down) a client set up
   * for presence: commands fail at once while disconnected ({@code REJECT_COMMANDS}), the request queue
   * is bounded, reconnects are jittered, and the command timeout is set on the URI. With the
   * application's client, its options are kept as they are: set those three yourself. Not thread-safe.
   */
  public static final class Builder {
    private RedisURI uri;
    private List<RedisURI> clusterUris;
    private RedisClient client;
    private RedisClusterClient clusterClient;
    private String application = RedisKeys.DEFAULT_APPLICATION;
    private Duration commandTimeout = Duration.ofSeconds(2);
    private int requestQueueSize = 10_000;
    private boolean publishChanges;

    private Builder() {}

    /**
     * Whether the store publishes every visible change itself, from the script that applies it, on the
     * user's shard channel, for a {@link RedisPresenceBus} with the same application name (then {@link
     * #publishesChanges()} is true and the engine does not publish them again). Default false.
     *
     * @param publish whether to publish
     * @return this builder
     */
    public Builder publishChanges(boolean publish) {
      this.publishChanges = publish;
      return this;
    }

    /**
     * A standalone server, e.g. {@code redis://localhost:6379}.
     *
     * @param uri the server
     * @return this builder
     * @throws IllegalArgumentException if it is not a Redis URI
     */
    public Builder uri(String uri) {
      return uri(RedisURI.create(uri));
    }

    /**
     * A standalone server.
     *
     * @param uri the server
     * @return this builder
     */
    public Builder uri(RedisURI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /**
     * A cluster, by some of its nodes.
     *
     * @param seeds some nodes of the cluster
     * @return this builder
     */
    public Builder clusterUris(List<RedisURI> seeds) {
      if (seeds.isEmpty()) {
        throw new IllegalArgumentException("at least one cluster seed is needed");
      }
      this.clusterUris = List.copyOf(seeds);
      return this;
    }

    /**
     * The application's own standalone client; the store connects with it and never shuts it down.
     *
     * @param client the application's client
     * @return this builder
     */
    public Builder client(RedisClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The application's own cluster client; the store connects with it and never shuts it down.
     *
     * @param client the application's client
     * @return this builder
     */
    public Builder clusterClient(RedisClusterClient client) {
      this.clusterClient = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The application's name, which starts every key: 1 to 64 characters of {@code [A-Za-z0-9._-]};
     * default {@code presence}. Stores with different names share a server without meeting.
     *
     * @param application the name
     * @return this builder
     * @throws IllegalArgumentException if the name is not valid
     */
    public Builder application(String application) {
      RedisKeys.of(application);
      this.application = application;
      return this;
    }

    /**
     * How long a command may take before it fails with {@link PresenceStoreException}; default 2 s.
     *
     * @param timeout the timeout
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder commandTimeout(Duration timeout) {
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("command timeout must be positive but was " + timeout);
      }
      this.commandTimeout = timeout;
      return this;
    }

    /**
     * The most commands queued on the connection before new ones fail; default 10,000.
     *
     * @param size the most queued commands
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder requestQueueSize(int size) {
      if (size <= 0) {
        throw new IllegalArgumentException("request queue size must be positive but was " + size);
      }
      this.requestQueueSize = size;
      return this;
    }

    /**
     * Connects and returns the store.
     *
     * @return the connected store
     * @throws IllegalStateException if not exactly one server, cluster or client was given
     * @throws io.lettuce.core.RedisConnectionException if Redis cannot be reached
     * @throws PresenceStoreException if Redis does not answer the first read
     */
    public RedisPresenceStore build() {
      int given = (uri != null ? 1 : 0) + (clusterUris != null ? 1 : 0) + (client != null ? 1 : 0)
          + (clusterClient != null ? 1 : 0);
      if (given != 1) {
        throw new IllegalStateException("give exactly one of uri, clusterUris, client, clusterClient (" + given + " given)");
      }
      RedisConnector connector =
          uri != null ? RedisConnector.standalone(uri, commandTimeout, requestQueueSize)
              : clusterUris != null ? RedisConnector.cluster(clusterUris, commandTimeout, requestQueueSize)
              : client != null ? RedisConnector.of(client)
              : RedisConnector.of(clusterClient);
      try {
        return new RedisPresenceStore(connector, RedisKeys.of(application), commandTimeout, publishChanges);
      } catch (RuntimeException e) {
        connector.close();
        throw e;
      }
    }
  }
}
