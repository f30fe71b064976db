package dev.presence;

import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's chosen status: set by the application or by a device (rate-limited per device by a
 * {@link TokenBucket}), and its expiry, kept on this node's timer in line with the record.
 *
 * <p>Locks: the user lock only. {@code setStatus} and {@code setStatusFrom} run on the caller's
 * thread, {@code expireStatus} on the store executor (inline on the timer thread for the in-memory
 * store); each queues its write in the user's {@link UserWrites} under the user lock, and the write
 * commits through {@link Changes} when it lands. A caller waits for its write with no lock held, at
 * most {@code storeTimeout}, and otherwise gets the predicted presence.
 */
final class StatusControl {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  /** How soon a timer retries a store write that failed. */
  private static final long STORE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Longer status expiries are capped to this, which keeps nanosecond deadlines from overflowing. */
  private static final Duration MAX_STATUS_EXPIRY = Duration.ofDays(100 * 365);

  private final Users users;
  private final UserWrites writes;
  private final Ticker ticker;
  private final InstantSource clock;
  private final TimerWheel wheel;
  private final Changes changes;
  private final RunState run;
  /** Runs the expiry's store write off the timer thread (inline for the in-memory store). */
  private final java.util.concurrent.Executor storeCalls;
  private final int changesPerWindow;
  private final long changeWindowNanos;
  private final LongAdder limitRejections;

  StatusControl(
      Users users,
      TimerWheel wheel,
      Changes changes,
      UserWrites writes,
      RunState run,
      EngineSettings settings,
      LongAdder limitRejections) {
    this.users = users;
    this.writes = writes;
    this.ticker = settings.ticker();
    this.clock = settings.clock();
    this.storeCalls = settings.storeCalls();
    this.wheel = wheel;
    this.changes = changes;
    this.run = run;
    this.changesPerWindow = settings.statusChangesPerWindow();
    this.changeWindowNanos = settings.statusChangeWindowNanos();
    this.limitRejections = limitRejections;
  }

  // ---- setting

  /** A status write queued under the user lock, with the presence predicted for it. */
  private record Queued(UserEntry entry, StoreWrite write, UserPresence predicted) {}

  private final StoreWrite.Handler commit = (entry, write, update) -> applied(entry, update);

  private void applied(UserEntry entry, StoreUpdate update) {
    changes.applied(entry, update);
  }

  /** {@link Presence#setStatus}. */
  UserPresence setStatus(String userId, StatusMode mode, String customText, Duration expiresAfter) {
    Ids.check("userId", userId);
    Objects.requireNonNull(mode, "mode");
    String text = Ids.checkCustomText(customText);
    checkExpiresAfter(expiresAfter);
    run.checkOpen();
    return await(users.withLiveEntry(userId, entry -> queue(entry, mode, text, expiresAfter)));
  }

  /** Under the user lock: queues the status write and predicts what it makes of the record. */
  private Queued queue(UserEntry entry, StatusMode mode, String text, Duration expiresAfter) {
    Duration lasts =
        expiresAfter == null || expiresAfter.compareTo(MAX_STATUS_EXPIRY) <= 0 ? expiresAfter : MAX_STATUS_EXPIRY;
    long nowMillis = clock.millis();
    long expiresAtMillis = lasts == null ? 0 : nowMillis + Math.max(1, lasts.toMillis());
    StoreWrite write =
        writes.enqueueAwaited(
            entry, new StoreWrite(null, new StoreMutation.SetStatus(mode, text, expiresAtMillis, nowMillis), commit));
    UserPresence predicted = write.state == StoreWrite.PENDING ? writes.predicted(entry).presence() : null;
    return new Queued(entry, write, predicted);
  }

  /**
   * With no lock held: the presence once the write landed, or the predicted one if it is still queued
   * after {@code storeTimeout} (or the store is out); a refusal is thrown.
   */
  private UserPresence await(Queued queued) {
    int state = writes.await(queued.entry(), queued.write());
    if (state == StoreWrite.LANDED) {
      return queued.write().update.current().presence();
    }
    if (state == StoreWrite.REFUSED) {
      throw queued.write().refusal;
    }
    return queued.predicted();
  }

  /** {@link DeviceConnection#setStatus}: rate-limited per device by a token bucket. */
  UserPresence setStatusFrom(
      DeviceSession session, StatusMode mode, String customText, Duration expiresAfter) {
    Objects.requireNonNull(mode, "mode");
    String text = Ids.checkCustomText(customText);
    checkExpiresAfter(expiresAfter);
    UserEntry entry = session.user;
    Queued queued;
    synchronized (entry) {
      run.checkOpen();
      if (session.phase != DeviceSession.CONNECTED) {
        throw new IllegalStateException(session + " is no longer open");
      }
      long now = ticker.read();
      double tokens = TokenBucket.available(session.statusTokens(), changesPerWindow, changeWindowNanos, now);
      if (tokens < 1) {
        long waitMillis = TokenBucket.millisUntilOne(tokens, changesPerWindow, changeWindowNanos);
        limitRejections.increment();
        throw new LimitExceededException(
            "device "
                + Ids.shown(session.deviceId)
                + " of user "
                + Ids.shown(entry.userId)
                + " changed its status too often; the limit (statusChangeLimit) is "
                + changesPerWindow
                + " per "
                + Duration.ofNanos(changeWindowNanos)
                + ", the next change is allowed in "
                + Duration.ofMillis(waitMillis),
            "statusChangeLimit",
            changesPerWindow);
      }
      queued = queue(entry, mode, text, expiresAfter);
      if (queued.write().state != StoreWrite.REFUSED) {
        session.statusTokens(TokenBucket.take(tokens, now));
      }
    }
    return await(queued);
  }

  private static void checkExpiresAfter(Duration expiresAfter) {
    if (expiresAfter != null && (expiresAfter.isNegative() || expiresAfter.isZero())) {
      throw new IllegalArgumentException("expiresAfter must be positive but was " + expiresAfter);
    }
  }

  // ---- expiry

  /** A status expiry fired on the timer thread: its store write runs on the store executor. */
  void expiryFired(StatusTimer timer) {
    try {
      storeCalls.execute(() -> expireStatus(timer));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      if (!run.closed) {
        wheel.schedule(timer, ticker.read() + STORE_RETRY_NANOS);
      }
    }
  }

  /** On the store executor: queues clearing the status if the record still has this expiry. */
  void expireStatus(StatusTimer timer) {
    UserEntry entry = timer.user;
    synchronized (entry) {
      if (entry.statusTimer != timer) {
        return;
      }
      entry.statusTimer = null;
      try {
        writes.enqueue(
            entry,
            new StoreWrite(null, new StoreMutation.ClearExpiredStatus(timer.expiresAtMillis, clock.millis()), commit));
      } finally {
        users.retireIfUnused(entry);
      }
    }
  }

  /**
   * Under the user lock: keeps this node's status timer in line with the record. Any node that
   * applies a change of the user (a connect, a status change) arms the expiry, so it does not depend
   * on the node that set it staying up.
   */
  void followStatusExpiry(UserEntry entry, long expiresAtMillis) {
    StatusTimer timer = entry.statusTimer;
    if (timer != null && timer.expiresAtMillis == expiresAtMillis) {
      return;
    }
    if (timer != null) {
      wheel.cancel(timer);
      entry.statusTimer = null;
    }
    if (expiresAtMillis != 0) {
      entry.statusTimer = new StatusTimer(wheel.shardOf(entry), this, entry, expiresAtMillis);
      long delayMillis = Math.max(0, expiresAtMillis - clock.millis());
      wheel.schedule(entry.statusTimer, ticker.read() + TimeUnit.MILLISECONDS.toNanos(delayMillis));
    }
  }
}
