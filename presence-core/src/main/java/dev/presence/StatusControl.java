package dev.presence;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.PresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's chosen status: set by the application or by a device (rate-limited per device by a
 * {@link TokenBucket}), and its expiry, kept on this node's timer in line with the record.
 *
 * <p>Locks: the user lock only. {@code setStatus} and {@code setStatusFrom} run on the caller's
 * thread, {@code expireStatus} on the store executor (inline on the timer thread for the in-memory
 * store); each writes the store and commits through {@link Changes} under the user lock.
 */
final class StatusControl {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  /** How soon a timer retries a store write that failed. */
  private static final long STORE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Longer status expiries are capped to this, which keeps nanosecond deadlines from overflowing. */
  private static final Duration MAX_STATUS_EXPIRY = Duration.ofDays(100 * 365);

  private final Users users;
  private final PresenceStore store;
  private final AggregationPolicy policy;
  private final Ticker ticker;
  private final InstantSource clock;
  private final TimerWheel wheel;
  private final Changes changes;
  private final RunState run;
  /** Counts failed store calls started by timers ({@link PresenceStats#storeFailures()}). */
  private final java.util.concurrent.atomic.LongAdder failures;
  /** Runs the expiry's store write off the timer thread (inline for the in-memory store). */
  private final java.util.concurrent.Executor storeCalls;
  private final int changesPerWindow;
  private final long changeWindowNanos;

  StatusControl(
      Users users,
      TimerWheel wheel,
      Changes changes,
      RunState run,
      EngineSettings settings,
      java.util.concurrent.atomic.LongAdder failures) {
    this.users = users;
    this.failures = failures;
    this.store = settings.store();
    this.policy = settings.policy();
    this.ticker = settings.ticker();
    this.clock = settings.clock();
    this.storeCalls = settings.storeCalls();
    this.wheel = wheel;
    this.changes = changes;
    this.run = run;
    this.changesPerWindow = settings.statusChangesPerWindow();
    this.changeWindowNanos = settings.statusChangeWindowNanos();
  }

  // ---- setting

  /** {@link Presence#setStatus}. */
  UserPresence setStatus(String userId, StatusMode mode, String customText, Duration expiresAfter) {
    Ids.check("userId", userId);
    Objects.requireNonNull(mode, "mode");
    String text = Ids.checkCustomText(customText);
    checkExpiresAfter(expiresAfter);
    Duration lasts =
        expiresAfter == null || expiresAfter.compareTo(MAX_STATUS_EXPIRY) <= 0
            ? expiresAfter
            : MAX_STATUS_EXPIRY;
    run.checkOpen();
    return users.withLiveEntry(
        userId,
        entry -> {
          long nowMillis = clock.millis();
          long expiresAtMillis = lasts == null ? 0 : nowMillis + Math.max(1, lasts.toMillis());
          StoreUpdate update =
              store.apply(userId, new StoreMutation.SetStatus(mode, text, expiresAtMillis, nowMillis), policy);
          changes.applied(entry, update);
          return update.current().presence();
        });
  }

  /** {@link DeviceConnection#setStatus}: rate-limited per device by a token bucket. */
  UserPresence setStatusFrom(
      DeviceSession session, StatusMode mode, String customText, Duration expiresAfter) {
    Objects.requireNonNull(mode, "mode");
    Ids.checkCustomText(customText);
    checkExpiresAfter(expiresAfter);
    UserEntry entry = session.user;
    synchronized (entry) {
      run.checkOpen();
      if (session.phase != DeviceSession.CONNECTED) {
        throw new IllegalStateException(session + " is no longer open");
      }
      long now = ticker.read();
      double tokens = TokenBucket.available(session.statusTokens, changesPerWindow, changeWindowNanos, now);
      if (tokens < 1) {
        long waitMillis = TokenBucket.millisUntilOne(tokens, changesPerWindow, changeWindowNanos);
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
      UserPresence result = setStatus(entry.userId, mode, customText, expiresAfter);
      session.statusTokens = TokenBucket.take(tokens, now);
      return result;
    }
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

  /** On the store executor: clears the status if the record still has this expiry. */
  void expireStatus(StatusTimer timer) {
    UserEntry entry = timer.user;
    synchronized (entry) {
      if (entry.statusTimer != timer) {
        return;
      }
      try {
        StoreUpdate update =
            store.apply(
                entry.userId,
                new StoreMutation.ClearExpiredStatus(timer.expiresAtMillis, clock.millis()),
                policy);
        entry.statusTimer = null;
        changes.applied(entry, update);
      } catch (RuntimeException e) {
        failures.increment();
        log.warn("clearing the expired status of {} failed; retrying in 1 s", Ids.shown(entry.userId), e);
        wheel.schedule(timer, ticker.read() + STORE_RETRY_NANOS);
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
      entry.statusTimer = new StatusTimer(this, entry, expiresAtMillis);
      long delayMillis = Math.max(0, expiresAtMillis - clock.millis());
      wheel.schedule(entry.statusTimer, ticker.read() + TimeUnit.MILLISECONDS.toNanos(delayMillis));
    }
  }
}
