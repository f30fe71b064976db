package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Timers set in deadline order: fired by the wheel at the first tick at or after their deadline, in order. */
class TimerQueueTest {
  private static final long TICK = TimeUnit.MILLISECONDS.toNanos(100);
  private final List<String> fired = new ArrayList<>();

  private final class Named extends TimerNode {
    final String name;

    Named(String name) {
      super(0);
      this.name = name;
    }

    @Override
    void onTimer(long nowNanos) {
      fired.add(name + "@" + TimeUnit.NANOSECONDS.toMillis(nowNanos));
    }
  }

  @Test
  void nodesFireOnTheFirstTickAtOrAfterTheirDeadlineAndNotOneTickBefore() {
    TimerWheel wheel = new TimerWheel(0, TICK, 4);
    wheel.scheduleInOrder(new TimerNode[] {new Named("a"), new Named("b")}, 2, TimeUnit.MILLISECONDS.toNanos(250));
    wheel.scheduleInOrder(new Named("c"), TimeUnit.MILLISECONDS.toNanos(300));
    assertThat(wheel.size()).isEqualTo(3);

    wheel.advance(TimeUnit.MILLISECONDS.toNanos(200), e -> {});
    assertThat(fired).isEmpty();
    wheel.advance(TimeUnit.MILLISECONDS.toNanos(300), e -> {});

    assertThat(fired).containsExactly("a@300", "b@300", "c@300");
    assertThat(wheel.size()).isZero();
  }

  @Test
  void anEarlierDeadlineAddedAfterALaterOneFiresWithTheLaterOne() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    wheel.scheduleInOrder(new Named("late"), TimeUnit.MILLISECONDS.toNanos(500));
    wheel.scheduleInOrder(new Named("racer"), TimeUnit.MILLISECONDS.toNanos(400)); // lost a race with the ticker

    wheel.advance(TimeUnit.MILLISECONDS.toNanos(400), e -> {});
    assertThat(fired).isEmpty();
    wheel.advance(TimeUnit.MILLISECONDS.toNanos(500), e -> {});

    assertThat(fired).containsExactly("late@500", "racer@500");
  }

  @Test
  void theQueueGrowsPastItsFirstCapacityAndKeepsTheOrder() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    List<String> expected = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      TimerNode[] batch = new TimerNode[100];
      for (int i = 0; i < batch.length; i++) {
        batch[i] = new Named(round + "." + i);
        expected.add(round + "." + i + "@" + (round + 1) * 100);
      }
      wheel.scheduleInOrder(batch, batch.length, (round + 1) * TICK);
      wheel.advance(round * TICK, e -> {}); // a tick between rounds, so the ring wraps around
    }
    wheel.advance(3 * TICK, e -> {});

    assertThat(fired).hasSize(300);
    assertThat(fired.stream().map(f -> f.substring(0, f.indexOf('@'))).toList())
        .isEqualTo(expected.stream().map(f -> f.substring(0, f.indexOf('@'))).toList());
  }
}
