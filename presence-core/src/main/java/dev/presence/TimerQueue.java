package dev.presence;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Timers that are set in the order they fall due, such as subscribers' flushes (each at the next
 * window boundary, which only moves forward: {@link AlignedFanout#flushDeadline}): a ring of nodes and their deadline ticks in one pair of
 * arrays, so setting many is one lock and a few writes to contiguous memory, and firing them reads
 * the ring in order, with no linked-list walk and no writes to the nodes. The {@link TimerWheel} that
 * owns it fires its due nodes with its own.
 *
 * <p>A deadline earlier than the last one added (two threads racing with the ticker) is moved up to
 * it: at most the race's own length later. A node here cannot be cancelled: its owner must ignore a
 * firing it no longer wants (a closed subscriber does), and must not be added again before it fired.
 * Thread-safe; one lock.
 */
final class TimerQueue {
  private final ReentrantLock lock = new ReentrantLock();
  /** Guarded by the lock: the ring, its first index and length; capacity a power of two. */
  private TimerNode[] nodes = new TimerNode[64];
  private long[] ticks = new long[64];
  private int head;
  private int count;
  /** Guarded by the lock: the deadline of the last node added. */
  private long lastTick;
  /**
   * The deadline of the first node, or {@code Long.MAX_VALUE} if none: {@link #takeDue} returns
   * without the lock while it is later than its tick. Written under the lock.
   */
  private volatile long headTick = Long.MAX_VALUE;

  /** Adds one node, due at {@code tick}. */
  void add(TimerNode node, long tick) {
    lock.lock();
    try {
      if (tick < lastTick) {
        tick = lastTick;
      }
      lastTick = tick;
      if (count == nodes.length) {
        grow(count + 1);
      }
      int at = (head + count) & (nodes.length - 1);
      nodes[at] = node;
      ticks[at] = tick;
      if (count++ == 0) {
        headTick = tick;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Adds {@code n} nodes from {@code batch}, all due at {@code tick}. */
  void add(TimerNode[] batch, int n, long tick) {
    lock.lock();
    try {
      if (tick < lastTick) {
        tick = lastTick;
      }
      lastTick = tick;
      if (count + n > nodes.length) {
        grow(count + n);
      }
      int mask = nodes.length - 1;
      for (int i = 0; i < n; i++) {
        int at = (head + count + i) & mask;
        nodes[at] = batch[i];
        ticks[at] = tick;
      }
      if (count == 0 && n > 0) {
        headTick = tick;
      }
      count += n;
    } finally {
      lock.unlock();
    }
  }

  /** Moves the nodes due at or before {@code tick} into {@code due}, in the order they were added. */
  void takeDue(long tick, List<TimerNode> due) {
    if (tick < headTick) {
      return; // nothing due: an idle tick takes no lock
    }
    lock.lock();
    try {
      int mask = nodes.length - 1;
      while (count > 0 && ticks[head] <= tick) {
        due.add(nodes[head]);
        nodes[head] = null;
        head = (head + 1) & mask;
        count--;
      }
      headTick = count > 0 ? ticks[head] : Long.MAX_VALUE;
    } finally {
      lock.unlock();
    }
  }

  /** Nodes waiting to fire; for tests and stats. */
  int size() {
    lock.lock();
    try {
      return count;
    } finally {
      lock.unlock();
    }
  }

  private void grow(int needed) {
    int capacity = nodes.length;
    while (capacity < needed) {
      capacity *= 2;
    }
    TimerNode[] moreNodes = new TimerNode[capacity];
    long[] moreTicks = new long[capacity];
    int mask = nodes.length - 1;
    for (int i = 0; i < count; i++) {
      moreNodes[i] = nodes[(head + i) & mask];
      moreTicks[i] = ticks[(head + i) & mask];
    }
    nodes = moreNodes;
    ticks = moreTicks;
    head = 0;
  }
}
