package dev.presence.spi;

import java.util.Objects;

/**
 * The outcome of {@link PresenceStore#apply}: the user's record before and after.
 *
 * <p>Immutable and thread-safe.
 *
 * @param previous the record before the mutation
 * @param current the record after it; the same instance when nothing changed
 */
public record StoreUpdate(UserRecord previous, UserRecord current) {

  /**
   * Creates an update.
   *
   * @param previous the record before the mutation
   * @param current the record after it; the same instance when nothing changed
   * @throws NullPointerException if either record is null
   */
  public StoreUpdate {
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(current, "current");
  }

  /**
   * Whether what others see changed, that is whether the version grew.
   *
   * @return true if the version grew
   */
  public boolean presenceChanged() {
    return current.version() != previous.version();
  }
}
