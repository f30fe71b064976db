package dev.presence;

/**
 * Receives user-level presence changes.
 *
 * <p>Contract: called for every change this node makes, in version order per user, and for changes
 * made on other nodes of users this node watches, as the bus delivers them (a bus may reorder or
 * repeat them: compare {@link PresenceChange#version()} with the last one seen). Called from any thread, possibly while the
 * engine holds that user's lock, so it must be fast and must not block or call back into the engine
 * for the same user. A listener that throws is logged, counted in {@link
 * PresenceStats#listenerFailures()}, and stops neither the other listeners nor the engine.
 */
@FunctionalInterface
public interface PresenceListener {

  /**
   * Called once per change.
   *
   * @param change the change; never null
   */
  void onChange(PresenceChange change);
}
