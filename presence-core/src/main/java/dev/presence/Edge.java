package dev.presence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * What one subscriber knows of one user it can see, directly or through watched channels. Guarded by
 * the subscriber's monitor, except {@link #queued} and {@link #nextDirty}, which an audience's
 * expansion ({@link AlignedFanout}) also sets without it when it queues the edge ({@link #tryQueue},
 * {@link Outbox#push}).
 */
final class Edge {
  private static final VarHandle QUEUED;

  static {
    try {
      QUEUED = MethodHandles.lookup().findVarHandle(Edge.class, "queued", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** {@link #deliveredVersion()} of an edge with no baseline yet. */
  static final long NO_BASELINE = -1;

  final String userId;
  final RealSubscriber subscriber;
  /** The user is the watcher herself: she gets her own view, not the public one. */
  final boolean own;
  boolean direct;
  int channelRefs;
  /**
   * What the sink has (or the snapshot gave), kept as the three things compared with it: its version
   * ({@link #NO_BASELINE} until the first snapshot of the user), state and text. Not the {@link
   * UserPresence} itself: a flush to 100,000 watchers would store a new object into 100,000 old edges,
   * and under G1 each such store pays a card-marking barrier with a fence and, mostly, a dirty card
   * to refine; primitives pay none, and the text is written only when it changes.
   */
  private long deliveredVersion = NO_BASELINE;
  private byte deliveredState;
  private String deliveredText;
  /** The latest change not yet delivered, or null (an {@link Audience}'s latest may be newer). */
  UserPresence pending;
  /**
   * Whether the edge is in its subscriber's queue (its incoming stack or its dirty list). Set only by
   * {@link #tryQueue} (with or without the monitor), so exactly one caller links a queued edge; cleared
   * by the flush that takes it out, under the monitor, before it reads the audience's latest.
   */
  volatile boolean queued;
  /**
   * The next edge in the subscriber's incoming stack or dirty list: written by whoever won {@link
   * #tryQueue}, before it publishes the edge (the stack's CAS), and under the monitor afterwards.
   */
  Edge nextDirty;
  /** The subscriber no longer sees the user; a queued edge is skipped. */
  boolean removed;
  /** The pending presence goes out even if it looks like what was delivered (visibility changed). */
  boolean forced;
  /** The audience this edge is in while the user is watched directly; written under both locks. */
  Audience audience;
  /** Its index in the audience's array. */
  int audienceSlot;

  Edge(String userId, RealSubscriber subscriber) {
    this.userId = userId;
    this.subscriber = subscriber;
    this.own = subscriber.isWatcher(userId);
  }

  /** Marks the edge queued; whether this call did (and must therefore link it), with or without the monitor. */
  boolean tryQueue() {
    return !queued && QUEUED.compareAndSet(this, false, true);
  }

  long knownVersion() {
    return pending != null ? pending.version() : deliveredVersion;
  }

  /** Whether the subscriber has a baseline of the user (a snapshot, or "unknown" for a new channel member). */
  boolean hasBaseline() {
    return deliveredVersion != NO_BASELINE;
  }

  /** The version of what the sink has; {@link #NO_BASELINE} before the first snapshot. */
  long deliveredVersion() {
    return deliveredVersion;
  }

  /** Records {@code presence} as what the sink has. */
  void deliver(UserPresence presence) {
    deliveredVersion = presence.version();
    deliveredState = (byte) presence.state().ordinal();
    String text = presence.customText();
    if (deliveredText != text) { // no reference store, and so no barrier, while the text stays
      deliveredText = text;
    }
  }

  /** Whether {@code presence} looks like what the sink has: same state and text (a change changed back). */
  boolean looksDelivered(UserPresence presence) {
    return presence.state().ordinal() == deliveredState
        && Objects.equals(presence.customText(), deliveredText);
  }
}
