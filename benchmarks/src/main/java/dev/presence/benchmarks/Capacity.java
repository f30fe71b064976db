package dev.presence.benchmarks;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceBuilder;
import dev.presence.PresenceSink;
import dev.presence.PresenceState;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.benchmarks.support.GcPauses;
import dev.presence.benchmarks.support.LagHistogram;
import dev.presence.benchmarks.support.TestIds;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Capacity, end to end (issue 11 item 5): one engine with its own timer thread and delivery pool
 * (the defaults), N connected devices (one per user), the first W users each watched by K
 * subscribers (W subscribers of other users, each watching K of them; sinks that count), and a
 * generator thread that makes status changes (a watched user's device goes idle or comes back) at
 * a fixed rate, step by step. For each step: the rate reached, and the lag from the moment a change
 * was due to its delivery at each watcher's sink (p50, p99, max), with GC pauses and heap. A step
 * passes if it reached 95 % of its rate and the p99 lag is at most flush interval + 200 ms; the
 * steps go up while the generator keeps its rate and the p99 lag stays under 30 s, so the report
 * shows both the highest rate that passes and the highest the engine keeps up with at all. Then the
 * same again with T typists typing without pause (a keystroke
 * every 150 ms each, each in her own channel watched by K subscribers), whose typing lag (start or
 * refresh to sink, from the send time the event's expiry implies) is reported too.
 *
 * <p>Devices also heartbeat, by handle, at the real rate (N per 15 s, on their own thread); TTL and
 * idle time are one day, so no device expires or idles by itself during the run. The lag is taken
 * from when the change was due, not when the generator got to it, so a generator that falls behind
 * shows as lag (no coordinated omission). A delivery whose state is not the one the user has now (a
 * newer change is on its way) is counted as superseded, not timed. The run takes /tmp/jmh.lock, as
 * JMH does, so it never overlaps a JMH measurement (not with {@code --no-lock}).
 *
 * <p>Run: {@code benchmarks/capacity.sh} (full size, about 10 minutes) or {@code
 * benchmarks/capacity.sh --smoke} (smallest size, a few seconds); options below in {@link #main}.
 */
public final class Capacity {
  private static final long KEYSTROKE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(150);
  private static final long HEARTBEAT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(15);

  private final int users;
  private final int watched;
  private final int watchers;
  private final int typists;
  private final int seconds;
  private final Duration flush;
  private final long[] rates;
  private final PrintStream out;

  private final LagHistogram statusLag = new LagHistogram();
  private final LagHistogram typingLag = new LagHistogram();
  private final LongAdder superseded = new LongAdder();
  private final LongAdder typingEvents = new LongAdder();
  /** Per watched user: when its last change was due (ticker nanos), and how many changes it had. */
  private final AtomicLongArray dueAt;
  private final AtomicIntegerArray flips;
  private final GcPauses gc = new GcPauses();
  /** What an event's expiry lies beyond its sending: timeout + refresh + flush + one tick + 0.5 s. */
  private final long typingExpiryMillis;
  private volatile boolean typing;
  private volatile boolean stopping;

  private Presence presence;
  private DeviceConnection[] devices;

  private Capacity(String[] args, PrintStream out) {
    int n = 1_000_000;
    int w = 100_000;
    int k = 50;
    int t = 1_000;
    int s = 20;
    long flushMs = PresenceBuilder.DEFAULT_FLUSH_INTERVAL.toMillis();
    long[] r = {200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000};
    for (int i = 0; i + 1 < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--users" -> n = Integer.parseInt(value);
        case "--watched" -> w = Integer.parseInt(value);
        case "--watchers" -> k = Integer.parseInt(value);
        case "--typists" -> t = Integer.parseInt(value);
        case "--seconds" -> s = Integer.parseInt(value);
        case "--flush-ms" -> flushMs = Long.parseLong(value);
        case "--rates" -> r = Arrays.stream(value.split(",")).mapToLong(Long::parseLong).toArray();
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (w < 1 || k < 1 || k >= w || t < 0 || n < 2 * w + t || (long) t * k > w || s < 1 || r.length == 0) {
      throw new IllegalArgumentException(
          "need 1 <= watchers < watched, users >= 2 * watched + typists, typists * watchers <= watched,"
              + " seconds >= 1 and a rate; got users=" + n + " watched=" + w + " watchers=" + k + " typists=" + t);
    }
    this.users = n;
    this.watched = w;
    this.watchers = k;
    this.typists = t;
    this.seconds = s;
    this.flush = Duration.ofMillis(flushMs);
    this.rates = r;
    this.out = out;
    this.dueAt = new AtomicLongArray(w);
    this.flips = new AtomicIntegerArray(w);
    this.typingExpiryMillis =
        PresenceBuilder.DEFAULT_TYPING_TIMEOUT
            .plus(PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL)
            .plus(flush)
            .plus(PresenceBuilder.DEFAULT_TIMER_RESOLUTION)
            .plusMillis(500)
            .toMillis();
  }

  /**
   * Options (each {@code --name value}): {@code --users} connected devices, one per user (1,000,000);
   * {@code --watched} users watched (100,000); {@code --watchers} subscribers per watched user and
   * per typing channel (50); {@code --typists} concurrent bursts in the typing phase (1,000; 0 skips
   * it); {@code --seconds} per step (20); {@code --rates} status changes per second, one step each
   * (200,500,1000,2000,5000,...,200000); {@code --flush-ms} the flush interval (1000); {@code --out} a file
   * that gets the report too; {@code --no-lock} does not take /tmp/jmh.lock.
   */
  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    boolean lock = !rest.remove("--no-lock");
    int outAt = rest.indexOf("--out");
    PrintStream report = System.out;
    if (outAt >= 0) {
      Path file = Path.of(rest.remove(outAt + 1));
      rest.remove(outAt);
      report = new Tee(System.out, new PrintStream(Files.newOutputStream(file), true, "UTF-8"));
    }
    report.println("# Capacity " + String.join(" ", args) + " (java " + System.getProperty("java.version") + ")");
    Capacity capacity = new Capacity(rest.toArray(String[]::new), report);
    try (FileChannel channel = lock ? FileChannel.open(Path.of("/tmp/jmh.lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE) : null;
        FileLock held = lock ? waitFor(channel) : null) {
      capacity.run();
    }
    report.flush();
  }

  private static FileLock waitFor(FileChannel channel) throws IOException, InterruptedException {
    boolean told = false;
    while (true) {
      FileLock held = channel.tryLock();
      if (held != null) {
        return held;
      }
      if (!told) {
        System.err.println("waiting for /tmp/jmh.lock (a JMH run is measuring)");
        told = true;
      }
      Thread.sleep(50); // JMH runs queued back to back leave the lock free only briefly
    }
  }

  private void run() throws InterruptedException {
    out.printf(
        "# users=%d watched=%d watchersPerUser=%d typists=%d secondsPerStep=%d flush=%s cores=%d maxHeapMB=%d%n",
        users, watched, watchers, typists, seconds, flush, Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20);
    long heapBefore = usedAfterGc();
    long setUpStart = System.nanoTime();
    setUp();
    long heapAfter = usedAfterGc();
    out.printf(
        "# set-up %.1f s; heap in use after GC: %d MB before, %d MB after (%.0f B per device incl. its share of %d"
            + " subscriptions)%n",
        (System.nanoTime() - setUpStart) / 1e9, heapBefore >> 20, heapAfter >> 20,
        (heapAfter - heapBefore) / (double) users, (long) watched * watchers + (long) typists * watchers);
    Thread heartbeats = start("heartbeats", this::heartbeats);
    long best = steps("status");
    long bestWithTyping = -1;
    if (typists > 0) {
      typing = true;
      Thread typingThread = start("typists", this::typists);
      Thread.sleep(2_000); // every burst started
      bestWithTyping = steps("status+typing");
      typing = false;
      typingThread.join();
    }
    stopping = true;
    heartbeats.join();
    out.printf("RESULT status changes per second sustained with p99 lag <= %d ms: %s%n",
        flush.toMillis() + 200, best < 0 ? "none of the rates tried" : best);
    if (typists > 0) {
      out.printf("RESULT the same with %d typists: %s%n", typists, bestWithTyping < 0 ? "none of the rates tried" : bestWithTyping);
    }
    presence.close();
  }

  private void setUp() {
    presence =
        Presence.builder()
            .heartbeatTtl(Duration.ofDays(1))
            .idleAfter(Duration.ofDays(1))
            .flushInterval(flush)
            .build();
    String[] ids = TestIds.users(users);
    devices = new DeviceConnection[users];
    for (int u = 0; u < users; u++) {
      devices[u] = presence.connect(ids[u], TestIds.device(0));
    }
    // Subscriber s (a user outside the watched ones) watches users s + j * stride (mod W), j = 1..K:
    // each watched user gets exactly K watchers, scattered over the subscribers.
    int stride = coprimeStride(watched);
    for (int s = 0; s < watched; s++) {
      List<String> targets = new ArrayList<>(watchers);
      for (int j = 1; j <= watchers; j++) {
        targets.add(ids[(int) ((s + (long) j * stride) % watched)]);
      }
      var subscriber = presence.subscribe(ids[watched + s], new CountingSink());
      subscriber.watchUsers(targets);
      if (s < typists * watchers) { // channel of typist s % T: K subscribers each
        subscriber.watchChannel(channel(s % typists));
      }
    }
    for (int c = 0; c < typists; c++) {
      presence.joinChannel(channel(c), ids[2 * watched + c]);
    }
  }

  private static int coprimeStride(int w) {
    int stride = 7919;
    while (gcd(stride, w) != 1) {
      stride += 2;
    }
    return stride % w == 0 ? 1 : stride;
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static String channel(int c) {
    return "room-" + c;
  }

  /**
   * Runs the rates in order while the generator keeps up and the p99 lag is under 30 s; returns the
   * highest that passed, or -1.
   */
  private long steps(String phase) throws InterruptedException {
    long best = -1;
    for (long rate : rates) {
      statusLag.reset();
      typingLag.reset();
      superseded.reset();
      typingEvents.reset();
      gc.reset();
      long cpuBefore = processCpuNanos();
      long start = System.nanoTime();
      long made = generate(rate, start, start + TimeUnit.SECONDS.toNanos(seconds));
      double reached = made / ((System.nanoTime() - start) / 1e9);
      Thread.sleep(flush.toMillis() + 1_000); // the last changes' windows close
      double cores = (processCpuNanos() - cpuBefore) / (double) (System.nanoTime() - start);
      long p99 = statusLag.percentileMillis(0.99);
      boolean pass = reached >= 0.95 * rate && p99 >= 0 && p99 <= flush.toMillis() + 200;
      out.printf(
          "STEP phase=%s rate=%d reached=%.0f deliveries=%d superseded=%d lagMs(p50/p99/max)=%d/%d/%d"
              + " typingEvents=%d typingLagMs(p50/p99/max)=%d/%d/%d cpuCores=%.2f %s %s%n",
          phase, rate, reached, statusLag.count(), superseded.sum(), statusLag.percentileMillis(0.5), p99,
          statusLag.percentileMillis(1.0), typingEvents.sum(), typingLag.percentileMillis(0.5),
          typingLag.percentileMillis(0.99), typingLag.percentileMillis(1.0), cores, gc.summary(),
          pass ? "PASS" : "FAIL");
      if (pass) {
        best = rate;
      }
      if (reached < 0.95 * rate || p99 < 0 || p99 > 30_000) {
        break; // saturated: higher rates tell nothing more
      }
    }
    return best;
  }

  /** Status changes at {@code rate} per second from {@code start} to {@code end}; returns how many. */
  private long generate(long rate, long start, long end) {
    SplittableRandom random = new SplittableRandom(rate);
    double every = 1e9 / rate;
    long made = 0;
    while (true) {
      long due = start + (long) (made * every);
      if (due >= end) {
        return made;
      }
      waitUntil(due);
      int u = random.nextInt(watched);
      dueAt.set(u, due);
      int flip = flips.incrementAndGet(u);
      devices[u].setIdle((flip & 1) == 1);
      made++;
    }
  }

  /**
   * Sleeps until {@code due}, at least 1 ms at a time: a thread that spins, or wakes for every
   * operation, would take a core from the engine; what fell due meanwhile then goes out in a burst,
   * and its lag counts from when it was due.
   */
  private static void waitUntil(long due) {
    if (due - System.nanoTime() > 0) {
      LockSupport.parkNanos(Math.max(due - System.nanoTime(), 1_000_000));
    }
  }

  private void heartbeats() {
    long every = HEARTBEAT_EVERY_NANOS / users;
    long next = System.nanoTime();
    for (int i = 0; !stopping; i = (i + 1) % users) {
      next += every;
      waitUntil(next);
      devices[i].heartbeat();
    }
  }

  private void typists() {
    long every = KEYSTROKE_EVERY_NANOS / typists;
    long next = System.nanoTime();
    for (int i = 0; typing; i = (i + 1) % typists) {
      next += every;
      waitUntil(next);
      devices[2 * watched + i].typing(channel(i));
    }
    for (int c = 0; c < typists; c++) {
      devices[2 * watched + c].stopTyping(channel(c));
    }
  }

  private static Thread start(String name, Runnable task) {
    Thread thread = new Thread(task, "capacity-" + name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /** One full GC, not several: at 1M devices one takes seconds, and several in a row outlast the node lease. */
  private static long usedAfterGc() {
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    return runtime.totalMemory() - runtime.freeMemory();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** A subscriber's sink: times each delivered change against when it was due, and each typing event. */
  private final class CountingSink implements PresenceSink {
    @Override
    public void onPresence(List<UserPresence> changes) {
      long now = System.nanoTime();
      for (UserPresence change : changes) {
        int u = TestIds.indexOf(change.userId());
        if (u >= watched) {
          continue; // a typist (a channel member) coming online at set-up
        }
        boolean idleNow = (flips.get(u) & 1) == 1;
        if ((change.state() == PresenceState.IDLE) == idleNow) {
          statusLag.record(now - dueAt.get(u));
        } else {
          superseded.increment();
        }
      }
    }

    @Override
    public void onTyping(List<TypingEvent> events) {
      long nowMillis = System.currentTimeMillis();
      for (TypingEvent event : events) {
        typingEvents.increment();
        if (event.kind() != TypingEvent.Kind.STOPPED) {
          long sentAt = event.expiresAt().toEpochMilli() - typingExpiryMillis;
          typingLag.record(TimeUnit.MILLISECONDS.toNanos(nowMillis - sentAt));
        }
      }
    }
  }

  /** Prints to two streams: the console and the report file. */
  private static final class Tee extends PrintStream {
    private final PrintStream second;

    Tee(PrintStream first, PrintStream second) {
      super(first, true);
      this.second = second;
    }

    @Override
    public void write(byte[] buf, int off, int len) {
      super.write(buf, off, len);
      second.write(buf, off, len);
    }

    @Override
    public void flush() {
      super.flush();
      second.flush();
    }
  }
}
