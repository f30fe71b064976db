package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hierarchical timer wheel: exact at ticks, never early, correct far out. */
class TimerWheelTest {
  private static final long TICK = TimeUnit.MILLISECONDS.toNanos(100);
  private final List<Throwable> failures = new ArrayList<>();

  /** A node that records when it fired. */
  static final class Node extends TimerNode {
    final String name;
    final List<Long> firedAt = new ArrayList<>();
    Runnable onFire = () -> {};

    Node(String name, int shard) {
      super(shard);
      this.name = name;
    }

    Node(String name) {
      this(name, 0);
    }

    @Override
    void onTimer(long nowNanos) {
      firedAt.add(nowNanos);
      onFire.run();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private void advance(TimerWheel wheel, long now) {
    wheel.advance(now, failures::add);
  }

  private static long nanos(Duration duration) {
    return duration.toNanos();
  }

  @Test
  void aDeadlineOnATickFiresExactlyAtThatTickAndNotBefore() {
    TimerWheel wheel = new TimerWheel(0, TICK, 4);
    Node node = new Node("ten seconds");
    wheel.schedule(node, nanos(Duration.ofSeconds(10)));

    advance(wheel, nanos(Duration.ofMillis(9_900)));
    advance(wheel, nanos(Duration.ofSeconds(10)) - 1);
    assertThat(node.firedAt).isEmpty();

    advance(wheel, nanos(Duration.ofSeconds(10)));
    assertThat(node.firedAt).containsExactly(nanos(Duration.ofSeconds(10)));
    assertThat(wheel.size()).isZero();
    assertThat(failures).isEmpty();
  }

  @Test
  void aDeadlineBetweenTicksFiresAtTheNextTick() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    Node node = new Node("10.05 s");
    wheel.schedule(node, nanos(Duration.ofMillis(10_050)));

    advance(wheel, nanos(Duration.ofMillis(10_099)));
    assertThat(node.firedAt).isEmpty();
    advance(wheel, nanos(Duration.ofMillis(10_100)));
    assertThat(node.firedAt).hasSize(1);
  }

  @Test
  void ticksAreCountedFromTheOrigin() {
    long origin = 123_456_789_012L;
    TimerWheel wheel = new TimerWheel(origin, TICK, 2);
    Node node = new Node("origin + 1 s");
    wheel.schedule(node, origin + nanos(Duration.ofSeconds(1)));

    advance(wheel, origin + nanos(Duration.ofSeconds(1)) - 1);
    assertThat(node.firedAt).isEmpty();
    advance(wheel, origin + nanos(Duration.ofSeconds(1)));
    assertThat(node.firedAt).containsExactly(origin + nanos(Duration.ofSeconds(1)));
  }

  @Test
  void aDeadlineAlreadyPassedFiresAtTheNextAdvance() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    advance(wheel, nanos(Duration.ofSeconds(5)));
    Node node = new Node("past");
    wheel.schedule(node, nanos(Duration.ofSeconds(1)));

    advance(wheel, nanos(Duration.ofSeconds(5)));
    assertThat(node.firedAt).isEmpty(); // this tick has been processed already
    advance(wheel, nanos(Duration.ofMillis(5_100)));
    assertThat(node.firedAt).containsExactly(nanos(Duration.ofMillis(5_100)));
  }

  @Test
  void aLateAdvanceFiresEverythingDueAtOnce() {
    TimerWheel wheel = new TimerWheel(0, TICK, 2);
    Node a = new Node("a", 0);
    Node b = new Node("b", 1);
    wheel.schedule(a, nanos(Duration.ofSeconds(1)));
    wheel.schedule(b, nanos(Duration.ofMinutes(10)));

    advance(wheel, nanos(Duration.ofHours(1)));

    assertThat(a.firedAt).containsExactly(nanos(Duration.ofHours(1)));
    assertThat(b.firedAt).containsExactly(nanos(Duration.ofHours(1)));
  }

  @Test
  void aLongCatchUpLetsOtherThreadsScheduleOnTheSameShardMeanwhile() throws Exception {
    // One far node keeps the shard non-empty, so an advance over 300 days at 1 ms stops at each of
    // 25 M cascades (empty ticks between them are skipped; a good part of a second). It releases the
    // shard lock every 1,024 ticks, so a schedule from another thread gets in while it runs instead
    // of waiting for the whole catch-up.
    TimerWheel wheel = new TimerWheel(0, nanos(Duration.ofMillis(1)), 1);
    Node far = new Node("far");
    wheel.schedule(far, nanos(Duration.ofDays(3_000)));
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    Thread catchUp = new Thread(() -> {
      started.countDown();
      advance(wheel, nanos(Duration.ofDays(300)));
    });
    catchUp.start();
    started.await();

    Node late = new Node("late");
    wheel.schedule(late, nanos(Duration.ofDays(600)));

    assertThat(catchUp.isAlive()).as("the schedule got in while the catch-up was still running").isTrue();
    catchUp.join(60_000);
    assertThat(catchUp.isAlive()).isFalse();
    assertThat(far.firedAt).isEmpty();
    assertThat(late.firedAt).isEmpty();
    assertThat(wheel.size()).isEqualTo(2);
  }

  @Test
  void idleShardsAreSkippedAndCatchUpExactlyWhenANodeArrives() {
    // Four shards, each advanced tick by tick while idle or waiting for a far node: a node placed
    // after many skipped ticks (the shard's current tick is stale) still fires exactly at its tick,
    // and so does a far one that cascades down in between.
    TimerWheel wheel = new TimerWheel(0, TICK, 4);
    Node far = new Node("far", 1);
    wheel.schedule(far, 5_000 * TICK);
    long tick = 0;
    for (; tick < 3_000; tick++) {
      advance(wheel, tick * TICK);
    }
    Node soon = new Node("soon", 0);
    Node nearOtherShard = new Node("near", 2);
    Node dueNow = new Node("due now", 3);
    wheel.schedule(soon, 3_500 * TICK);
    wheel.schedule(nearOtherShard, (3_000 + 1_100) * TICK);
    wheel.schedule(dueNow, 100 * TICK); // long past: the next tick
    for (; tick <= 6_000; tick++) {
      advance(wheel, tick * TICK);
      assertThat(soon.firedAt).as("soon at %d", tick).hasSize(tick >= 3_500 ? 1 : 0);
      assertThat(nearOtherShard.firedAt).as("near at %d", tick).hasSize(tick >= 4_100 ? 1 : 0);
      assertThat(far.firedAt).as("far at %d", tick).hasSize(tick >= 5_000 ? 1 : 0);
      assertThat(dueNow.firedAt).hasSize(1);
    }
    assertThat(soon.firedAt).containsExactly(3_500 * TICK);
    assertThat(nearOtherShard.firedAt).containsExactly(4_100 * TICK);
    assertThat(far.firedAt).containsExactly(5_000 * TICK);
    assertThat(dueNow.firedAt).containsExactly(3_000 * TICK);
    assertThat(wheel.size()).isZero();
    assertThat(failures).isEmpty();
  }

  @Test
  void aShardIdleForLongCatchesUpWithoutStoppingAtEveryCascadeSinceItEmptied() {
    // 16 shards at 1 ms, one node, then 30 days idle (2.6 G ticks, 2.5 M cascades): the first node
    // scheduled afterwards must cost its shard one stop, not one per cascade since it emptied.
    TimerWheel wheel = new TimerWheel(0, nanos(Duration.ofMillis(1)), 16);
    Node first = new Node("first", 5);
    wheel.schedule(first, nanos(Duration.ofMillis(10)));
    advance(wheel, nanos(Duration.ofMillis(10)));
    assertThat(first.firedAt).hasSize(1);
    long idleUntil = nanos(Duration.ofDays(30));
    advance(wheel, idleUntil);
    long stopsBefore = wheel.stops();

    Node late = new Node("late", 5);
    wheel.schedule(late, idleUntil + nanos(Duration.ofMillis(5)));
    advance(wheel, idleUntil + nanos(Duration.ofMillis(4)));
    assertThat(late.firedAt).isEmpty();
    advance(wheel, idleUntil + nanos(Duration.ofMillis(5)));

    assertThat(late.firedAt).containsExactly(idleUntil + nanos(Duration.ofMillis(5)));
    assertThat(wheel.stops() - stopsBefore).as("stops to fire the late node").isLessThanOrEqualTo(2);
    assertThat(failures).isEmpty();
  }

  @Test
  void farDeadlinesCascadeDownAndFireExactly() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    List<Duration> offsets =
        List.of(
            Duration.ofMillis(102_300), // last level-0 bucket
            Duration.ofMillis(102_400), // first level-1 bucket
            Duration.ofMinutes(17),
            Duration.ofHours(1),
            Duration.ofMinutes(109).plusMillis(2_300), // around 2^16 ticks
            Duration.ofHours(5),
            Duration.ofDays(1),
            Duration.ofDays(1).plusMillis(50), // between ticks
            Duration.ofDays(5),
            Duration.ofDays(30),
            Duration.ofDays(300),
            Duration.ofDays(301),
            Duration.ofDays(320), // beyond the top level's reach (2^28 ticks, about 310 days)
            Duration.ofDays(700)); // beyond twice its reach
    List<Node> nodes = new ArrayList<>();
    for (Duration offset : offsets) {
      Node node = new Node(offset.toString());
      wheel.schedule(node, nanos(offset));
      nodes.add(node);
    }
    assertThat(wheel.size()).isEqualTo(offsets.size());

    for (int i = 0; i < offsets.size(); i++) {
      long deadline = nanos(offsets.get(i));
      long fires = (deadline + TICK - 1) / TICK * TICK;
      advance(wheel, fires - 1);
      assertThat(nodes.get(i).firedAt).as("%s before its tick", offsets.get(i)).isEmpty();
      advance(wheel, fires);
      assertThat(nodes.get(i).firedAt).as(offsets.get(i).toString()).containsExactly(fires);
      for (int j = i + 1; j < offsets.size(); j++) {
        assertThat(nodes.get(j).firedAt).as("%s early", offsets.get(j)).isEmpty();
      }
    }
    assertThat(wheel.size()).isZero();
    assertThat(failures).isEmpty();
  }

  @Test
  void aCancelledNodeNeverFires() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    Node near = new Node("near");
    Node far = new Node("far");
    Node kept = new Node("kept");
    wheel.schedule(near, nanos(Duration.ofSeconds(1)));
    wheel.schedule(far, nanos(Duration.ofDays(2)));
    wheel.schedule(kept, nanos(Duration.ofSeconds(1)));

    wheel.cancel(near);
    wheel.cancel(far);
    wheel.cancel(far); // twice is harmless
    wheel.cancel(new Node("never scheduled"));

    assertThat(wheel.size()).isEqualTo(1);
    advance(wheel, nanos(Duration.ofDays(3)));
    assertThat(near.firedAt).isEmpty();
    assertThat(far.firedAt).isEmpty();
    assertThat(kept.firedAt).hasSize(1);
  }

  @Test
  void reschedulingMovesTheDeadlineEarlierOrLater() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    Node later = new Node("later");
    Node earlier = new Node("earlier");
    wheel.schedule(later, nanos(Duration.ofSeconds(5)));
    wheel.schedule(earlier, nanos(Duration.ofDays(3)));

    wheel.schedule(later, nanos(Duration.ofSeconds(30)));
    wheel.schedule(earlier, nanos(Duration.ofSeconds(2)));
    assertThat(wheel.size()).isEqualTo(2);

    advance(wheel, nanos(Duration.ofSeconds(2)));
    assertThat(earlier.firedAt).containsExactly(nanos(Duration.ofSeconds(2)));
    advance(wheel, nanos(Duration.ofMillis(29_900)));
    assertThat(later.firedAt).isEmpty();
    advance(wheel, nanos(Duration.ofSeconds(30)));
    assertThat(later.firedAt).containsExactly(nanos(Duration.ofSeconds(30)));
    advance(wheel, nanos(Duration.ofDays(4)));
    assertThat(earlier.firedAt).hasSize(1);
  }

  @Test
  void aNodeMayRescheduleItselfWhenItFires() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    Node node = new Node("periodic");
    node.onFire = () -> wheel.schedule(node, node.firedAt.get(node.firedAt.size() - 1) + nanos(Duration.ofSeconds(1)));
    wheel.schedule(node, nanos(Duration.ofSeconds(1)));

    for (int second = 1; second <= 5; second++) {
      advance(wheel, nanos(Duration.ofSeconds(second)));
    }

    assertThat(node.firedAt)
        .containsExactly(
            nanos(Duration.ofSeconds(1)),
            nanos(Duration.ofSeconds(2)),
            nanos(Duration.ofSeconds(3)),
            nanos(Duration.ofSeconds(4)),
            nanos(Duration.ofSeconds(5)));
  }

  @Test
  void aNodeThatThrowsIsReportedAndTheOthersStillFire() {
    TimerWheel wheel = new TimerWheel(0, TICK, 1);
    Node bad = new Node("bad");
    bad.onFire = () -> {
      throw new IllegalStateException("boom");
    };
    Node good = new Node("good");
    wheel.schedule(bad, nanos(Duration.ofSeconds(1)));
    wheel.schedule(good, nanos(Duration.ofSeconds(1)));

    advance(wheel, nanos(Duration.ofSeconds(1)));

    assertThat(good.firedAt).hasSize(1);
    assertThat(failures).singleElement().satisfies(e -> assertThat(e).hasMessage("boom"));
  }

  @Test
  void manyRandomDeadlinesAllFireAtTheFirstTickAtOrAfterTheirDeadline() {
    Random random = new Random(0x5EED);
    long origin = random.nextLong() >>> 8;
    TimerWheel wheel = new TimerWheel(origin, TICK, 8);
    int count = 20_000;
    Node[] nodes = new Node[count];
    long[] expected = new long[count];
    TreeMap<Long, List<Integer>> byTick = new TreeMap<>();
    int[] firings = {0};
    for (int i = 0; i < count; i++) {
      long span = 1L << (1 + random.nextInt(24)); // up to 2^24 ticks, about 19 days: every level
      long offset = 1 + (long) (random.nextDouble() * span * TICK);
      long deadline = origin + offset;
      nodes[i] = new Node("n" + i, i & 7);
      nodes[i].onFire = () -> firings[0]++;
      wheel.schedule(nodes[i], deadline);
      if (random.nextInt(10) == 0) { // some move before anything fires
        deadline = origin + 1 + (long) (random.nextDouble() * span * TICK);
        wheel.schedule(nodes[i], deadline);
      }
      long tick = (deadline - origin + TICK - 1) / TICK;
      expected[i] = origin + tick * TICK;
      byTick.computeIfAbsent(tick, t -> new ArrayList<>()).add(i);
    }
    assertThat(wheel.size()).isEqualTo(count);

    int fired = 0;
    for (var entry : byTick.entrySet()) {
      long at = origin + entry.getKey() * TICK;
      advance(wheel, at - 1);
      assertThat(firings[0]).as("fired before tick %d", entry.getKey()).isEqualTo(fired);
      advance(wheel, at);
      fired += entry.getValue().size();
      assertThat(firings[0]).as("fired at tick %d", entry.getKey()).isEqualTo(fired);
      for (int i : entry.getValue()) {
        assertThat(nodes[i].firedAt).containsExactly(expected[i]);
      }
    }
    assertThat(wheel.size()).isZero();
    assertThat(failures).isEmpty();
  }

  @Test
  void interleavedSchedulesCancelsAndAdvancesFireEachNodeAtItsFirstDueAdvance() {
    Random random = new Random(0xC0FFEE);
    long origin = 1_000_000_007L;
    TimerWheel wheel = new TimerWheel(origin, TICK, 4);
    List<Node> pending = new ArrayList<>();
    java.util.Map<Node, Long> dueTick = new java.util.HashMap<>();
    long processedTick = 0;
    long now = origin;
    int firedTotal = 0;
    for (int step = 0; step < 3_000; step++) {
      int scheduled = random.nextInt(8);
      for (int k = 0; k < scheduled; k++) {
        Node node = new Node("s" + step + "." + k, random.nextInt(4));
        long span = 1L << random.nextInt(23);
        long deadline = now - TICK + (long) (random.nextDouble() * span * TICK);
        wheel.schedule(node, deadline);
        dueTick.put(node, Math.max(ceilTick(deadline - origin), processedTick + 1));
        pending.add(node);
      }
      if (!pending.isEmpty() && random.nextInt(4) == 0) {
        Node node = pending.get(random.nextInt(pending.size()));
        if (random.nextBoolean()) {
          wheel.cancel(node);
          pending.remove(node);
          dueTick.remove(node);
        } else {
          long deadline = now + (long) (random.nextDouble() * (1L << random.nextInt(23)) * TICK);
          wheel.schedule(node, deadline);
          dueTick.put(node, Math.max(ceilTick(deadline - origin), processedTick + 1));
        }
      }
      long advanceBy = random.nextInt(3) == 0 ? random.nextInt(3) * TICK : (long) (random.nextDouble() * (1L << random.nextInt(16)) * TICK);
      now += advanceBy;
      advance(wheel, now);
      processedTick = Math.max(processedTick, (now - origin) / TICK);
      for (java.util.Iterator<Node> it = pending.iterator(); it.hasNext(); ) {
        Node node = it.next();
        if (dueTick.get(node) <= processedTick) {
          assertThat(node.firedAt).as("%s due at tick %d, now %d", node, dueTick.get(node), processedTick)
              .containsExactly(now);
          it.remove();
          firedTotal++;
        } else {
          assertThat(node.firedAt).as("%s fired early", node).isEmpty();
        }
      }
      assertThat(wheel.size()).isEqualTo(pending.size());
    }
    assertThat(firedTotal).isGreaterThan(1_000);
    assertThat(failures).isEmpty();
  }

  private static long ceilTick(long delta) {
    return delta <= 0 ? 0 : (delta + TICK - 1) / TICK;
  }

  @Test
  void shardsAreChosenWithinRange() {
    TimerWheel wheel = new TimerWheel(0, TICK, 16);
    Random random = new Random(3);
    for (int i = 0; i < 10_000; i++) {
      assertThat(wheel.shardFor(random.nextInt())).isBetween(0, 15);
    }
    assertThat(wheel.tickNanos()).isEqualTo(TICK);
  }
}
