package dev.presence.spi;

import org.jspecify.annotations.Nullable;

/** A store or bus could not do what was asked, for example because its server is unreachable. */
public class PresenceStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception with a message and a cause (which may be null).
   *
   * @param message what failed
   * @param cause why, or null
   */
  public PresenceStoreException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
