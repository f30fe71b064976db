package dev.presence;

/**
 * {@link VisibilityPolicy#everyone()}: one instance, so the engine recognises the default policy and
 * fans a change out without asking it once per recipient.
 */
enum EveryoneVisible implements VisibilityPolicy {
  INSTANCE;

  @Override
  public boolean canSee(String watcherUserId, String targetUserId) {
    return true;
  }
}
