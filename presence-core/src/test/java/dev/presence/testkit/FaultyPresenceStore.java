package dev.presence.testkit;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.NodeMembership;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.PresenceStoreException;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A store that fails on demand, for fault scenarios any store implementation can be put through:
 * every call fails while {@linkplain #down(boolean) down}; writes block while {@linkplain #block()
 * blocked} (as a store that hangs); lease calls fail while {@linkplain #leasesDown(boolean) lease
 * calls are down}. Counts the calls it refused. Thread-safe.
 */
public final class FaultyPresenceStore extends ForwardingPresenceStore {
  private volatile boolean down;
  private volatile boolean leasesDown;
  private volatile CountDownLatch gate;
  private final AtomicInteger refused = new AtomicInteger();
  private final AtomicInteger writes = new AtomicInteger();

  /** Wraps {@code delegate}, healthy at first. */
  public FaultyPresenceStore(PresenceStore delegate) {
    super(delegate);
  }

  /** While down, every call throws {@link PresenceStoreException} and changes nothing. */
  public FaultyPresenceStore down(boolean down) {
    this.down = down;
    return this;
  }

  /** While lease calls are down, join, renew, sweep and leave throw. */
  public FaultyPresenceStore leasesDown(boolean leasesDown) {
    this.leasesDown = leasesDown;
    return this;
  }

  /**
   * From now on, writes block until the returned latch is counted down (or 60 s pass), as a store
   * that hangs; then they go through.
   */
  public CountDownLatch block() {
    CountDownLatch latch = new CountDownLatch(1);
    gate = latch;
    return latch;
  }

  /** Lets writes through again, releasing any blocked one. */
  public void unblock() {
    CountDownLatch latch = gate;
    gate = null;
    if (latch != null) {
      latch.countDown();
    }
  }

  /** Calls refused while down. */
  public int refused() {
    return refused.get();
  }

  /** Writes that reached the delegate. */
  public int writes() {
    return writes.get();
  }

  private void check() {
    if (down) {
      refused.incrementAndGet();
      throw new PresenceStoreException("the store is down (fault injected)", null);
    }
  }

  private void checkLeases() {
    check();
    if (leasesDown) {
      refused.incrementAndGet();
      throw new PresenceStoreException("lease calls are down (fault injected)", null);
    }
  }

  private void awaitGate() {
    CountDownLatch latch = gate;
    if (latch != null) {
      try {
        latch.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PresenceStoreException("interrupted while the store hung", e);
      }
    }
  }

  @Override
  public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
    check();
    awaitGate();
    check();
    writes.incrementAndGet();
    return super.apply(userId, mutation, policy);
  }

  @Override
  public java.util.concurrent.CompletionStage<StoreUpdate> applyAsync(
      String userId, StoreMutation mutation, AggregationPolicy policy) {
    try {
      return java.util.concurrent.CompletableFuture.completedFuture(apply(userId, mutation, policy));
    } catch (RuntimeException e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e); // through this class's apply
    }
  }

  @Override
  public UserRecord get(String userId) {
    check();
    return super.get(userId);
  }

  @Override
  public List<UserRecord> getAll(List<String> userIds) {
    check();
    return super.getAll(userIds);
  }

  @Override
  public NodeMembership join(
      String nodeId, Duration lease, Duration grace, AggregationPolicy policy, Consumer<StoreUpdate> onChange) {
    checkLeases();
    NodeMembership membership = super.join(nodeId, lease, grace, policy, onChange);
    return new NodeMembership() {
      @Override
      public String nodeId() {
        return membership.nodeId();
      }

      @Override
      public Renewal renew() {
        checkLeases();
        return membership.renew();
      }

      @Override
      public int sweep(AggregationPolicy sweepPolicy, Consumer<StoreUpdate> changes) {
        checkLeases();
        return membership.sweep(sweepPolicy, changes);
      }

      @Override
      public void leave() {
        checkLeases();
        membership.leave();
      }
    };
  }
}
