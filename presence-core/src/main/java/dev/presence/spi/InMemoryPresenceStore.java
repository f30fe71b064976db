package dev.presence.spi;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The default store: a concurrent map of user id to record, in this JVM. Several engines in one JVM
 * may share one instance to act as several nodes, with node leases, fencing and crash sweeps exactly
 * as a shared remote store has them (see {@link NodeMembership}); lease deadlines come from the clock
 * given here, not from the engines'.
 *
 * <p>Thread-safe; {@link #apply} is atomic per user and never blocks other users. It keeps one record
 * per user ever seen, so that last seen and versions survive the user going offline. {@link #clear()}
 * simulates the loss of all data (a flushed or restarted server) for tests.
 *
 * <p>Records live in open-addressing arrays ({@link RecordTable}), not map nodes, and there is no
 * index of users by node: a sweep (a node's crash or restart, rare) scans every record instead. A
 * user costs the store its record and one array slot.
 */
public final class InMemoryPresenceStore implements PresenceStore {
  private final InstantSource clock;
  private final RecordTable records = new RecordTable();
  /** Node id → its lease; replaced and changed only under {@link #leaseLock}, read anywhere. */
  private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
  /** Serialises joins, renewals and sweeps, so a sweep and a re-join of one node never interleave. */
  private final Object leaseLock = new Object();
  /** Versions start above this after a loss of data, so they only grow. */
  private volatile long versionBase;

  /** Creates an empty store whose lease deadlines follow the system clock. */
  public InMemoryPresenceStore() {
    this(InstantSource.system());
  }

  /**
   * Creates an empty store whose lease deadlines follow {@code clock} (tests pass a manual one).
   *
   * @param clock the clock for lease deadlines
   * @throws NullPointerException if {@code clock} is null
   */
  public InMemoryPresenceStore(InstantSource clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(mutation, "mutation");
    Objects.requireNonNull(policy, "policy");
    return applyToRecord(userId, mutation, policy, true);
  }

  private StoreUpdate applyToRecord(String userId, StoreMutation mutation, AggregationPolicy policy, boolean fenced) {
    String writer = fenced && !(mutation instanceof StoreMutation.RemoveNode) ? writerOf(mutation) : null;
    UserRecord[] before = new UserRecord[1];
    UserRecord after =
        records.update(
            userId,
            old -> {
              // Checked inside the user's atomic section: a sweep of this user is either fully
              // before this write (then the lease is already marked gone) or fully after it.
              if (writer != null) {
                checkLease(writer);
              }
              UserRecord previous = old == null ? UserRecord.empty(userId, versionBase) : old;
              before[0] = previous;
              UserRecord next = previous.apply(mutation, policy);
              return next == previous && old == null ? null : next;
            });
    return new StoreUpdate(before[0], after == null ? before[0] : after);
  }

  /** The node whose devices a mutation writes, or null for a user-level mutation. */
  private static String writerOf(StoreMutation mutation) {
    if (mutation instanceof StoreMutation.PutDevice put) {
      return put.device().nodeId();
    }
    if (mutation instanceof StoreMutation.RemoveDevice remove) {
      return remove.nodeId();
    }
    return null;
  }

  private void checkLease(String nodeId) {
    Lease lease = leases.get(nodeId);
    if (lease == null) {
      return; // a node that never joined (a store used without leases) is not fenced
    }
    State state = lease.state;
    if (state != State.ALIVE) {
      throw new NodeFencedException(nodeId, "node '" + nodeId + "' holds no lease (" + state + "); join again");
    }
    if (clock.millis() >= lease.deadline) {
      throw new NodeFencedException(nodeId, "the lease of node '" + nodeId + "' ran out; renew it first");
    }
  }

  @Override
  public UserRecord get(String userId) {
    UserRecord record = records.get(Objects.requireNonNull(userId, "userId"));
    return record == null ? UserRecord.empty(userId, versionBase) : record;
  }

  @Override
  public List<UserRecord> getAll(List<String> userIds) {
    List<UserRecord> result = new ArrayList<>(userIds.size());
    for (String userId : userIds) {
      result.add(get(userId));
    }
    return result;
  }

  // ------------------------------------------------------------------ leases

  @Override
  public NodeMembership join(
      String nodeId, Duration lease, Duration grace, AggregationPolicy policy, Consumer<StoreUpdate> onChange) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(onChange, "onChange");
    if (lease.isNegative() || lease.isZero() || grace.isNegative()) {
      throw new IllegalArgumentException("lease must be positive and grace not negative but were " + lease + ", " + grace);
    }
    List<StoreUpdate> changes = new ArrayList<>();
    Lease joined;
    synchronized (leaseLock) {
      long now = clock.millis();
      Lease previous = leases.get(nodeId);
      if (previous != null && (previous.state == State.ALIVE || previous.state == State.LEFT)) {
        sweepLocked(previous, policy, changes); // a previous life of this node: clear it before serving
      }
      joined = new Lease(nodeId, lease.toMillis(), grace.toMillis(), now);
      leases.put(nodeId, joined);
    }
    changes.forEach(onChange);
    return new Membership(joined);
  }

  /**
   * Under the lease lock: removes a node's devices from every user it has, and buries its lease.
   * Once the lease is marked gone no write of the node can add a device, so one scan of the records
   * finds every user it has.
   */
  private void sweepLocked(Lease lease, AggregationPolicy policy, List<StoreUpdate> changes) {
    lease.state = State.GONE; // from here on its writes are refused
    List<String> users = new ArrayList<>();
    for (UserRecord record : records.values()) {
      for (DeviceRecord device : record.devices()) {
        if (device.nodeId().equals(lease.nodeId)) {
          users.add(record.userId());
          break;
        }
      }
    }
    StoreMutation removal = new StoreMutation.RemoveNode(lease.nodeId, lease.lastAlive);
    for (String userId : users) {
      StoreUpdate update = applyToRecord(userId, removal, policy, false);
      if (update.presenceChanged()) {
        changes.add(update);
      }
    }
  }

  /**
   * Simulates the loss of every record and lease (a flushed or restarted server): joined nodes find
   * their lease lost at the next renewal, join again and re-assert what they hold; their device writes
   * are refused until then. Versions given out afterwards are above every earlier one.
   */
  public void clear() {
    synchronized (leaseLock) {
      long highest = versionBase;
      for (UserRecord record : records.values()) {
        highest = Math.max(highest, record.version());
      }
      // Leases first: a device write racing this then finds its node fenced, not an empty store.
      for (Lease lease : leases.values()) {
        lease.state = State.LOST;
      }
      versionBase = ((highest >>> 32) + 1) << 32;
      records.clear();
    }
  }

  /**
   * The number of users recorded.
   *
   * @return how many users the store holds
   */
  public int size() {
    return records.size();
  }

  @Override
  public String toString() {
    return "InMemoryPresenceStore{users=" + records.size() + ", nodes=" + leases.size() + "}";
  }

  private enum State {
    /** Renewed by its node; runs out at its deadline. */
    ALIVE,
    /** Its node left gracefully: swept once its grace has passed. */
    LEFT,
    /** Claimed and swept: its node must join again. */
    GONE,
    /** Lost with the store's data: its node must join again and re-assert. */
    LOST
  }

  /** One node's lease. Changed under the lease lock; {@code state} and {@code deadline} read anywhere. */
  private static final class Lease {
    final String nodeId;
    final long leaseMillis;
    final long graceMillis;
    volatile State state = State.ALIVE;
    /** Store time at which the lease runs out. */
    volatile long deadline;
    /** Store time of the last renewal (or of leaving): the swept users' last seen. */
    long lastAlive;

    Lease(String nodeId, long leaseMillis, long graceMillis, long now) {
      this.nodeId = nodeId;
      this.leaseMillis = leaseMillis;
      this.graceMillis = graceMillis;
      this.lastAlive = now;
      this.deadline = now + leaseMillis;
    }
  }

  private final class Membership implements NodeMembership {
    private final Lease lease;

    Membership(Lease lease) {
      this.lease = lease;
    }

    @Override
    public String nodeId() {
      return lease.nodeId;
    }

    @Override
    public Renewal renew() {
      synchronized (leaseLock) {
        if (leases.get(lease.nodeId) != lease || lease.state != State.ALIVE) {
          return Renewal.LOST;
        }
        long now = clock.millis();
        lease.lastAlive = now;
        lease.deadline = now + lease.leaseMillis; // revives a lease that ran out unclaimed
        return Renewal.RENEWED;
      }
    }

    @Override
    public int sweep(AggregationPolicy policy, Consumer<StoreUpdate> onChange) {
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(onChange, "onChange");
      List<StoreUpdate> changes = new ArrayList<>();
      int swept = 0;
      synchronized (leaseLock) {
        long now = clock.millis();
        if (leases.get(lease.nodeId) != lease || lease.state != State.ALIVE || now >= lease.deadline) {
          return 0; // a node without a valid lease of its own claims nothing
        }
        for (Lease other : leases.values()) {
          boolean claimable = other.state == State.ALIVE || other.state == State.LEFT;
          if (other != lease && claimable && now >= other.deadline + other.graceMillis) {
            sweepLocked(other, policy, changes);
            swept++;
          }
        }
      }
      changes.forEach(onChange);
      return swept;
    }

    @Override
    public void leave() {
      synchronized (leaseLock) {
        if (leases.get(lease.nodeId) == lease && lease.state == State.ALIVE) {
          long now = clock.millis();
          lease.state = State.LEFT;
          lease.lastAlive = now;
          lease.deadline = now;
        }
      }
    }

    @Override
    public String toString() {
      return "NodeMembership{" + lease.nodeId + ", " + lease.state + "}";
    }
  }
}
