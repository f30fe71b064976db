package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.LastSeen.Bucket;
import dev.presence.LastSeen.Label;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** LastSeen.describe: coarse buckets instead of a seconds counter. */
class LastSeenTest {
  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final Instant NOW = Instant.parse("2026-03-10T15:30:00Z");

  private static Label ago(Duration ago) {
    return LastSeen.describe(NOW.minus(ago), NOW, UTC);
  }

  @Test
  void lessThanAMinuteAgoIsJustNow() {
    assertThat(ago(Duration.ZERO).bucket()).isEqualTo(Bucket.JUST_NOW);
    assertThat(ago(Duration.ofSeconds(59)).bucket()).isEqualTo(Bucket.JUST_NOW);
    assertThat(ago(Duration.ofMillis(59_999)).toString()).isEqualTo("just now");
  }

  @Test
  void aLastSeenInTheFutureIsJustNow() {
    Label label = LastSeen.describe(NOW.plusSeconds(30), NOW, UTC);
    assertThat(label.bucket()).isEqualTo(Bucket.JUST_NOW);
    assertThat(LastSeen.describe(NOW.plus(Duration.ofDays(3)), NOW, UTC).bucket())
        .isEqualTo(Bucket.JUST_NOW);
  }

  @Test
  void oneToFiftyNineMinutesAgoCountsMinutes() {
    assertThat(ago(Duration.ofMinutes(1))).isEqualTo(new Label(Bucket.MINUTES_AGO, 1, LocalDate.of(2026, 3, 10)));
    assertThat(ago(Duration.ofMinutes(1)).toString()).isEqualTo("1 minute ago");
    assertThat(ago(Duration.ofSeconds(5 * 60 + 59)).toString()).isEqualTo("5 minutes ago");
    assertThat(ago(Duration.ofSeconds(59 * 60 + 59)).amount()).isEqualTo(59);
  }

  @Test
  void minutesAgoAcrossMidnightAreStillMinutes() {
    Instant justAfterMidnight = Instant.parse("2026-03-10T00:10:00Z");
    Label label = LastSeen.describe(justAfterMidnight.minus(Duration.ofMinutes(30)), justAfterMidnight, UTC);
    assertThat(label.bucket()).isEqualTo(Bucket.MINUTES_AGO);
    assertThat(label.amount()).isEqualTo(30);
    assertThat(label.date()).isEqualTo(LocalDate.of(2026, 3, 9));
  }

  @Test
  void anHourOrMoreOnTheSameDayCountsHours() {
    assertThat(ago(Duration.ofHours(1)).toString()).isEqualTo("1 hour ago");
    assertThat(ago(Duration.ofMinutes(179))).isEqualTo(new Label(Bucket.HOURS_AGO, 2, LocalDate.of(2026, 3, 10)));
    assertThat(ago(Duration.ofMinutes(15 * 60 + 30)).toString()).isEqualTo("15 hours ago");
  }

  @Test
  void thePreviousCalendarDayIsYesterday() {
    assertThat(ago(Duration.ofMinutes(15 * 60 + 31)).bucket()).isEqualTo(Bucket.YESTERDAY);
    assertThat(ago(Duration.ofHours(39)).toString()).isEqualTo("yesterday");
    Instant earlyMorning = Instant.parse("2026-03-10T00:30:00Z");
    assertThat(LastSeen.describe(earlyMorning.minus(Duration.ofHours(2)), earlyMorning, UTC).bucket())
        .isEqualTo(Bucket.YESTERDAY);
  }

  @Test
  void earlierThanYesterdayShowsTheDate() {
    Label label = ago(Duration.ofHours(40));
    assertThat(label.bucket()).isEqualTo(Bucket.DATE);
    assertThat(label.date()).isEqualTo(LocalDate.of(2026, 3, 8));
    assertThat(label.toString()).isEqualTo("on 2026-03-08");
    assertThat(ago(Duration.ofDays(400)).toString()).isEqualTo("on 2025-02-03");
  }

  @Test
  void calendarDaysAreTakenInTheZoneAsked() {
    Instant seen = Instant.parse("2026-03-09T23:00:00Z");
    Instant now = Instant.parse("2026-03-10T01:30:00Z");

    assertThat(LastSeen.describe(seen, now, UTC).bucket()).isEqualTo(Bucket.YESTERDAY);
    Label newYork = LastSeen.describe(seen, now, ZoneId.of("America/New_York"));
    assertThat(newYork.bucket()).isEqualTo(Bucket.HOURS_AGO);
    assertThat(newYork.amount()).isEqualTo(2);
    assertThat(newYork.date()).isEqualTo(LocalDate.of(2026, 3, 9));
  }

  @Test
  void nullArgumentsAreRejected() {
    assertThatThrownBy(() -> LastSeen.describe(null, NOW, UTC)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> LastSeen.describe(NOW, null, UTC)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> LastSeen.describe(NOW, NOW, null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void theEngineEmitsNothingWhenOnlyTheBucketChanges() {
    try (Harness h = Harness.start()) {
      h.presence.connect("alice", "phone").disconnect();
      h.advanceSeconds(10);
      int changes = h.changes.size();
      UserPresence alice = h.get("alice");

      h.advanceSeconds(2 * 60 * 60);

      assertThat(h.changes).hasSize(changes);
      assertThat(h.get("alice")).isEqualTo(alice);
      assertThat(LastSeen.describe(alice.lastSeen(), h.time.instant(), UTC).toString()).isEqualTo("2 hours ago");
    }
  }
}
