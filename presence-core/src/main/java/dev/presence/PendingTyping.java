package dev.presence;

/**
 * The typing not yet delivered to one subscriber for one channel and user. {@code shown} is whether
 * the receiver shows the indicator before any of it arrives: a burst that starts and stops while the
 * receiver is busy cancels out; one that starts and goes on stays a STARTED (with the newest expiry),
 * so it is never merged into a bare REFRESHED that a receiver showing indicators from STARTED would
 * ignore. Guarded by the subscriber's monitor.
 */
final class PendingTyping {
  final boolean shown;
  TypingEvent event;

  PendingTyping(TypingEvent first) {
    this.shown = first.kind() != TypingEvent.Kind.STARTED;
    this.event = first;
  }

  /** Folds a later event in; returns false when nothing is left to send. */
  boolean merge(TypingEvent next) {
    if (next.kind() == TypingEvent.Kind.STOPPED) {
      event = next;
      return shown;
    }
    event =
        shown || next.kind() == TypingEvent.Kind.STARTED
            ? next
            : new TypingEvent(next.channelId(), next.userId(), TypingEvent.Kind.STARTED, next.expiresAt());
    return true;
  }
}
