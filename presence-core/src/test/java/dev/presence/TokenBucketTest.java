package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The status-change token bucket: full at first, one token per window/capacity, never above capacity. */
class TokenBucketTest {
  private static final int CAPACITY = 10;
  private static final long WINDOW = TimeUnit.SECONDS.toNanos(10);
  private final ManualTime time = new ManualTime();

  @Test
  void aBucketWithNoStateYetIsFull() {
    assertThat(TokenBucket.available(null, CAPACITY, WINDOW, time.read())).isEqualTo(CAPACITY);
  }

  @Test
  void takingTenEmptiesItAndOneTokenComesBackExactlyOneSecondLater() {
    TokenBucket state = null;
    for (int i = 0; i < CAPACITY; i++) {
      double available = TokenBucket.available(state, CAPACITY, WINDOW, time.read());
      assertThat(available).isGreaterThanOrEqualTo(1);
      state = TokenBucket.take(available, time.read());
    }
    double empty = TokenBucket.available(state, CAPACITY, WINDOW, time.read());
    assertThat(empty).isLessThan(1);
    assertThat(TokenBucket.millisUntilOne(empty, CAPACITY, WINDOW)).isEqualTo(1_000);

    time.advanceMillis(999);
    assertThat(TokenBucket.available(state, CAPACITY, WINDOW, time.read())).isLessThan(1);
    time.advanceMillis(1);
    assertThat(TokenBucket.available(state, CAPACITY, WINDOW, time.read())).isEqualTo(1);
  }

  @Test
  void refillStopsAtCapacity() {
    TokenBucket state = TokenBucket.take(CAPACITY, time.read());
    time.advanceSeconds(60);
    assertThat(TokenBucket.available(state, CAPACITY, WINDOW, time.read())).isEqualTo(CAPACITY);
  }
}
