package dev.presence;

import dev.presence.spi.PresenceStore;
import dev.presence.spi.UserRecord;
import java.util.Collection;
import java.util.List;

/**
 * Who may see whom: the user's own view for herself, the {@link VisibilityPolicy} (guarded, failing
 * closed) for everyone else, and pushing a change of the application's rules to the subscribers it
 * affects. Takes no lock of its own; the policy may be asked under a user or channel lock, as its
 * contract says.
 */
final class Visibility {
  private final GuardedVisibility policy;
  private final PresenceStore store;

  Visibility(GuardedVisibility policy, PresenceStore store) {
    this.policy = policy;
    this.store = store;
  }

  /** Whether every watcher may see every user (the default policy): then nobody needs to ask it. */
  boolean everyone() {
    return policy.allowsEveryone();
  }

  /** What {@code watcher} may see of a user, from the user's record. */
  UserPresence viewOf(String watcher, UserRecord record) {
    String target = record.userId();
    if (watcher.equals(target)) {
      UserPresence shown = record.presence();
      return new UserPresence(target, record.selfState(), record.customText(), shown.lastSeenMillis(), shown.version());
    }
    if (!canSeeOther(watcher, target)) {
      return UserPresence.unknown(target);
    }
    return record.presence();
  }

  boolean canSee(String watcher, String target) {
    if (watcher.equals(target)) {
      return true;
    }
    return canSeeOther(watcher, target);
  }

  /** {@link #canSee} for a watcher already known not to be the target; fails closed. */
  boolean canSeeOther(String watcher, String target) {
    return policy.canSee(watcher, target);
  }

  /**
   * The application's visibility rules about {@code target} changed (for one watcher, or for all if
   * {@code watcher} is null): each affected subscriber among {@code candidates} (distinct, with an edge to
   * the target) gets what it now sees, forced into its next batch. {@code targetChannels} are the
   * target's channels, where a newly hidden target's typing stops. The store is read once, outside
   * every lock.
   */
  void visibilityChanged(
      String watcher, String target, Collection<RealSubscriber> candidates, List<String> targetChannels) {
    candidates.removeIf(s -> s.isWatcher(target) || (watcher != null && !s.watcherUserId().equals(watcher)));
    if (candidates.isEmpty()) {
      return;
    }
    UserRecord record = store.get(target);
    for (RealSubscriber subscriber : candidates) { // distinct: a watcher through two channels is one
      boolean visible = canSeeOther(subscriber.watcherUserId(), target);
      UserPresence view = visible ? record.presence() : UserPresence.unknown(target);
      subscriber.visibilityChanged(view, visible ? List.of() : targetChannels);
    }
  }
}
