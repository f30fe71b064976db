package dev.presence;

/**
 * A monotonic source of nanoseconds, used for every deadline (grace, TTL, idle, typing, throttle).
 *
 * <p>Implementations must be thread-safe. Tests inject a manual ticker and advance it instead of
 * sleeping.
 */
@FunctionalInterface
public interface Ticker {

  /**
   * Nanoseconds since an arbitrary origin; never decreases.
   *
   * @return the current reading, in nanoseconds
   */
  long read();

  /**
   * The system ticker, {@link System#nanoTime()}.
   *
   * @return the system ticker
   */
  static Ticker system() {
    return System::nanoTime;
  }
}
