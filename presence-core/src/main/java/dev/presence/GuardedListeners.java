package dev.presence;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The application's listeners behind the {@link Guarded} policy: the engine's {@link
 * PresenceListener}s, and each connection's {@link ConnectionListener}. A throw is counted in {@link
 * PresenceStats#listenerFailures()} and stops neither the other listeners nor the engine.
 */
final class GuardedListeners {
  private final PresenceListener[] listeners;
  private final LongAdder failures;

  GuardedListeners(List<PresenceListener> listeners, LongAdder failures) {
    this.listeners = listeners.toArray(new PresenceListener[0]);
    this.failures = failures;
  }

  /** Tells every presence listener of a change, in the order they were added. */
  void onChange(PresenceChange change) {
    for (PresenceListener listener : listeners) {
      try {
        listener.onChange(change);
      } catch (Throwable e) {
        Guarded.failed(e, failures, "presence listener {} failed on a change of {}", listener, Ids.shown(change.userId()));
      }
    }
  }

  /** Tells a connection's listener why it closed; called with no lock held. */
  void onClosed(ConnectionListener listener, DeviceConnection connection, CloseReason reason) {
    try {
      listener.onClosed(connection, reason);
    } catch (Throwable e) {
      Guarded.failed(
          e,
          failures,
          "connection listener of device {} of user {} failed",
          Ids.shown(connection.deviceId()),
          Ids.shown(connection.userId()));
    }
  }
}
