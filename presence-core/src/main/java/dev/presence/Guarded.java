package dev.presence;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one catch policy for user and SPI code, shared by the {@code Guarded*} wrappers: catch {@link
 * Throwable}, rethrow {@link VirtualMachineError}, count the failure (it shows in {@link
 * PresenceStats}), and log it once, with ids passed through {@link Ids#shown}.
 */
final class Guarded {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);

  private Guarded() {}

  /**
   * Handles a failure of guarded code: rethrows a {@link VirtualMachineError}, otherwise counts it
   * and logs {@code message} (SLF4J {@code {}} placeholders filled from {@code args}) with the failure.
   */
  static void failed(Throwable failure, LongAdder counter, String message, Object... args) {
    if (failure instanceof VirtualMachineError error) {
      throw error;
    }
    counter.increment();
    Object[] withFailure = Arrays.copyOf(args, args.length + 1);
    withFailure[args.length] = failure;
    log.warn(message, withFailure);
  }
}
