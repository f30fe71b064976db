package dev.presence.testkit;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.NodeMembership;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A store that forwards every call to another, for test doubles that change one or two calls (as
 * Guava's {@code ForwardingObject}). Thread-safe if the delegate is.
 */
public class ForwardingPresenceStore implements PresenceStore {
  private final PresenceStore delegate;

  /**
   * Forwards to {@code delegate}.
   *
   * @throws NullPointerException if {@code delegate} is null
   */
  public ForwardingPresenceStore(PresenceStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The store calls go to. */
  public PresenceStore delegate() {
    return delegate;
  }

  @Override
  public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
    return delegate.apply(userId, mutation, policy);
  }

  @Override
  public CompletionStage<StoreUpdate> applyAsync(String userId, StoreMutation mutation, AggregationPolicy policy) {
    return delegate.applyAsync(userId, mutation, policy);
  }

  @Override
  public UserRecord get(String userId) {
    return delegate.get(userId);
  }

  @Override
  public List<UserRecord> getAll(List<String> userIds) {
    return delegate.getAll(userIds);
  }

  @Override
  public boolean publishesChanges() {
    return delegate.publishesChanges();
  }

  @Override
  public NodeMembership join(
      String nodeId, Duration lease, Duration grace, AggregationPolicy policy, Consumer<StoreUpdate> onChange) {
    return delegate.join(nodeId, lease, grace, policy, onChange);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + delegate + "}";
  }
}
