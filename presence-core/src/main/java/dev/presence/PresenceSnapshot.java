package dev.presence;

import java.util.List;

/**
 * What a subscriber receives when it starts watching: the current presence of each watched user
 * (with versions) and who is typing. Afterwards it receives only changes newer than these versions.
 *
 * <p>Immutable and thread-safe.
 *
 * @param users the presence of each user, as the watcher may see it
 * @param typing indicators currently on, as {@link TypingEvent.Kind#STARTED} events
 */
public record PresenceSnapshot(List<UserPresence> users, List<TypingEvent> typing) {

  /**
   * Creates a snapshot.
   *
   * @param users the presence of each user, as the watcher may see it
   * @param typing indicators currently on, as {@link TypingEvent.Kind#STARTED} events
   * @throws NullPointerException if a list or an element is null
   */
  public PresenceSnapshot {
    users = List.copyOf(users);
    typing = List.copyOf(typing);
  }
}
