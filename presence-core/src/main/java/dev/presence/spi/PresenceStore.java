package dev.presence.spi;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Where each user's devices (on every node), chosen status and aggregate live. The engine writes it
 * only when a device's or a user's state really changes, never on a heartbeat.
 *
 * <p>Implementations must be thread-safe. The engine serialises mutations of one user on one node,
 * but several nodes may mutate the same user concurrently, so {@link #apply} must be atomic per user.
 * Every implementation must pass {@code PresenceStoreContract} from the test kit.
 */
public interface PresenceStore extends AutoCloseable {

  /**
   * Atomically applies one mutation to one user's record, as {@link UserRecord#apply} defines, and
   * returns the record before and after. A remote store should do this in one round trip.
   *
   * @param userId the user's id
   * @param mutation the mutation
   * @param policy the aggregation policy that makes the aggregate of the devices
   * @return the record before and after
   * @throws IllegalArgumentException if the mutation is rejected (a device past its limit); nothing
   *     changes then
   * @throws NullPointerException if an argument is null
   * @throws PresenceStoreException if the store cannot be reached
   */
  StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy);

  /**
   * {@link #apply} without blocking the caller: the stage completes with the update, or
   * exceptionally with what {@code apply} would throw. This is the engine's only write path: it
   * sends one write per user at a time, in order, from its store executor (inline for the in-memory
   * store), so an implementation should not block: a remote store implements it natively (send, and
   * complete the stage from its I/O callback). The default runs {@code apply} on the calling thread
   * and returns a completed stage, which is right for a store with no I/O; a blocking store still
   * works, holding an executor thread per write in flight. A stage already complete is committed on
   * the calling thread; one that completes later is committed on the store executor, never on the
   * thread that completed it, so the store's I/O threads never take an engine lock or run listeners.
   *
   * @param userId the user's id
   * @param mutation the mutation
   * @param policy the aggregation policy that makes the aggregate of the devices
   * @return a stage that completes with the record before and after
   * @throws NullPointerException if an argument is null
   */
  default CompletionStage<StoreUpdate> applyAsync(String userId, StoreMutation mutation, AggregationPolicy policy) {
    try {
      return CompletableFuture.completedFuture(apply(userId, mutation, policy));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Whether the store itself publishes every change it applies to the nodes that watch its user (as a
   * Redis script does), so the engine must not publish it on the bus a second time. Default false.
   *
   * @return true if the store publishes its changes itself
   */
  default boolean publishesChanges() {
    return false;
  }

  /**
   * Joins the store as a node with a lease (see {@link NodeMembership}). If a previous life of the
   * same node id still holds a lease (the process restarted), its devices are removed first, as a
   * crash sweep would, and {@code onChange} receives each update that changed what others see, before
   * this returns: a restarted node serves nothing its previous life left behind.
   *
   * <p>The default, for a store that has no leases, returns a membership that always renews and never
   * sweeps: with such a store a crashed node's devices stay until they are removed by hand.
   *
   * @param nodeId the node, unique among the live nodes sharing this store
   * @param lease how long the lease lasts without a renewal
   * @param grace how long after the lease ran out (or the node left) its devices stay, so that clients
   *     reconnecting through other nodes move without a change
   * @param policy the aggregation policy, for the sweep of a previous life
   * @param onChange receives each update of that sweep whose presence changed
   * @return the node's membership
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code lease} is not positive or {@code grace} negative
   * @throws PresenceStoreException if the store cannot be reached
   */
  default NodeMembership join(
      String nodeId, Duration lease, Duration grace, AggregationPolicy policy, Consumer<StoreUpdate> onChange) {
    java.util.Objects.requireNonNull(nodeId, "nodeId");
    java.util.Objects.requireNonNull(policy, "policy");
    java.util.Objects.requireNonNull(onChange, "onChange");
    if (lease.isNegative() || lease.isZero() || grace.isNegative()) {
      throw new IllegalArgumentException("lease must be positive and grace not negative but were " + lease + ", " + grace);
    }
    return new NodeMembership() {
      @Override
      public String nodeId() {
        return nodeId;
      }

      @Override
      public Renewal renew() {
        return Renewal.RENEWED;
      }

      @Override
      public int sweep(AggregationPolicy sweepPolicy, Consumer<StoreUpdate> sweepChanges) {
        return 0;
      }

      @Override
      public void leave() {}
    };
  }

  /**
   * The user's record, or {@link UserRecord#empty} for a user never recorded.
   *
   * @param userId the user's id
   * @return the user's record
   * @throws NullPointerException if {@code userId} is null
   * @throws PresenceStoreException if the store cannot be reached
   */
  UserRecord get(String userId);

  /**
   * The records of many users, in the order asked, with {@link UserRecord#empty} for users never
   * recorded. A remote store should read them in one round trip (per shard).
   *
   * @param userIds the users' ids
   * @return their records, in the order asked
   * @throws NullPointerException if the list or an id is null
   * @throws PresenceStoreException if the store cannot be reached
   */
  List<UserRecord> getAll(List<String> userIds);

  /** Releases the store's resources. The in-memory store has none. */
  @Override
  default void close() {}
}
