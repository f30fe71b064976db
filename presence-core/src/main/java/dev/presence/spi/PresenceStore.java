package dev.presence.spi;

import java.util.List;

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
   * @throws IllegalArgumentException if the mutation is rejected (a device past its limit); nothing
   *     changes then
   * @throws NullPointerException if an argument is null
   * @throws PresenceStoreException if the store cannot be reached
   */
  StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy);

  /**
   * The user's record, or {@link UserRecord#empty} for a user never recorded.
   *
   * @throws NullPointerException if {@code userId} is null
   * @throws PresenceStoreException if the store cannot be reached
   */
  UserRecord get(String userId);

  /**
   * The records of many users, in the order asked, with {@link UserRecord#empty} for users never
   * recorded. A remote store should read them in one round trip (per shard).
   *
   * @throws NullPointerException if the list or an id is null
   * @throws PresenceStoreException if the store cannot be reached
   */
  List<UserRecord> getAll(List<String> userIds);

  /** Releases the store's resources. The in-memory store has none. */
  @Override
  default void close() {}
}
