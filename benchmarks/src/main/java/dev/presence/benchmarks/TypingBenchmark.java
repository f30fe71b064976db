package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.Subscriber;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.benchmarks.seed.SeedTypingClient;
import dev.presence.benchmarks.seed.SeedTypingReceiver;
import dev.presence.testkit.ManualTime;
import java.util.List;
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
 * Brief §5 row 6, what receivers get: one user types a 20 s burst, one keystroke every 150 ms (134
 * keystrokes), in a channel watched by R receivers, then pauses. One op is one whole burst on
 * simulated time: the 20 s of keystrokes and 6 s after the last one, by when both sides have ended
 * it. The score is the CPU time per burst, all receivers' deliveries included.
 *
 * <ul>
 *   <li>{@code presence}: {@link DeviceConnection#typing} on every keystroke; the engine's defaults
 *       (a refresh to receivers every 5 s of a steady burst, each event expiring 11.6 s after it is
 *       sent; typing timeout 5 s after the last keystroke, so the burst ends with a {@code STOPPED}
 *       5 s after the pause; heartbeat TTL and idle time set
 *       to 300 days, since nobody heartbeats while simulated time runs); the R receivers and the typist
 *       each have a subscriber watching the channel, with a direct delivery executor ({@code
 *       Runnable::run}) so counts are exact.
 *   <li>{@code seed}: the seed's client debounce ({@link SeedTypingClient}: {@code typing-start} on
 *       the first keystroke, {@code typing-stop} 2 s after the last), its server forwarding each to
 *       the room ({@code socket.to(channelId).emit}), and its receiver expiring an indicator 3 s
 *       after the {@code typing} message ({@link SeedTypingReceiver}).
 * </ul>
 *
 * <p>Printed at the end of each trial ({@code TYPING …} line): events each receiver got per burst
 * (by kind for the engine), events the typist got (must be 0), and the share of the burst's
 * keystrokes at which receiver 0 showed the indicator (sampled right after each keystroke). The
 * sinks do the seed's work: receiver 0 tracks the indicator and checks the spacing, the others count
 * (by kind). The trial fails if a receiver got other than one start and one stop per burst, more than
 * 6 events per burst (issue 11's target), two starts or refreshes less than the refresh interval
 * apart (at receiver 0; every receiver gets the same events at the same times), if
 * the indicator was not shown at every sample, or if the typist got any typing event; for the seed,
 * other than two messages per receiver per burst.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TypingBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: no first touch of a heap page inside a measurement (see FanoutBenchmark).
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class TypingBenchmark {
  static final long KEYSTROKE_EVERY_MS = 150;
  static final long BURST_MS = 20_000;
  static final int KEYSTROKES = (int) ((BURST_MS + KEYSTROKE_EVERY_MS - 1) / KEYSTROKE_EVERY_MS);
  static final long TAIL_MS = 6_000;
  static final String CHANNEL = "channel-0000001";
  static final String TYPIST = "typist-0000001";
  /** TTL and idle time of the engine's devices: longer than any run, shorter than the wheel's range. */
  static final java.time.Duration NEVER = java.time.Duration.ofDays(300);

  @Param({"10", "1000"})
  int receivers;

  @Param({"presence", "seed"})
  String impl;

  private ManualTime time;
  private long bursts;
  private long samples;
  private long shownSamples;

  private Presence presence;
  private DeviceConnection typist;
  private Counter[] sinks;
  /** Receiver 0's sink, also {@code sinks[0]}. */
  private Receiver receiver0;
  private Receiver typistSink;
  private long refreshNanos;

  private SeedPresenceServer seed;
  private SeedTypingClient seedClient;
  private SeedTypingReceiver seedReceiver0;
  private SeedCounter[] seedSinks;

  /**
   * A receiver's sink that counts typing events by kind, as the seed's receivers other than the
   * first count messages ({@link SeedCounter}): the trial checks every receiver's counts.
   */
  static class Counter implements PresenceSink {
    long started;
    long refreshed;
    long stopped;

    @Override
    public void onPresence(List<UserPresence> changes) {}

    @Override
    public void onTyping(List<TypingEvent> events) {
      for (TypingEvent event : events) {
        switch (event.kind()) {
          case STARTED -> started++;
          case REFRESHED -> refreshed++;
          case STOPPED -> stopped++;
        }
      }
    }

    long events() {
      return started + refreshed + stopped;
    }
  }

  /**
   * Receiver 0's sink (and the typist's): also checks the spacing of starts and refreshes and shows
   * the indicator, as the seed's first receiver does ({@link SeedTypingReceiver}). Every receiver gets
   * the same events at the same times (one fanout each, a direct executor), so one checks for all.
   */
  final class Receiver extends Counter {
    long lastStartOrRefresh = Long.MIN_VALUE;
    long tooSoon;
    boolean showing;
    long expiresAtMillis;

    @Override
    public void onTyping(List<TypingEvent> events) {
      long now = time.read();
      for (TypingEvent event : events) {
        switch (event.kind()) {
          case STARTED, REFRESHED -> {
            if (event.kind() == TypingEvent.Kind.STARTED) {
              started++;
            } else {
              refreshed++;
              if (now - lastStartOrRefresh < refreshNanos) {
                tooSoon++;
              }
            }
            lastStartOrRefresh = now;
            showing = true;
            expiresAtMillis = event.expiresAt().toEpochMilli();
          }
          case STOPPED -> {
            stopped++;
            showing = false;
          }
        }
      }
    }

    boolean shows() {
      return showing && time.millis() < expiresAtMillis;
    }
  }

  /** A seed client's typing handler that only counts. */
  static final class SeedCounter implements java.util.function.Consumer<SeedPresenceServer.TypingMessage> {
    long messages;

    @Override
    public void accept(SeedPresenceServer.TypingMessage message) {
      messages++;
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence", "seed");
    Params.atLeast("receivers", receivers, 1);
    time = new ManualTime();
    if (impl.equals("presence")) {
      presence =
          Engines.manual(time)
              .deliveryExecutor(Runnable::run)
              .heartbeatTtl(NEVER) // simulated time runs for days; no device may expire meanwhile
              .idleAfter(NEVER)
              .build();
      refreshNanos = dev.presence.PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL.toNanos();
      typist = presence.connect(TYPIST, "laptop");
      presence.joinChannel(CHANNEL, TYPIST);
      typistSink = new Receiver();
      presence.subscribe(typist, typistSink).watchChannel(CHANNEL);
      sinks = new Counter[receivers];
      for (int r = 0; r < receivers; r++) {
        String user = receiver(r);
        DeviceConnection device = presence.connect(user, "phone");
        presence.joinChannel(CHANNEL, user);
        if (r == 0) {
          receiver0 = new Receiver();
          sinks[r] = receiver0;
        } else {
          sinks[r] = new Counter();
        }
        Subscriber subscriber = presence.subscribe(device, sinks[r]);
        subscriber.watchChannel(CHANNEL);
      }
    } else {
      SeedPresenceServer.BroadcastIo io = SeedPresenceServer.Io.broadcast();
      io.muted(true); // connects broadcast presence; not what is measured here
      seed = new SeedPresenceServer(time, time, io);
      SeedPresenceServer.Socket typistSocket = seed.connect(TYPIST, event -> {});
      typistSocket.join(CHANNEL);
      seedClient = new SeedTypingClient(typistSocket, time, CHANNEL);
      seedSinks = new SeedCounter[receivers];
      for (int r = 0; r < receivers; r++) {
        SeedPresenceServer.Socket socket = seed.connect(receiver(r), event -> {});
        socket.join(CHANNEL);
        if (r == 0) {
          seedReceiver0 = new SeedTypingReceiver(CHANNEL, time, time);
          socket.onTyping(seedReceiver0);
        } else {
          seedSinks[r] = new SeedCounter();
          socket.onTyping(seedSinks[r]);
        }
      }
    }
    time.advanceMillis(2_000); // settle: first presence batches out
  }

  private static String receiver(int r) {
    return String.format("receiver-%07d", r);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    double shown = shownSamples / (double) samples;
    if (presence != null) {
      long started = 0;
      long refreshed = 0;
      long stopped = 0;
      long tooSoon = 0;
      for (Counter sink : sinks) {
        started += sink.started;
        refreshed += sink.refreshed;
        stopped += sink.stopped;
      }
      tooSoon = receiver0.tooSoon;
      double perReceiver = (double) receivers * bursts;
      System.out.printf(
          "%nTYPING impl=presence receivers=%d bursts=%d keystrokesPerBurst=%d eventsPerReceiverPerBurst=%.2f"
              + " (started=%.2f refreshed=%.2f stopped=%.2f) typistEvents=%d refreshesTooSoon=%d indicatorShown=%.1f%%%n",
          receivers,
          bursts,
          KEYSTROKES,
          (started + refreshed + stopped) / perReceiver,
          started / perReceiver,
          refreshed / perReceiver,
          stopped / perReceiver,
          typistSink.events(),
          tooSoon,
          100 * shown);
      presence.close();
      for (Counter sink : sinks) {
        if (sink.started != bursts || sink.stopped != bursts) {
          throw new IllegalStateException(
              "a receiver got " + sink.started + " starts and " + sink.stopped + " stops in " + bursts + " bursts");
        }
        if (sink.events() > 6L * bursts) {
          throw new IllegalStateException("a receiver got " + sink.events() + " events in " + bursts + " bursts (target: at most 6 each)");
        }
      }
      if ((started + refreshed + stopped) > 6L * receivers * bursts || shownSamples != samples) {
        throw new IllegalStateException(
            "events per receiver per burst: " + (started + refreshed + stopped) / perReceiver
                + " (target: at most 6); indicator shown at " + shownSamples + " of " + samples + " samples");
      }
      if (tooSoon != 0 || typistSink.events() != 0) {
        throw new IllegalStateException("refreshes too soon: " + tooSoon + ", typing events to the typist: " + typistSink.events());
      }
    } else {
      long messages = seedReceiver0.messages();
      for (int r = 1; r < receivers; r++) {
        messages += seedSinks[r].messages;
      }
      System.out.printf(
          "%nTYPING impl=seed receivers=%d bursts=%d keystrokesPerBurst=%d eventsPerReceiverPerBurst=%.2f"
              + " serverMessagesPerBurst=%.2f indicatorShown=%.1f%%%n",
          receivers,
          bursts,
          KEYSTROKES,
          messages / ((double) receivers * bursts),
          seed.typingEmits() / (double) bursts,
          100 * shown);
      if (messages != 2L * receivers * bursts) {
        throw new IllegalStateException("the seed delivered " + messages + " typing messages in " + bursts + " bursts");
      }
    }
  }

  @Benchmark
  public long burst() {
    bursts++;
    for (int k = 0; k < KEYSTROKES; k++) {
      if (typist != null) {
        typist.typing(CHANNEL);
      } else {
        seedClient.input();
      }
      samples++;
      if (typist != null ? receiver0.shows() : seedReceiver0.shows(TYPIST)) {
        shownSamples++;
      }
      time.advanceMillis(KEYSTROKE_EVERY_MS);
    }
    time.advanceMillis(TAIL_MS);
    return time.read();
  }
}
