package dev.presence;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Objects;

/**
 * Turns a last-seen instant into a coarse label ("just now", "5 minutes ago", "3 hours ago",
 * "yesterday", a date), so a UI does not show a seconds counter that changes every second. Buckets
 * change by themselves as time passes; the engine emits no event for that.
 *
 * <p>Stateless and thread-safe.
 */
public final class LastSeen {
  private LastSeen() {}

  /** How long ago, coarsely. */
  public enum Bucket {
    /** Less than a minute ago (or in the future, as clocks skew). */
    JUST_NOW,
    /** One to 59 minutes ago. */
    MINUTES_AGO,
    /** An hour or more ago, on the same calendar day. */
    HOURS_AGO,
    /** On the previous calendar day, an hour or more ago. */
    YESTERDAY,
    /** Earlier: show the date. */
    DATE
  }

  /**
   * A bucketed last seen.
   *
   * @param bucket the bucket
   * @param amount minutes for {@link Bucket#MINUTES_AGO}, hours for {@link Bucket#HOURS_AGO}, else 0
   * @param date the calendar date of the last seen in the zone asked for
   */
  public record Label(Bucket bucket, long amount, LocalDate date) {
    /** English text: "just now", "5 minutes ago", "1 hour ago", "yesterday", "on 2026-11-02". */
    @Override
    public String toString() {
      return switch (bucket) {
        case JUST_NOW -> "just now";
        case MINUTES_AGO -> amount == 1 ? "1 minute ago" : amount + " minutes ago";
        case HOURS_AGO -> amount == 1 ? "1 hour ago" : amount + " hours ago";
        case YESTERDAY -> "yesterday";
        case DATE -> "on " + date;
      };
    }
  }

  /**
   * Buckets {@code lastSeen} relative to {@code now}, with calendar days taken in {@code zone}.
   *
   * @param lastSeen the user's last seen
   * @param now the current time
   * @param zone the zone whose calendar days count
   * @return the bucket, with its amount and the date of the last seen
   * @throws NullPointerException if an argument is null
   */
  public static Label describe(Instant lastSeen, Instant now, ZoneId zone) {
    Objects.requireNonNull(lastSeen, "lastSeen");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(zone, "zone");
    LocalDate seenDate = LocalDate.ofInstant(lastSeen, zone);
    Duration ago = Duration.between(lastSeen, now);
    if (ago.compareTo(Duration.ofMinutes(1)) < 0) {
      return new Label(Bucket.JUST_NOW, 0, seenDate);
    }
    if (ago.compareTo(Duration.ofHours(1)) < 0) {
      return new Label(Bucket.MINUTES_AGO, ago.toMinutes(), seenDate);
    }
    LocalDate today = LocalDate.ofInstant(now, zone);
    if (seenDate.equals(today)) {
      return new Label(Bucket.HOURS_AGO, ago.toHours(), seenDate);
    }
    if (seenDate.equals(today.minusDays(1))) {
      return new Label(Bucket.YESTERDAY, 0, seenDate);
    }
    return new Label(Bucket.DATE, 0, seenDate);
  }
}
