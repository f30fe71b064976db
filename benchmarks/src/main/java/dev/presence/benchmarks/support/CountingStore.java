package dev.presence.benchmarks.support;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/** The default in-memory store, counting writes ({@link #apply} calls) so a benchmark can report them. */
public final class CountingStore implements PresenceStore {
  private final InMemoryPresenceStore delegate = new InMemoryPresenceStore();
  private final LongAdder writes = new LongAdder();

  @Override
  public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
    writes.increment();
    return delegate.apply(userId, mutation, policy);
  }

  @Override
  public UserRecord get(String userId) {
    return delegate.get(userId);
  }

  @Override
  public List<UserRecord> getAll(List<String> userIds) {
    return delegate.getAll(userIds);
  }

  /** Writes so far. */
  public long writes() {
    return writes.sum();
  }
}
