package dev.presence;

import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * One engine on a {@link ManualTime}, with a listener that records every change. Time starts at
 * ticker 0 and wall time {@link #START}; nothing moves until a test advances it.
 */
final class Harness implements AutoCloseable {
  static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  final ManualTime time;
  final List<PresenceChange> changes = new CopyOnWriteArrayList<>();
  final Presence presence;

  private Harness(ManualTime time, Consumer<PresenceBuilder> config) {
    this.time = time;
    PresenceBuilder builder =
        Presence.builder().ticker(time).clock(time).scheduler(time).storeExecutor(Runnable::run).listener(changes::add);
    config.accept(builder);
    this.presence = builder.build();
  }

  /** An engine with every default. */
  static Harness start() {
    return new Harness(new ManualTime(START), b -> {});
  }

  /** An engine configured by {@code config} (which must not set ticker, clock or scheduler). */
  static Harness start(Consumer<PresenceBuilder> config) {
    return new Harness(new ManualTime(START), config);
  }

  /** An engine on an existing clock, for several nodes sharing one time. */
  static Harness on(ManualTime time, Consumer<PresenceBuilder> config) {
    return new Harness(time, config);
  }

  UserPresence get(String userId) {
    return presence.get(userId);
  }

  PresenceState state(String userId) {
    return presence.get(userId).state();
  }

  PresenceStats stats() {
    return presence.stats();
  }

  /** The wall time at {@code offset} after the start. */
  static Instant at(Duration offset) {
    return START.plus(offset);
  }

  static Instant atSeconds(double seconds) {
    return START.plusMillis(Math.round(seconds * 1000));
  }

  void advanceSeconds(long seconds) {
    time.advanceSeconds(seconds);
  }

  void advanceMillis(long millis) {
    time.advanceMillis(millis);
  }

  void advance(Duration duration) {
    time.advance(duration);
  }

  /** Moves time forward, calling {@link DeviceConnection#heartbeat()} on each device every 15 s. */
  void advanceWithHeartbeats(Duration duration, DeviceConnection... devices) {
    Duration step = Duration.ofSeconds(15);
    Duration left = duration;
    while (left.compareTo(step) > 0) {
      time.advance(step);
      for (DeviceConnection device : devices) {
        device.heartbeat();
      }
      left = left.minus(step);
    }
    time.advance(left);
  }

  /** The engine behind the facade, for white-box checks. */
  PresenceEngine engine() {
    return (PresenceEngine) presence;
  }

  @Override
  public void close() {
    presence.close();
  }
}
