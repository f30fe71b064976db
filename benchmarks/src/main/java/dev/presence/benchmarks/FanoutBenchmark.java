package dev.presence.benchmarks;

import dev.presence.benchmarks.support.Params;
import dev.presence.benchmarks.support.Engines;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.benchmarks.seed.SeedPresenceServer;
import dev.presence.testkit.ManualTime;
import dev.presence.benchmarks.support.TestIds;
import java.time.Duration;
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
 * Brief §5 row 4: fanout of one change to M subscribers. One user (the target) changes; M watchers
 * each have a subscriber watching it; 10 × M other connected clients each have a subscriber watching
 * someone else (ids in watch lists are copies, as parsed from each client's request, not the
 * instances the engine got at connect). One op is one change of the target: its device's {@code setIdle} toggles, so every
 * op changes what others see. Divide the score (and {@code gc.alloc.rate.norm}) by M for the cost
 * per recipient; the op also holds the change's own fixed cost (store write, listeners), which the
 * M = 10 rows show.
 *
 * <ul>
 *   <li>{@code presence-offer}: the engine-side routing alone, on frozen simulated time with the
 *       default 1 s flush interval, so no boundary passes during the run (the steady state of a
 *       user who changes more than once per window). Since issue 11's sixth round a public change
 *       is written once into the user's audience, which waits for the window's boundary to reach
 *       its watchers ({@code AlignedFanout}): this row no longer touches a watcher at all. Before,
 *       each change was offered to the M watchers' coalescing buffers.
 *   <li>{@code presence-flush}: the full path as configured in production: the change, then the op
 *       advances simulated time by one tick (100 ms, with a 100 ms flush interval, so every tick is
 *       a window boundary) and each of the M watchers' sinks is called with a one-entry batch, on a
 *       direct delivery executor ({@code Runnable::run}).
 *   <li>{@code presence-immediate}: flush interval 0: each offer flushes at once and calls the sink
 *       (direct executor), no timer involved.
 *   <li>{@code seed}: {@code socket.on('status')} of the target: {@code io.emit} to every connected
 *       client, the M watchers and the 10 × M others alike.
 *   <li>{@code floor}: what the machine allows for the full path's irreducible part: each change
 *       calls each of the M watchers' counting sinks once, in a plain loop over an array of them, with
 *       one shared one-entry batch per change. The heap is the engine's: the same engine, clients and
 *       subscribers as {@code presence-flush} are set up, so the sinks lie where the engine's do,
 *       allocated interleaved with every client's sessions, subscribers and edges; only the change
 *       bypasses the engine. One scattered object (the sink) per recipient, no lock, no timer.
 *   <li>{@code floor-window}: the least an aligned throttle window per subscriber needs, on the same
 *       heap: each watcher has a window object, allocated right after its subscriber (so it lies
 *       where the engine's subscriber does) and pointing at its sink. At each boundary (every op is
 *       one window) every watcher's window is claimed for this window with one CAS of its number,
 *       which is what keeps a subscriber to one batch per window, and its sink is called with the
 *       change's shared batch: one atomic touch of one scattered object and one call of another per
 *       recipient, in one pass, loading a chunk ahead as the engine does. No edges, queues, timers,
 *       executor or monitor.
 * </ul>
 *
 * <p>Every sink (and every seed client) counts what it gets. Printed at the end of each trial
 * ({@code FANOUT …} line): clients connected, clients that got each change (recipients per change),
 * and batches per watcher. The trial fails if a client that does not watch the target got it, or a
 * watcher missed one: in the flush modes every watcher must get every change; in {@code
 * presence-offer} the teardown flushes once and every watcher (and nobody else) must get exactly one
 * batch.
 *
 * <p>Allocation: JMH runs the trial tear-down (with its check flush at {@code presence-offer}) inside
 * the last measured iteration, and {@code -prof gc} charges what it allocates to that iteration's
 * operations; at M = 100,000, with a few thousand operations per iteration, that adds about 1 KB per
 * operation to the last iteration alone. Read the per-iteration figures, not only their mean.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar FanoutBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// AlwaysPreTouch: an 8 GB heap that is committed but never touched makes the first pass of the young
// generation over it fault in every page, and G1 grows the young generation after ~2 s: a change at
// M = 10 cost 1.8 µs from then on in every fork, against 0.18 µs with the heap touched up front.
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class FanoutBenchmark {
  static final int OTHERS_PER_WATCHER = 10;
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  @Param({"10", "1000", "100000"})
  int subscribers;

  @Param({"presence-offer", "presence-flush", "presence-immediate", "seed", "floor", "floor-window"})
  String impl;

  private ManualTime time;
  private boolean advance;
  private boolean idle;
  private long ops;
  private int others;

  private Presence presence;
  private DeviceConnection target;
  private CountingSink[] watcherSinks;
  private CountingSink[] otherSinks;

  /** {@code floor}: the watchers' sinks in an array, and the two batches a change alternates between. */
  private boolean floor;
  private List<UserPresence> floorOnline;
  private List<UserPresence> floorIdle;
  /** {@code floor-window}: each watcher's window. */
  private boolean floorWindow;
  private Window[] windows;

  private SeedPresenceServer.Socket seedTarget;
  private SeedPresenceServer.BroadcastIo io;
  private SeedClient[] seedWatchers;
  private SeedClient[] seedOthers;

  /** A subscriber's sink: counts batches and entries, and whether any was about someone unexpected. */
  static final class CountingSink implements PresenceSink {
    final String expected;
    long batches;
    long entries;
    long unexpected;

    CountingSink(String expected) {
      this.expected = expected;
    }

    @Override
    public void onPresence(List<UserPresence> changes) {
      batches++;
      for (int i = 0, n = changes.size(); i < n; i++) {
        if (!expected.equals(changes.get(i).userId())) {
          unexpected++;
        }
        entries++;
      }
    }

    @Override
    public void onTyping(List<TypingEvent> events) {}

    void reset() {
      batches = 0;
      entries = 0;
      unexpected = 0;
    }
  }

  /** {@code floor-window}: one watcher's throttle window, reduced to the number of the last window it had a batch in. */
  static final class Window {
    private static final java.lang.invoke.VarHandle LAST;

    static {
      try {
        LAST = java.lang.invoke.MethodHandles.lookup().findVarHandle(Window.class, "last", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final CountingSink sink;
    /** The last window this watcher got a batch in; read ahead of the CAS, written through {@link #LAST}. */
    volatile long last = -1;

    Window(CountingSink sink) {
      this.sink = sink;
    }

    /** Claims window {@code k} for a batch; false if this watcher had one in it already. */
    boolean claim(long k) {
      long seen = last;
      return seen != k && LAST.compareAndSet(this, seen, k);
    }
  }

  /** A seed client's handler: counts the events it gets. */
  static final class SeedClient implements java.util.function.Consumer<SeedPresenceServer.PresenceEvent> {
    long events;

    @Override
    public void accept(SeedPresenceServer.PresenceEvent event) {
      events++;
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    Params.oneOf("impl", impl, "presence-offer", "presence-flush", "presence-immediate", "seed", "floor", "floor-window");
    Params.atLeast("subscribers", subscribers, 1);
    others = OTHERS_PER_WATCHER * subscribers;
    time = new ManualTime();
    // Ids: 0 is the target, 1..M the watchers, M+1..M+others the others.
    String[] users = TestIds.users(1 + subscribers + others);
    String device = TestIds.device(0);
    if (impl.startsWith("presence") || impl.startsWith("floor")) {
      floor = impl.equals("floor");
      floorWindow = impl.equals("floor-window");
      Duration flush =
          switch (impl) {
            case "presence-offer" -> Duration.ofSeconds(1);
            case "presence-flush", "floor", "floor-window" -> Duration.ofNanos(TICK_NANOS);
            case "presence-immediate" -> Duration.ZERO;
            default -> throw new IllegalArgumentException(impl);
          };
      advance = impl.equals("presence-flush");
      presence =
          Engines.manual(time)
              .timerResolution(Duration.ofNanos(TICK_NANOS))
              .flushInterval(flush)
              .deliveryExecutor(Runnable::run)
              .heartbeatTtl(TypingBenchmark.NEVER) // simulated time runs for days in presence-flush
              .idleAfter(TypingBenchmark.NEVER)
              .build();
      target = presence.connect(users[0], device);
      watcherSinks = new CountingSink[subscribers];
      windows = floorWindow ? new Window[subscribers] : null;
      for (int i = 0; i < subscribers; i++) {
        String user = users[1 + i];
        watcherSinks[i] = new CountingSink(users[0]);
        // Each watcher's list is its own copy of the id, as parsed from its own request.
        presence.subscribe(presence.connect(user, device), watcherSinks[i]).watchUsers(List.of(copy(users[0])));
        if (floorWindow) {
          windows[i] = new Window(watcherSinks[i]); // allocated right after the subscriber and its edge
        }
      }
      otherSinks = new CountingSink[others];
      for (int j = 0; j < others; j++) {
        String user = users[1 + subscribers + j];
        String theirs = users[1 + subscribers + (j + 1) % others];
        otherSinks[j] = new CountingSink(theirs);
        presence.subscribe(presence.connect(user, device), otherSinks[j]).watchUsers(List.of(copy(theirs)));
      }
      time.advanceMillis(2_000); // settle: the connects' first batches go out
      for (CountingSink sink : watcherSinks) {
        sink.reset();
      }
      for (CountingSink sink : otherSinks) {
        sink.reset();
      }
      if (floor || floorWindow) {
        // The target's two public views, as a one-entry batch each (the engine's shared batch per change).
        floorOnline = List.of(new UserPresence(users[0], dev.presence.PresenceState.ONLINE, null, null, 1));
        floorIdle = List.of(new UserPresence(users[0], dev.presence.PresenceState.IDLE, null, null, 2));
      }
    } else {
      io = SeedPresenceServer.Io.broadcast();
      io.muted(true); // every connect broadcasts; N²/2 deliveries are not what is measured
      SeedPresenceServer seed = new SeedPresenceServer(time, time, io);
      seedTarget = seed.connect(users[0], event -> {});
      seedWatchers = new SeedClient[subscribers];
      for (int i = 0; i < subscribers; i++) {
        seedWatchers[i] = new SeedClient();
        seed.connect(users[1 + i], seedWatchers[i]);
      }
      seedOthers = new SeedClient[others];
      for (int j = 0; j < others; j++) {
        seedOthers[j] = new SeedClient();
        seed.connect(users[1 + subscribers + j], seedOthers[j]);
      }
      io.muted(false);
    }
  }

  static String copy(String id) {
    return new String(id.toCharArray());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    int connected = 1 + subscribers + others;
    if (presence != null) {
      if (impl.equals("presence-offer")) {
        if (ops % 2 == 0) {
          target.setIdle(idle = !idle); // an even number of toggles cancels out: nothing would go
        }
        time.advanceMillis(1_100); // flush what the run left pending: one batch per watcher
      }
      long watcherBatches = 0;
      long watcherEntries = 0;
      long missed = 0;
      long unexpected = 0;
      long expectedBatches = impl.equals("presence-offer") ? 1 : ops;
      for (CountingSink sink : watcherSinks) {
        watcherBatches += sink.batches;
        watcherEntries += sink.entries;
        unexpected += sink.unexpected;
        if (sink.batches != expectedBatches) {
          missed++;
        }
      }
      long otherEntries = 0;
      for (CountingSink sink : otherSinks) {
        otherEntries += sink.entries;
      }
      System.out.printf(
          "%nFANOUT impl=%s subscribers=%d connected=%d changes=%d recipientsPerChange=%s batchesPerWatcher=%.2f"
              + " entriesPerBatch=%.2f othersReached=%d watchersMissed=%d%n",
          impl,
          subscribers,
          connected,
          ops,
          impl.equals("presence-offer")
              ? subscribers + " (the audience waits for its boundary; checked by one flush at the end)"
              : String.format("%.2f", watcherBatches / (double) ops),
          watcherBatches / (double) subscribers,
          watcherEntries / (double) Math.max(1, watcherBatches),
          otherEntries,
          missed);
      // No presence.close(): JMH runs this trial tear-down inside the last measured iteration, and
      // closing 1.1 M subscribers allocates hundreds of MB that -prof gc would charge to that
      // iteration's few operations (the "4.8 MB per change" once reported at M = 100,000). The
      // engine's timers and delivery are inline on ManualTime, so nothing runs on after the trial.
      if (otherEntries != 0 || unexpected != 0 || missed != 0) {
        throw new IllegalStateException(
            "fanout reached " + otherEntries + " non-watchers, " + unexpected + " wrong entries, " + missed + " watchers missed changes");
      }
    } else {
      long watcherEvents = 0;
      for (SeedClient client : seedWatchers) {
        watcherEvents += client.events;
      }
      long otherEvents = 0;
      for (SeedClient client : seedOthers) {
        otherEvents += client.events;
      }
      System.out.printf(
          "%nFANOUT impl=seed subscribers=%d connected=%d changes=%d recipientsPerChange=%.1f watchersReachedPerChange=%.1f"
              + " othersReachedPerChange=%.1f%n",
          subscribers,
          connected,
          ops,
          io.deliveries() / (double) ops,
          watcherEvents / (double) ops,
          otherEvents / (double) ops);
      if (watcherEvents != (long) subscribers * ops) {
        throw new IllegalStateException("the seed's broadcast missed watchers");
      }
    }
  }

  @Benchmark
  public boolean change() {
    ops++;
    idle = !idle;
    if (floor) {
      List<UserPresence> batch = idle ? floorIdle : floorOnline;
      CountingSink[] sinks = watcherSinks;
      for (int i = 0; i < sinks.length; i++) {
        sinks[i].onPresence(batch);
      }
      return idle;
    }
    if (floorWindow) {
      return changeThroughWindows();
    }
    if (target != null) {
      boolean changed = target.setIdle(idle);
      if (advance) {
        time.advanceNanos(TICK_NANOS);
      }
      return changed;
    }
    seedTarget.status(idle ? "idle" : "online");
    return true;
  }

  /**
   * {@code floor-window}: the boundary after the change claims every watcher's window and calls its
   * sink, {@link #AHEAD} watchers at a time: their windows and sinks are loaded before the CASes, as
   * the engine does, since a locked instruction waits for the cache miss before it.
   */
  private boolean changeThroughWindows() {
    List<UserPresence> batch = idle ? floorIdle : floorOnline;
    Window[] all = windows;
    long k = ops;
    long loaded = 0;
    for (int start = 0; start < all.length; start += AHEAD) {
      int end = Math.min(all.length, start + AHEAD);
      for (int i = start; i < end; i++) {
        loaded += all[i].last + all[i].sink.batches;
      }
      for (int i = start; i < end; i++) {
        Window window = all[i];
        if (window.claim(k)) {
          window.sink.onPresence(batch);
        }
      }
    }
    return loaded != 0;
  }

  /** Windows loaded ahead of their CASes in {@code floor-window}, as the engine loads edges. */
  private static final int AHEAD = 32;
}
