package dev.presence;

import java.util.concurrent.atomic.LongAdder;

/**
 * The application's {@link VisibilityPolicy} behind the {@link Guarded} policy, failing closed: if
 * it throws, the target is hidden and the failure counts in {@link PresenceStats#visibilityFailures()}.
 */
final class GuardedVisibility {
  private final VisibilityPolicy policy;
  private final LongAdder failures;

  GuardedVisibility(VisibilityPolicy policy, LongAdder failures) {
    this.policy = policy;
    this.failures = failures;
  }

  /**
   * Whether the policy is {@link VisibilityPolicy#everyone()}: then every watcher sees the same
   * presence of a user, and fanout need not ask per recipient.
   */
  boolean allowsEveryone() {
    return policy == EveryoneVisible.INSTANCE;
  }

  /** Whether {@code watcher} may see {@code target}, for a watcher known not to be the target. */
  boolean canSee(String watcher, String target) {
    try {
      return policy.canSee(watcher, target);
    } catch (Throwable e) {
      Guarded.failed(
          e, failures, "visibility policy failed for {} watching {}; hiding", Ids.shown(watcher), Ids.shown(target));
      return false;
    }
  }
}
