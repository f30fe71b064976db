package dev.presence.benchmarks.seed;

import dev.presence.Scheduler;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The seed's client-side typing display ("Client: render typing indicators with auto-expiry"),
 * ported: a {@code 'typing'} message shows the user until 3 s later, {@code 'typing-stopped'} hides
 * it, and a 1 s {@code setInterval} drops entries past their expiry. Nothing moves the expiry while
 * the burst goes on (the debounced client sends one start per burst), so the indicator of a burst
 * longer than 3 s disappears after 3 to 4 s while the user still types.
 *
 * <pre>{@code
 * socket.on('typing', ({ userId, name, channelId }) => {
 *   if (channelId !== currentChannel) return;
 *   typingUsers.set(userId, { name, expires: Date.now() + 3000 });
 * });
 * socket.on('typing-stopped', ({ userId }) => typingUsers.delete(userId));
 * setInterval(() => { for (...) if (now > data.expires) typingUsers.delete(userId); }, 1000);
 * }</pre>
 */
public final class SeedTypingReceiver implements Consumer<SeedPresenceServer.TypingMessage> {
  /** The display time of one {@code 'typing'} message. */
  public static final long EXPIRY = 3_000;
  /** The {@code setInterval} period of the expiry check. */
  public static final long CHECK_INTERVAL = 1_000;

  private final String currentChannel;
  private final InstantSource clock;
  private final Map<String, Long> typingUsers = new HashMap<>();
  private long messages;

  /**
   * @param currentChannel the channel the client shows
   * @param clock {@code Date.now()}
   * @param timers runs the {@code setInterval}
   */
  public SeedTypingReceiver(String currentChannel, InstantSource clock, Scheduler timers) {
    this.currentChannel = currentChannel;
    this.clock = clock;
    scheduleCheck(timers);
  }

  private void scheduleCheck(Scheduler timers) {
    timers.schedule(
        () -> {
          long now = clock.millis();
          for (Iterator<Long> expires = typingUsers.values().iterator(); expires.hasNext(); ) {
            if (now > expires.next()) {
              expires.remove();
            }
          }
          scheduleCheck(timers);
        },
        CHECK_INTERVAL,
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void accept(SeedPresenceServer.TypingMessage message) {
    messages++;
    if (!message.channelId().equals(currentChannel)) {
      return;
    }
    if (message.type().equals("typing")) {
      typingUsers.put(message.userId(), clock.millis() + EXPIRY);
    } else {
      typingUsers.remove(message.userId());
    }
  }

  /** Whether the indicator for {@code userId} is shown now. */
  public boolean shows(String userId) {
    return typingUsers.containsKey(userId);
  }

  /** Typing messages received so far. */
  public long messages() {
    return messages;
  }
}
