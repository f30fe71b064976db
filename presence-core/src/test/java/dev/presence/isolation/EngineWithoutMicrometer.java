package dev.presence.isolation;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceStats;
import dev.presence.StatusMode;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.List;

/**
 * Run by {@link NoMicrometerTest} in a child JVM whose class path has presence-core, its test
 * classes and slf4j-api only: uses every part of the engine, prints its stats and a marker, then
 * shows that Micrometer really is absent there.
 */
public final class EngineWithoutMicrometer {
  /** Printed once the engine was used and closed. */
  static final String ENGINE_DONE = "ENGINE-DONE";

  private EngineWithoutMicrometer() {}

  /**
   * Uses an engine on a manual clock, then tries to load Micrometer.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    ManualTime time = new ManualTime();
    PresenceStats stats;
    try (Presence presence =
        Presence.builder()
            .ticker(time)
            .clock(time)
            .scheduler(time)
            .storeExecutor(Runnable::run)
            .deliveryExecutor(Runnable::run)
            .build()) {
      presence.joinChannel("room", "alice");
      presence.joinChannel("room", "bob");
      DeviceConnection alice = presence.connect("alice", "phone");
      DeviceConnection bob = presence.connect("bob", "laptop");
      int[] received = new int[1];
      presence
          .subscribe(
              bob,
              new PresenceSink() {
                @Override
                public void onPresence(List<UserPresence> changes) {
                  received[0] += changes.size();
                }

                @Override
                public void onTyping(List<TypingEvent> events) {
                  received[0] += events.size();
                }
              })
          .watchChannel("room");
      alice.typing("room");
      alice.setStatus(StatusMode.DND, "focus", Duration.ofMinutes(5));
      time.advanceSeconds(2);
      alice.disconnect();
      time.advanceSeconds(60);
      stats = presence.stats();
      System.out.println("received " + received[0] + ", " + stats);
    }
    System.out.println(ENGINE_DONE);
    try {
      Class.forName("io.micrometer.core.instrument.MeterRegistry");
      System.out.println("MICROMETER-PRESENT");
    } catch (ClassNotFoundException expected) {
      System.out.println("MICROMETER-ABSENT");
    }
  }
}
