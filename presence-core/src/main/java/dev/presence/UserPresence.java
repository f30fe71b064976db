package dev.presence;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One user's presence as others see it, with the version of the user's aggregate.
 *
 * <p>Immutable and thread-safe. The version grows by one on every change of what others see
 * (state or custom text) and only then, so a receiver can drop anything not newer than what it has.
 *
 * <p>Last seen is kept as epoch milliseconds, not as an {@link Instant}: every user's presence is
 * held for as long as the user is known, and an {@code Instant} beside it would be 24 more bytes per
 * user (BENCHMARKS.md, "Issue 11 fifth round"). {@link #lastSeen()} makes the {@code Instant} when asked.
 *
 * @param userId the user
 * @param state what a status dot shows
 * @param customText the user's status text, or {@code null}; always {@code null} for an invisible user
 * @param lastSeenMillis when the current state began, in epoch milliseconds: for an {@link
 *     PresenceState#OFFLINE offline} user, when they were last connected; {@link #NEVER_SEEN} if the
 *     user was never seen
 * @param version the aggregate's version; {@code 0} for a user the store has never recorded
 */
public record UserPresence(
    String userId,
    PresenceState state,
    @Nullable String customText,
    long lastSeenMillis,
    long version) {

  /** {@link #lastSeenMillis()} of a user who was never seen. */
  public static final long NEVER_SEEN = Long.MIN_VALUE;

  /**
   * Creates a presence value.
   *
   * @param userId the user
   * @param state what a status dot shows
   * @param customText the user's status text, or {@code null}; always {@code null} for an invisible
   *     user
   * @param lastSeenMillis when the current state began, in epoch milliseconds: for an {@link
   *     PresenceState#OFFLINE offline} user, when they were last connected; {@link #NEVER_SEEN} if
   *     the user was never seen
   * @param version the aggregate's version; {@code 0} for a user the store has never recorded
   * @throws NullPointerException if {@code userId} or {@code state} is null
   * @throws IllegalArgumentException if {@code version} is negative
   */
  public UserPresence {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(state, "state");
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0 but was " + version);
    }
  }

  /**
   * Creates a presence value with last seen as an {@code Instant}, kept to the millisecond (finer
   * parts are dropped, as {@link Instant#toEpochMilli()} does).
   *
   * @param userId the user
   * @param state what a status dot shows
   * @param customText the user's status text, or {@code null}; always {@code null} for an invisible
   *     user
   * @param lastSeen when the current state began: for an {@link PresenceState#OFFLINE offline}
   *     user, when they were last connected; {@code null} if the user was never seen
   * @param version the aggregate's version; {@code 0} for a user the store has never recorded
   * @throws NullPointerException if {@code userId} or {@code state} is null
   * @throws IllegalArgumentException if {@code version} is negative, or {@code lastSeen} lies
   *     beyond what epoch milliseconds can count (about 292 million years from 1970)
   */
  public UserPresence(
      String userId, PresenceState state, @Nullable String customText, @Nullable Instant lastSeen, long version) {
    this(userId, state, customText, lastSeen == null ? NEVER_SEEN : epochMillis(lastSeen), version);
  }

  private static long epochMillis(Instant lastSeen) {
    try {
      long millis = lastSeen.toEpochMilli();
      if (millis == NEVER_SEEN) {
        throw new ArithmeticException();
      }
      return millis;
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("lastSeen out of range: " + lastSeen, e);
    }
  }

  /**
   * When the current state began: for an {@link PresenceState#OFFLINE offline} user, when they
   * were last connected. Makes a new {@code Instant} on each call; {@link #lastSeenMillis()} does not.
   *
   * @return last seen, or {@code null} if the user was never seen
   */
  public @Nullable Instant lastSeen() {
    return lastSeenMillis == NEVER_SEEN ? null : Instant.ofEpochMilli(lastSeenMillis);
  }

  /**
   * The presence of a user nobody has seen: offline, no text, no last seen, version 0.
   *
   * @param userId the user's id
   * @return an unknown user's presence
   * @throws NullPointerException if {@code userId} is null
   */
  public static UserPresence unknown(String userId) {
    return new UserPresence(userId, PresenceState.OFFLINE, null, null, 0);
  }

  /**
   * Whether the user shows as connected (online, idle or do-not-disturb).
   *
   * @return true unless the user is offline
   */
  public boolean isConnected() {
    return state != PresenceState.OFFLINE;
  }
}
