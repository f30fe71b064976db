package dev.presence;

import java.util.Objects;

/**
 * One change of what others see of a user: the presence before and after.
 *
 * <p>Immutable and thread-safe. {@code current.version()} is always greater than {@code
 * previous.version()}; changes of one user are emitted in version order on the node that made them.
 *
 * @param previous the presence before the change
 * @param current the presence after the change
 */
public record PresenceChange(UserPresence previous, UserPresence current) {

  /**
   * Creates a change.
   *
   * @param previous the presence before the change
   * @param current the presence after the change
   * @throws NullPointerException if either argument is null
   * @throws IllegalArgumentException if the two belong to different users or the version does not
   *     grow
   */
  public PresenceChange {
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(current, "current");
    if (!previous.userId().equals(current.userId())) {
      throw new IllegalArgumentException(
          "previous and current belong to different users: "
              + previous.userId()
              + " and "
              + current.userId());
    }
    if (current.version() <= previous.version()) {
      throw new IllegalArgumentException(
          "version must grow but went from " + previous.version() + " to " + current.version());
    }
  }

  /**
   * The user this change is about.
   *
   * @return the user's id
   */
  public String userId() {
    return current.userId();
  }

  /**
   * The version of the user's aggregate after this change.
   *
   * @return the current version
   */
  public long version() {
    return current.version();
  }
}
