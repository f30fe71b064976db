package dev.presence;

import java.util.Collection;
import java.util.List;

/**
 * Queries as one user sees them, from {@link Presence#viewAs}: the visibility policy applies, an
 * invisible user is offline, and the viewer sees its own real status.
 *
 * <p>Thread-safe.
 */
public interface PresenceView {

  /**
   * The viewer.
   *
   * @return the viewer's user id
   */
  String viewerUserId();

  /**
   * One user's presence as the viewer may see it.
   *
   * @param userId the user's id
   * @return the presence the viewer may see; {@link UserPresence#unknown} if it may not see the
   *     user
   * @throws IllegalArgumentException if the id is invalid
   */
  UserPresence get(String userId);

  /**
   * Many users' presence in one call, one entry per id in the order asked, as an unmodifiable list.
   *
   * @param userIds the users' ids
   * @return their presence as the viewer may see it, in the order asked
   * @throws IllegalArgumentException if an id is invalid
   * @throws NullPointerException if {@code userIds} is null
   */
  List<UserPresence> getAll(Collection<String> userIds);
}
