package dev.presence;

import dev.presence.spi.StoreUpdate;

/**
 * The single commit point after every store write of a user on this node: the status expiry timer
 * follows the record, the gauges follow the user's aggregate, and a change of what others see goes
 * to the listeners, to local subscribers and to other nodes, in that order.
 *
 * <p>Called under the user lock, so the changes of one user are committed in the order the store
 * made them. Listeners, visibility and the bus are guarded: none of them can undo a commit.
 */
final class Changes {
  private final EngineStats stats;
  private final GuardedListeners listeners;
  private final SubscriptionHub hub;
  private final GuardedBus bus;
  /** The store publishes every change itself (a Redis script does): publishing again would double it. */
  private final boolean storePublishes;
  /** Set once by {@link #follow}, before the engine is used; then only read. */
  private StatusControl status;

  Changes(
      EngineStats stats, GuardedListeners listeners, SubscriptionHub hub, GuardedBus bus, boolean storePublishes) {
    this.stats = stats;
    this.listeners = listeners;
    this.hub = hub;
    this.bus = bus;
    this.storePublishes = storePublishes;
  }

  /** Wires the status expiry, which itself commits through here. */
  void follow(StatusControl status) {
    this.status = status;
  }

  /** After a store write, under the user lock: update the gauges and emit a visible change. */
  void applied(UserEntry entry, StoreUpdate update) {
    entry.lastRecord = update.current();
    status.followStatusExpiry(entry, update.current().statusExpiresAtMillis());
    StatusMode mode = entry.learnStatus(update.current());
    if (mode != entry.mode()) {
      entry.mode(mode);
      if (mode == StatusMode.INVISIBLE) {
        hub.typing.endTypingOf(entry.userId, null);
      }
    }
    PresenceState counted =
        entry.deviceCount() == 0 ? PresenceState.OFFLINE : update.current().selfState();
    if (counted != entry.countedState()) {
      stats.counted(entry.countedState(), counted);
      entry.countedState(counted);
    }
    emit(update);
  }

  /**
   * Emits a change of what others see made by a store write of this node (also for a user this node
   * holds no entry of, as after a sweep): listeners, local subscribers, then other nodes.
   */
  void emit(StoreUpdate update) {
    if (!update.presenceChanged()) {
      return;
    }
    PresenceChange change = new PresenceChange(update.previous().presence(), update.current().presence());
    listeners.onChange(change);
    hub.onChange(change, update.current());
    if (!storePublishes) {
      bus.publish(change);
    }
  }
}
