package dev.presence;

import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine's counters and gauges, read by {@link Presence#stats()}. Each is a {@link LongAdder}, so
 * hot paths bump them without contention; a snapshot is not atomic across counters.
 */
final class EngineStats {
  final LongAdder devicesConnected = new LongAdder();
  final LongAdder devicesInGrace = new LongAdder();
  final LongAdder usersOnline = new LongAdder();
  final LongAdder usersIdle = new LongAdder();
  final LongAdder usersDnd = new LongAdder();
  final LongAdder connects = new LongAdder();
  final LongAdder disconnects = new LongAdder();
  final LongAdder reconnectsAbsorbed = new LongAdder();
  final LongAdder expiries = new LongAdder();
  final LongAdder listenerFailures = new LongAdder();
  final LongAdder sinkFailures = new LongAdder();
  final LongAdder visibilityFailures = new LongAdder();
  final LongAdder busFailures = new LongAdder();
  final LongAdder storeFailures = new LongAdder();
  final LongAdder deliveries = new LongAdder();
  final LongAdder coalesced = new LongAdder();
  final LongAdder limitRejections = new LongAdder();
  final StoreCallTimer storeCalls = new StoreCallTimer();

  /** Count, total and maximum of store call times: a timer with no histogram, so recording allocates nothing. */
  static final class StoreCallTimer {
    final LongAdder count = new LongAdder();
    final LongAdder totalNanos = new LongAdder();
    final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);

    void record(long nanos) {
      count.increment();
      totalNanos.add(nanos);
      maxNanos.accumulate(nanos);
    }
  }

  /** Moves a user from the gauge of one aggregate to another's (OFFLINE has none). */
  void counted(PresenceState from, PresenceState to) {
    LongAdder left = gauge(from);
    if (left != null) {
      left.decrement();
    }
    LongAdder entered = gauge(to);
    if (entered != null) {
      entered.increment();
    }
  }

  private LongAdder gauge(PresenceState state) {
    return switch (state) {
      case ONLINE -> usersOnline;
      case IDLE -> usersIdle;
      case DND -> usersDnd;
      case OFFLINE -> null;
    };
  }

  PresenceStats snapshot(long subscribers) {
    return new PresenceStats(
        devicesConnected.sum(),
        devicesInGrace.sum(),
        usersOnline.sum(),
        usersIdle.sum(),
        usersDnd.sum(),
        connects.sum(),
        disconnects.sum(),
        reconnectsAbsorbed.sum(),
        expiries.sum(),
        listenerFailures.sum(),
        subscribers,
        sinkFailures.sum(),
        visibilityFailures.sum(),
        busFailures.sum(),
        storeFailures.sum(),
        deliveries.sum(),
        coalesced.sum(),
        limitRejections.sum(),
        storeCalls.count.sum(),
        storeCalls.totalNanos.sum(),
        storeCalls.maxNanos.get());
  }
}
