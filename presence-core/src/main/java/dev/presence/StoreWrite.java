package dev.presence;

import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import java.util.concurrent.CompletableFuture;

/**
 * One store write in a user's queue ({@link UserWrites}). Its fields are guarded by the user lock,
 * except {@link #woken}, which a waiting caller reads with no lock held.
 */
final class StoreWrite {
  /** What the engine does when the write is settled; both are called under the user lock. */
  interface Handler {
    /** The store took the write: commit its update. */
    void landed(UserEntry entry, StoreWrite write, StoreUpdate update);

    /**
     * The store rejected the write for good ({@code IllegalArgumentException}, such as a {@link
     * LimitExceededException}). Returns true to send the write again at once, with the {@link
     * #mutation} it changed (a claim retried with a local victim), false to drop it.
     */
    default boolean refused(UserEntry entry, StoreWrite write, RuntimeException refusal) {
      return false;
    }
  }

  static final int PENDING = 0;
  static final int LANDED = 1;
  static final int REFUSED = 2;

  /** The connection the write is about (a device write), or null. */
  final DeviceSession session;
  /** What is sent; a refusal handler may change it before the write is sent again. */
  StoreMutation mutation;
  final Handler handler;
  /** Extra state of the handler (the device a claim replaces), or null. */
  DeviceSession victim;

  int state = PENDING;
  /** The write failed at least once for a store reason (a waiting caller need not wait on). */
  boolean failedOnce;
  /** Whether a caller still waits for the outcome (and is told a refusal by an exception). */
  boolean callerWaiting;
  StoreUpdate update;
  RuntimeException refusal;
  /**
   * Completed when the caller should stop waiting: settled, or failed once for a store reason. Made
   * only for a write a caller waits for (the in-memory store's writes settle before anyone waits).
   */
  CompletableFuture<Void> woken;

  /** Set by a stage that completed while it was being sent (inline); read by the sender. */
  boolean inline;
  StoreUpdate inlineUpdate;
  Throwable inlineError;

  StoreWrite(DeviceSession session, StoreMutation mutation, Handler handler) {
    this.session = session;
    this.mutation = mutation;
    this.handler = handler;
  }

  /** Under the user lock: a waiting caller may go on. */
  void wake() {
    if (woken != null) {
      woken.complete(null);
    }
  }
}
