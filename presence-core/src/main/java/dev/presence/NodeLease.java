package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.NodeMembership;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreUpdate;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease in the shared store: joined when the engine starts (which sweeps a previous life
 * of the same node id first), renewed and used to sweep dead nodes on a timer, given up on close.
 * When a renewal finds the lease lost (claimed while this node was paused or cut off, or lost with
 * the store's data), the node joins again and the engine re-asserts what it holds.
 *
 * <p>The timer fires on the timer thread, but the store calls run on the store executor, so a slow
 * store delays no other timer. Only one renewal runs at a time: the next is scheduled when the last
 * one ends.
 */
final class NodeLease extends TimerNode {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);

  /** What the lease needs from the engine. */
  interface Host {
    /** A sweep (of a dead node, or of this node's previous life) changed what others see. */
    void swept(StoreUpdate update);

    /**
     * The lease was lost and is held again: put back the statuses and devices this node holds.
     *
     * @return whether all of it is back; if not, it is tried again at the next renewal
     */
    boolean reassert();

    /**
     * After a renewal, with no lock held: tells the listeners and sinks of connections the renewal
     * closed (a re-assert that found a device taken over elsewhere).
     */
    void afterRenewal();
  }

  private final PresenceStore store;
  private final String nodeId;
  private final Duration lease;
  private final Duration grace;
  private final long renewNanos;
  private final AggregationPolicy policy;
  private final TimerWheel wheel;
  private final Ticker ticker;
  private final Executor storeCalls;
  private final Host host;
  private final Consumer<StoreUpdate> onSwept;
  /** Counts failed renewals and sweeps ({@link PresenceStats#storeFailures()}). */
  private final java.util.concurrent.atomic.LongAdder failures;
  private final Runnable renewal = this::renewAndSweep;

  private volatile NodeMembership membership;
  private volatile boolean stopped;
  /** Only touched by the renewal, which never runs twice at once. */
  private boolean reassertPending;

  NodeLease(
      PresenceStore store,
      String nodeId,
      Duration lease,
      Duration grace,
      long renewNanos,
      AggregationPolicy policy,
      TimerWheel wheel,
      Ticker ticker,
      Executor storeCalls,
      Host host,
      java.util.concurrent.atomic.LongAdder failures) {
    super(0);
    this.store = store;
    this.nodeId = nodeId;
    this.lease = lease;
    this.grace = grace;
    this.renewNanos = renewNanos;
    this.policy = policy;
    this.wheel = wheel;
    this.ticker = ticker;
    this.storeCalls = storeCalls;
    this.host = host;
    this.onSwept = host::swept;
    this.failures = failures;
  }

  /**
   * Joins the store, sweeping what a previous life of this node left, and starts renewing. Called
   * once, before the engine serves.
   *
   * @throws dev.presence.spi.PresenceStoreException if the store cannot be reached
   */
  void start() {
    membership = store.join(nodeId, lease, grace, policy, onSwept);
    wheel.schedule(this, ticker.read() + renewNanos);
  }

  @Override
  void onTimer(long nowNanos) {
    if (stopped) {
      return;
    }
    try {
      storeCalls.execute(renewal);
    } catch (RejectedExecutionException e) {
      if (!stopped) {
        log.warn("the store executor rejected the lease renewal of node {}; retrying", Ids.shown(nodeId), e);
        wheel.schedule(this, nowNanos + renewNanos);
      }
    }
  }

  private void renewAndSweep() {
    try {
      synchronized (this) { // never interleaved with leave(): a close mid-renewal must not re-join
        renewAndSweepLocked();
      }
    } finally {
      host.afterRenewal(); // a slow listener told under this monitor would hold up the engine's close
    }
  }

  private void renewAndSweepLocked() {
    try {
      if (stopped) {
        return;
      }
      if (membership.renew() == NodeMembership.Renewal.LOST) {
        log.warn("node {} lost its lease (paused past it, cut off, or the store lost its data); joining again",
            Ids.shown(nodeId));
        membership = store.join(nodeId, lease, grace, policy, onSwept);
        reassertPending = true;
      }
      if (reassertPending) {
        reassertPending = !host.reassert();
      }
      membership.sweep(policy, onSwept);
    } catch (RuntimeException e) {
      failures.increment();
      log.warn("renewing the lease of node {} failed; retrying in {}", Ids.shown(nodeId), Duration.ofNanos(renewNanos), e);
    } finally {
      if (!stopped) {
        wheel.schedule(this, ticker.read() + renewNanos);
      }
    }
  }

  /**
   * A device write of this node was refused (fenced): renew now rather than at the next interval, so
   * a node back from a pause re-joins and re-asserts as soon as it can.
   */
  void renewSoon() {
    if (!stopped) {
      wheel.schedule(this, ticker.read());
    }
  }

  /**
   * Stops renewing and leaves: the devices stay for the grace period, so clients that reconnect
   * through other nodes move there with no change, then other nodes sweep the rest.
   */
  void leave() {
    stopped = true; // set before the lock: a renewal about to start sees it and does nothing
    wheel.cancel(this);
    synchronized (this) {
      leaveLocked();
    }
  }

  private void leaveLocked() {
    NodeMembership current = membership;
    if (current != null) {
      try {
        current.leave();
      } catch (RuntimeException e) {
        log.warn("node {} could not leave the store; its lease runs out instead", Ids.shown(nodeId), e);
      }
    }
  }
}
