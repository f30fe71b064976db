package dev.presence.spi;

import java.util.function.Consumer;

/**
 * One node's lease in a shared {@link PresenceStore}, from {@link PresenceStore#join}. While the node
 * renews it, its devices stay; when a lease runs out (the node crashed, hung or was cut off) and its
 * grace has passed, one surviving node claims it and removes that node's devices, so their users go
 * offline on every node with one change each. Deadlines come from the store's clock, never from a
 * node's, so clock skew between nodes cannot expire a lease early.
 *
 * <p>Fencing: once a node's lease has run out, the store refuses that node's device writes with
 * {@link NodeFencedException} until it renews (a lease that ran out unclaimed is revived) or, if it
 * was claimed, joins again, so a node that paused past its lease cannot write under it. Thread-safe.
 * Calls may reach the network: the engine makes them on its store executor, outside its locks (for
 * the in-memory store that executor runs them inline on the timer thread: they do no I/O).
 */
public interface NodeMembership {

  /** What a renewal found. */
  enum Renewal {
    /** The lease runs on from now. */
    RENEWED,
    /**
     * The lease is gone: another node claimed it (its devices were removed), or the store lost its
     * data. The node must join again and re-assert what it holds.
     */
    LOST
  }

  /**
   * The node's id.
   *
   * @return the node's id
   */
  String nodeId();

  /**
   * Extends the lease by its duration from the store's now. A lease that ran out but was not claimed
   * yet is revived: nothing was removed, so nothing changes.
   *
   * @return whether the lease is still this node's
   * @throws PresenceStoreException if the store cannot be reached
   */
  Renewal renew();

  /**
   * Claims every other node's lease that ran out more than that node's grace ago, and removes each
   * claimed node's devices, user by user. Each removal is atomic and idempotent, so of several nodes
   * sweeping at once exactly one changes each record: {@code onChange} receives the updates this
   * node made that changed what others see (last seen is the dead node's last renewal, or the time
   * it left). A node that claimed a lease and died before finishing is swept again by another node
   * once its own lease runs out.
   *
   * @param policy the aggregation policy
   * @param onChange receives each update this sweep made whose presence changed, on the calling thread
   * @return the number of nodes this call swept
   * @throws PresenceStoreException if the store cannot be reached; a later sweep finishes the work
   */
  int sweep(AggregationPolicy policy, Consumer<StoreUpdate> onChange);

  /**
   * Leaves gracefully: the lease ends now, the devices stay for the node's grace (a device that
   * reconnects through another node meanwhile moves there with no change at all), then the other
   * nodes sweep the rest with last seen = now. Idempotent.
   *
   * @throws PresenceStoreException if the store cannot be reached (the lease then simply runs out)
   */
  void leave();
}
