package dev.presence;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A typing indicator change in a channel, as delivered to a subscriber.
 *
 * <p>Immutable and thread-safe. A receiver shows the indicator from {@link Kind#STARTED} until
 * {@link Kind#STOPPED} or until {@link #expiresAt()}, whichever comes first, so a lost stop cannot
 * leave an indicator on forever; each {@link Kind#REFRESHED} moves the expiry.
 *
 * @param channelId the channel typed in
 * @param userId who is typing
 * @param kind what happened
 * @param expiresAt when a receiver should drop the indicator if nothing else arrives; null for
 *     {@link Kind#STOPPED}
 */
public record TypingEvent(String channelId, String userId, Kind kind, @Nullable Instant expiresAt) {

  /** What happened to the indicator. */
  public enum Kind {
    /** A burst of typing began: show the indicator. */
    STARTED,
    /** The burst goes on: keep showing it until the new expiry. */
    REFRESHED,
    /** The burst ended: stop, message sent, device gone, or timeout. */
    STOPPED
  }

  /**
   * Creates an event.
   *
   * @param channelId the channel typed in
   * @param userId who is typing
   * @param kind what happened
   * @param expiresAt when a receiver should drop the indicator if nothing else arrives; null for
   *     {@link Kind#STOPPED}
   * @throws NullPointerException if an id or {@code kind} is null, or {@code expiresAt} is null for
   *     a     start or refresh
   */
  public TypingEvent {
    Objects.requireNonNull(channelId, "channelId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(kind, "kind");
    if (kind != Kind.STOPPED) {
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }
}
