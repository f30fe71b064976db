package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.Ticker;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.benchmarks.support.Cursor;
import dev.presence.benchmarks.support.TestIds;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Brief §5 row 6, the hot path: one keystroke inside an ongoing burst, with no refresh due, which
 * is what almost every keystroke is. N users each type in their own channel (each channel watched by
 * one receiver); one op is a keystroke of a random one of them, {@link DeviceConnection#typing} with a
 * copy of the channel id (as parsed from a message).
 *
 * <ul>
 *   <li>{@code presence}: the engine on the system ticker (the hot path pays a real clock read) and
 *       a scheduler that never runs; typing timeout one day and refresh interval 23 hours, so every
 *       burst stays on and no refresh falls due during the run: each op is the keystroke bookkeeping
 *       alone (find the channel, find the burst, note the time).
 *   <li>{@code floor}: a {@code ConcurrentHashMap.get} of the channel id plus a {@code
 *       System.nanoTime()} read written to a volatile field (the least a keystroke can cost).
 * </ul>
 *
 * <p>The seed's server does nothing per keystroke inside a burst: its client debounces, and sends
 * one {@code typing-start} and one {@code typing-stop} per burst ({@link TypingBenchmark}). Typing
 * events the receivers got during the run are printed ({@code TYPING-KEYSTROKE …} line); the trial
 * fails if there was any (a keystroke inside a burst with no refresh due sends nothing).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TypingKeystrokeBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class TypingKeystrokeBenchmark {
  @Param({"10000", "100000"})
  int devices;

  @Param({"presence", "floor"})
  String impl;

  private Presence presence;
  private DeviceConnection[] typists;
  private String[] channelIds;
  private ConcurrentHashMap<String, Slot> floorMap;
  private long typingEvents;
  private long eventsBefore;
  private long ops;

  /** The floor's value: one volatile field. */
  static final class Slot {
    volatile long lastSignal;
  }

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "floor");
    Params.atLeast("devices", devices, 1);
    String[] users = TestIds.users(devices);
    String[] channels = new String[devices];
    for (int i = 0; i < devices; i++) {
      channels[i] = "channel-" + users[i].substring(5);
    }
    channelIds = TestIds.copies(channels);
    if (impl.equals("presence")) {
      presence =
          Presence.builder()
              .ticker(Ticker.system())
              .clock(InstantSource.system())
              .scheduler(HeartbeatBenchmark.never())
              .deliveryExecutor(Runnable::run)
              .typingTimeout(Duration.ofDays(1))
              .typingRefreshInterval(Duration.ofHours(23))
              .build();
      PresenceSink sink =
          new PresenceSink() {
            @Override
            public void onPresence(List<UserPresence> changes) {}

            @Override
            public void onTyping(List<TypingEvent> events) {
              typingEvents += events.size();
            }
          };
      typists = new DeviceConnection[devices];
      for (int i = 0; i < devices; i++) {
        typists[i] = presence.connect(users[i], "laptop");
        presence.joinChannel(channels[i], users[i]);
        presence.subscribe("watcher-" + users[i].substring(5), sink).watchChannel(channels[i]);
        typists[i].typing(channels[i]); // the burst begins: its STARTED goes out now
      }
      if (typingEvents != devices) {
        throw new IllegalStateException("expected one STARTED per channel, got " + typingEvents);
      }
      eventsBefore = typingEvents;
    } else {
      floorMap = new ConcurrentHashMap<>();
      for (int i = 0; i < devices; i++) {
        floorMap.put(channels[i], new Slot());
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (presence != null) {
      long duringRun = typingEvents - eventsBefore; // before close(), which ends every burst with a stop
      System.out.printf(
          "%nTYPING-KEYSTROKE impl=presence devices=%d keystrokes=%d typingEventsDuringRun=%d%n",
          devices, ops, duringRun);
      presence.close();
      if (duringRun != 0) {
        throw new IllegalStateException("keystrokes inside bursts sent " + duringRun + " events");
      }
    } else {
      System.out.printf("%nTYPING-KEYSTROKE impl=floor devices=%d keystrokes=%d%n", devices, ops);
    }
  }

  @Benchmark
  public boolean keystroke(Cursor cursor) {
    int i = cursor.next(devices);
    ops++;
    if (typists != null) {
      return typists[i].typing(channelIds[i]);
    }
    floorMap.get(channelIds[i]).lastSignal = System.nanoTime();
    return true;
  }
}
