package dev.presence;

/**
 * Decides whether a watcher may see a target at all. A target the watcher may not see appears as
 * {@link UserPresence#unknown unknown} (offline, no last seen) in snapshots and queries, and produces
 * no presence or typing event for that watcher.
 *
 * <p>Called on every delivery decision, from any thread, possibly while the engine holds a user or
 * channel lock: it must be fast, thread-safe, must not block and must not call back into the engine. If it throws, the target is treated as not visible (fail closed),
 * and the failure is logged.
 */
@FunctionalInterface
public interface VisibilityPolicy {

  /**
   * Whether {@code watcherUserId} may see {@code targetUserId}. Never called with a user and itself.
   *
   * @param watcherUserId the user who watches
   * @param targetUserId the user watched
   * @return true if the watcher may see the target
   */
  boolean canSee(String watcherUserId, String targetUserId);

  /**
   * Everyone may see everyone.
   *
   * @return the policy that lets everyone see everyone
   */
  static VisibilityPolicy everyone() {
    return EveryoneVisible.INSTANCE;
  }
}
