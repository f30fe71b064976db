package dev.presence;

import java.lang.reflect.Field;
import java.util.ArrayList;

/**
 * Read-only probes into the engine for benchmarks, in the engine's package (this module puts a few
 * classes in {@code dev.presence}; split packages are fine on the class path). Nothing here changes
 * what the engine does.
 */
public final class BenchHooks {
  private BenchHooks() {}

  /** Timers pending in the engine's wheel. */
  public static long pendingTimers(Presence presence) {
    return ((PresenceEngine) presence).wheel.size();
  }

  /**
   * Counts every timer the engine's wheel fires (every node visited because its tick came), by
   * swapping the wheel's private list of due nodes for one that counts what is added to it. Call
   * before the first tick. Used by the expiry benchmark to report visits per expiry.
   */
  public static VisitCounter countTimerVisits(Presence presence) {
    TimerWheel wheel = ((PresenceEngine) presence).wheel;
    VisitCounter counter = new VisitCounter();
    try {
      Field due = TimerWheel.class.getDeclaredField("due");
      due.setAccessible(true);
      due.set(wheel, counter);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("TimerWheel no longer has a 'due' list; update BenchHooks", e);
    }
    return counter;
  }

  /** The wheel's due list, counting the nodes that fire. */
  public static final class VisitCounter extends ArrayList<TimerNode> {
    private static final long serialVersionUID = 1L;
    private long visits;
    private long taggedVisits;
    private transient java.util.function.Predicate<DeviceConnection> tag;

    @Override
    public boolean add(TimerNode node) {
      visits++;
      if (tag != null && node instanceof DeviceConnection device && tag.test(device)) {
        taggedVisits++;
      }
      return super.add(node);
    }

    /** Also counts, separately, visits of devices that {@code tag} accepts. */
    public void tag(java.util.function.Predicate<DeviceConnection> tag) {
      this.tag = tag;
    }

    /** Visits of devices the tag accepted. */
    public long taggedVisits() {
      return taggedVisits;
    }

    @Override
    public boolean addAll(java.util.Collection<? extends TimerNode> nodes) {
      visits += nodes.size();
      return super.addAll(nodes);
    }

    /** Nodes fired so far. */
    public long visits() {
      return visits;
    }
  }
}
