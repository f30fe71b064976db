package dev.presence;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A hierarchical timing wheel (as in Varghese and Lauck, Kafka and Linux), one lock per shard.
 *
 * <p>Schedule and cancel are O(1) and allocate nothing (nodes are intrusive). Level 0 has 1024
 * buckets of one tick, which covers grace and heartbeat TTL at the default resolution, so those fire
 * with one visit; longer deadlines sit in 64-bucket upper levels and cascade down once per level.
 * Nodes fire on the first tick at or after their deadline, so a deadline that falls on a tick fires
 * exactly then.
 *
 * <p>Thread-safe. {@link #advance} must be called from one thread at a time (the timer thread).
 */
final class TimerWheel {
  private static final int LEVEL0_BITS = 10;
  private static final int UPPER_BITS = 6;
  private static final int UPPER_LEVELS = 3;
  private static final int LEVEL0_SIZE = 1 << LEVEL0_BITS;
  private static final int UPPER_SIZE = 1 << UPPER_BITS;
  /**
   * Ticks processed per hold of a shard lock: catching up after a long pause (or at a fine
   * resolution) releases the lock in between, so schedules from other threads do not wait long.
   */
  private static final int TICKS_PER_LOCK = 1024;
  /**
   * Due nodes {@link TimerNode#touch touched} ahead of firing them: enough to keep many cache misses
   * in flight, few enough that what they load is still in the first-level cache when they fire.
   */
  private static final int TOUCH_AHEAD = 32;
  /**
   * Fewer due nodes than this fire without the loads ahead: their objects are likely still cached,
   * and the second pass over them only costs (measured slower at 10 and 1,000 subscribers).
   */
  private static final int TOUCH_AHEAD_FROM = 4096;

  private final long origin;
  private final long tickNanos;
  private final Shard[] shards;
  private final List<TimerNode> due = new ArrayList<>();
  /** Nodes set in deadline order ({@link #scheduleInOrder}), fired with the wheel's. */
  private final TimerQueue inOrder = new TimerQueue();
  /** What the {@link TimerNode#touch} calls returned, folded: written so their loads are not optimised away. */
  private int touched;
  /**
   * The latest tick an {@link #advance} has processed (or is processing). A shard skipped while idle
   * keeps an older current tick, so a deadline at or before this one is moved to the tick after it
   * when scheduled: a tick that was processed never fires anything later.
   */
  private volatile long advancedTo;

  TimerWheel(long originNanos, long tickNanos, int shardCount) {
    if (Integer.bitCount(shardCount) != 1 || shardCount > Byte.MAX_VALUE + 1) {
      throw new IllegalArgumentException("shardCount must be a power of two up to 128: " + shardCount);
    }
    this.origin = originNanos;
    this.tickNanos = tickNanos;
    this.shards = new Shard[shardCount];
    for (int i = 0; i < shardCount; i++) {
      shards[i] = new Shard();
    }
  }

  /** The shard of every timer of this user (its devices', its status expiry's, its write retry's). */
  int shardOf(UserEntry user) {
    return shardFor(user.userId.hashCode());
  }

  int shardFor(int hash) {
    int spread = hash ^ (hash >>> 16);
    return spread & (shards.length - 1);
  }

  long tickNanos() {
    return tickNanos;
  }

  /** The ticker time of tick 0. */
  long origin() {
    return origin;
  }

  /** Schedules, or moves, {@code node} to fire at the first tick at or after {@code deadlineNanos}. */
  void schedule(TimerNode node, long deadlineNanos) {
    long tick = Math.max(tickAtOrAfter(deadlineNanos), advancedTo + 1);
    Shard shard = shards[node.shard];
    shard.lock.lock();
    try {
      if (node.isScheduled()) {
        unlink(node);
        shard.size--;
      }
      if (shard.size == 0 && shard.currentTick < tick - 1) {
        // An empty shard skipped by the advances since it emptied: bring it up to date first, as an
        // advance would have (nothing to cascade), or the next advance would stop at every cascade
        // from its old tick to now.
        shard.emptyTo(Math.min(tick - 1, advancedTo));
      }
      node.deadlineTick = tick;
      shard.place(node);
      shard.size++;
    } finally {
      shard.lock.unlock();
    }
  }

  /**
   * Schedules {@code n} nodes of {@code batch} to fire at the first tick at or after {@code
   * deadlineNanos}, for owners whose deadlines come in the order they set them ({@link TimerQueue}):
   * one lock for all of them, and no wheel links. Such a node cannot be cancelled or moved, and must
   * not be scheduled again before it fired; its owner ignores a firing it no longer wants.
   */
  void scheduleInOrder(TimerNode[] batch, int n, long deadlineNanos) {
    inOrder.add(batch, n, tickAtOrAfter(deadlineNanos));
  }

  /** {@link #scheduleInOrder(TimerNode[], int, long)} for one node. */
  void scheduleInOrder(TimerNode node, long deadlineNanos) {
    inOrder.add(node, tickAtOrAfter(deadlineNanos));
  }

  private long tickAtOrAfter(long deadlineNanos) {
    long delta = deadlineNanos - origin;
    return delta <= 0 ? 0 : (delta + tickNanos - 1) / tickNanos;
  }

  /** Cancels {@code node} if scheduled; otherwise does nothing. */
  void cancel(TimerNode node) {
    Shard shard = shards[node.shard];
    shard.lock.lock();
    try {
      if (node.isScheduled()) {
        unlink(node);
        shard.size--;
      }
    } finally {
      shard.lock.unlock();
    }
  }

  /** Fires every node whose deadline is at or before {@code nowNanos}, outside the locks. */
  void advance(long nowNanos, Consumer<Throwable> onFailure) {
    long delta = nowNanos - origin;
    long target = delta <= 0 ? 0 : delta / tickNanos;
    if (target > advancedTo) {
      advancedTo = target;
    }
    for (Shard shard : shards) {
      if (target < shard.wakeTick) {
        continue; // nothing due and no cascade before target: no lock, and the shard catches up later
      }
      boolean behind = true;
      while (behind) {
        shard.lock.lock();
        try {
          behind = shard.advanceTo(target, due, TICKS_PER_LOCK);
        } finally {
          shard.lock.unlock();
        }
      }
    }
    inOrder.takeDue(target, due);
    if (due.isEmpty()) {
      return;
    }
    int folded = 0;
    boolean ahead = due.size() >= TOUCH_AHEAD_FROM;
    for (int start = 0, n = due.size(); start < n; start += TOUCH_AHEAD) {
      int end = Math.min(n, start + TOUCH_AHEAD);
      for (int i = start; ahead && i < end; i++) {
        folded += due.get(i).touch();
      }
      for (int i = start; i < end; i++) {
        try {
          due.get(i).onTimer(nowNanos);
        } catch (RuntimeException | Error e) {
          onFailure.accept(e);
        }
      }
    }
    touched = folded;
    due.clear();
  }

  /** Ticks at which the shards stopped to fire or cascade, in all; for tests. */
  long stops() {
    return sumOverShards(shard -> shard.stops);
  }

  /** Scheduled nodes in all shards; for tests and stats. */
  long size() {
    return inOrder.size() + sumOverShards(shard -> shard.size);
  }

  private long sumOverShards(java.util.function.ToLongFunction<Shard> field) {
    long sum = 0;
    for (Shard shard : shards) {
      shard.lock.lock();
      try {
        sum += field.applyAsLong(shard);
      } finally {
        shard.lock.unlock();
      }
    }
    return sum;
  }

  private static void unlink(TimerNode node) {
    node.prev.next = node.next;
    node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
  }

  private static TimerNode[] sentinels(int count) {
    TimerNode[] buckets = new TimerNode[count];
    for (int i = 0; i < count; i++) {
      TimerNode sentinel = new Sentinel();
      sentinel.prev = sentinel;
      sentinel.next = sentinel;
      buckets[i] = sentinel;
    }
    return buckets;
  }

  private static final class Sentinel extends TimerNode {
    Sentinel() {
      super(0);
    }

    @Override
    void onTimer(long nowNanos) {
      throw new AssertionError("a sentinel never fires");
    }
  }

  private static final class Shard {
    final ReentrantLock lock = new ReentrantLock();
    final TimerNode[] level0 = sentinels(LEVEL0_SIZE);
    final TimerNode[][] upper = new TimerNode[UPPER_LEVELS][];
    /**
     * One bit per level-0 bucket that may hold nodes: set when a node is appended, cleared when a
     * tick empties the bucket. A cancel leaves its bit (costs one visit of an empty bucket), so a
     * clear bit always means an empty bucket, and ticks with clear bits are skipped, not visited.
     */
    final long[] occupied = new long[LEVEL0_SIZE / Long.SIZE];
    /** The last tick processed: nodes at or before it have fired. */
    long currentTick;
    long size;
    /** Ticks this shard stopped at (a bucket or a cascade), for tests: the work an advance did. */
    long stops;
    /**
     * No node of this shard fires, and no cascade is due, before this tick: {@link #advance} skips
     * the shard without its lock while its target is earlier. Written under the lock; lowered by
     * every placement, so a schedule that returned before an advance started is never skipped.
     */
    volatile long wakeTick = Long.MAX_VALUE;

    Shard() {
      for (int i = 0; i < UPPER_LEVELS; i++) {
        upper[i] = sentinels(UPPER_SIZE);
      }
    }

    /** Links the node into the bucket its deadline falls in, relative to the current tick. */
    void place(TimerNode node) {
      long tick = node.deadlineTick;
      if (tick <= currentTick) {
        placeLevel0(currentTick + 1, node);
        return;
      }
      if (tick - currentTick < LEVEL0_SIZE) {
        placeLevel0(tick, node);
        return;
      }
      wakeBy(nextCascade(currentTick)); // it comes down to level 0 at a cascade
      int shift = LEVEL0_BITS;
      for (int level = 0; level < UPPER_LEVELS; level++, shift += UPPER_BITS) {
        long distance = (tick >>> shift) - (currentTick >>> shift);
        if (distance < UPPER_SIZE || level == UPPER_LEVELS - 1) {
          long slot = distance < UPPER_SIZE ? tick >>> shift : (currentTick >>> shift) + UPPER_SIZE - 1;
          append(upper[level][(int) (slot & (UPPER_SIZE - 1))], node);
          return;
        }
      }
    }

    /**
     * Processes at most {@code maxTicks} ticks towards {@code target}; returns whether it is still
     * behind, so the caller can release the lock between steps.
     */
    boolean advanceTo(long target, List<TimerNode> due, int maxTicks) {
      if (size == 0) {
        emptyTo(target);
        return false;
      }
      long stop = Math.min(target, currentTick + maxTicks);
      while (currentTick < stop) {
        long tick = nextWork(currentTick, stop);
        currentTick = tick;
        stops++;
        if ((tick & (LEVEL0_SIZE - 1)) == 0) {
          cascade(tick);
        }
        int index = (int) (tick & (LEVEL0_SIZE - 1));
        if ((occupied[index >>> 6] & (1L << index)) == 0) {
          continue; // stop itself, with nothing in its bucket
        }
        occupied[index >>> 6] &= ~(1L << index);
        TimerNode bucket = level0[index];
        TimerNode node = bucket.next;
        if (node != bucket) {
          // Detach the bucket whole: each node is then visited once, with no writes to its neighbours.
          bucket.prev.next = null;
          bucket.next = bucket;
          bucket.prev = bucket;
          while (node != null) {
            TimerNode next = node.next;
            node.prev = null;
            node.next = null;
            size--;
            due.add(node);
            node = next;
          }
        }
        if (size == 0) {
          currentTick = target;
        }
      }
      wakeTick = size == 0 ? Long.MAX_VALUE : nextWork(currentTick, Long.MAX_VALUE);
      return currentTick < target;
    }

    /**
     * The first tick after {@code from}, and at most {@code limit}, that has work: an occupied level-0
     * bucket or a cascade; {@code limit} if none comes before it. Every node in level 0 falls due
     * within one round of the current tick, so the buckets from {@code from + 1} to the next cascade
     * hold this round's nodes, in tick order; those of the next round sit in lower indices and are
     * found after that cascade.
     */
    private long nextWork(long from, long limit) {
      long cascade = nextCascade(from);
      long next = cascade;
      if (from + 1 != cascade) {
        int start = (int) ((from + 1) & (LEVEL0_SIZE - 1));
        int found = nextOccupied(start);
        if (found >= 0) {
          next = from + 1 + (found - start);
        }
      }
      return Math.min(next, limit);
    }

    /** The first occupied level-0 index at or after {@code start}, or -1. */
    private int nextOccupied(int start) {
      int word = start >>> 6;
      long bits = occupied[word] & (-1L << start); // the shift count is taken mod 64
      while (bits == 0) {
        if (++word == occupied.length) {
          return -1;
        }
        bits = occupied[word];
      }
      return (word << 6) + Long.numberOfTrailingZeros(bits);
    }

    private static long nextCascade(long from) {
      return ((from >>> LEVEL0_BITS) + 1) << LEVEL0_BITS;
    }

    /**
     * With no node in the shard: moves the current tick up to {@code tick} with nothing to fire or
     * cascade. The bits cancels left are cleared: read in a later round, each would cost a stop.
     */
    void emptyTo(long tick) {
      currentTick = Math.max(currentTick, tick);
      java.util.Arrays.fill(occupied, 0L);
      wakeTick = Long.MAX_VALUE;
    }

    private void placeLevel0(long tick, TimerNode node) {
      int index = (int) (tick & (LEVEL0_SIZE - 1));
      occupied[index >>> 6] |= 1L << index;
      append(level0[index], node);
      wakeBy(tick);
    }

    private void wakeBy(long tick) {
      if (tick < wakeTick) {
        wakeTick = tick;
      }
    }

    /** At the start of a level-0 round, moves the nodes of the matching upper buckets down. */
    private void cascade(long tick) {
      int levels = 1;
      int shift = LEVEL0_BITS + UPPER_BITS;
      while (levels < UPPER_LEVELS && (tick & ((1L << shift) - 1)) == 0) {
        levels++;
        shift += UPPER_BITS;
      }
      shift = LEVEL0_BITS + (levels - 1) * UPPER_BITS;
      for (int level = levels - 1; level >= 0; level--, shift -= UPPER_BITS) {
        TimerNode bucket = upper[level][(int) ((tick >>> shift) & (UPPER_SIZE - 1))];
        TimerNode node = bucket.next;
        if (node == bucket) {
          continue;
        }
        // Detach the whole bucket first: re-placing may append to this same bucket (clamped nodes).
        TimerNode last = bucket.prev;
        bucket.next = bucket;
        bucket.prev = bucket;
        last.next = null;
        while (node != null) {
          TimerNode next = node.next;
          node.prev = null;
          node.next = null;
          if (node.deadlineTick <= tick) {
            // Due on the tick being processed: its level-0 bucket is emptied right after the cascade.
            placeLevel0(tick, node);
          } else {
            place(node);
          }
          node = next;
        }
      }
    }

    private static void append(TimerNode bucket, TimerNode node) {
      TimerNode tail = bucket.prev;
      node.prev = tail;
      node.next = bucket;
      tail.next = node;
      bucket.prev = node;
    }
  }
}
