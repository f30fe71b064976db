package dev.presence.benchmarks.seed;

import dev.presence.Scheduler;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The seed's client-side typing debounce ("Client: debounced typing indicator"), ported line by
 * line: on an input event, send {@code typing-start} if no debounce timer is pending, then restart a
 * 2 s timer that sends {@code typing-stop}. So a burst of keystrokes closer than 2 s apart sends one
 * start and, 2 s after the last keystroke, one stop; the server sees nothing in between.
 *
 * <pre>{@code
 * inputElement.addEventListener('input', () => {
 *   if (!typingTimeout) socket.emit('typing-start', { channelId: currentChannel });
 *   clearTimeout(typingTimeout);
 *   typingTimeout = setTimeout(() => {
 *     socket.emit('typing-stop', { channelId: currentChannel });
 *     typingTimeout = null;
 *   }, TYPING_DEBOUNCE);
 * });
 * }</pre>
 */
public final class SeedTypingClient {
  /** {@code TYPING_DEBOUNCE}. */
  public static final long TYPING_DEBOUNCE = 2_000;

  private final SeedPresenceServer.Socket socket;
  private final Scheduler timers;
  private final String currentChannel;
  private Future<?> typingTimeout;

  /**
   * @param socket the client's socket (the server side of it: emitting calls its handler)
   * @param timers the browser's {@code setTimeout}
   * @param currentChannel the channel typed in
   */
  public SeedTypingClient(SeedPresenceServer.Socket socket, Scheduler timers, String currentChannel) {
    this.socket = socket;
    this.timers = timers;
    this.currentChannel = currentChannel;
  }

  /** The {@code 'input'} listener: one keystroke. */
  public void input() {
    if (typingTimeout == null) {
      socket.typingStart(currentChannel);
    }
    if (typingTimeout != null) {
      typingTimeout.cancel(false);
    }
    typingTimeout =
        timers.schedule(
            () -> {
              socket.typingStop(currentChannel);
              typingTimeout = null;
            },
            TYPING_DEBOUNCE,
            TimeUnit.MILLISECONDS);
  }
}
