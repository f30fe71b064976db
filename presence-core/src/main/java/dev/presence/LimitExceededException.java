package dev.presence;

/**
 * A call was well-formed but went past a configured limit (devices per user, subscriptions per
 * subscriber, status changes per device, channels typed in at once). Nothing changed. The message
 * names the value and the limit.
 */
public class LimitExceededException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The name of the setting that limits, as in {@link PresenceBuilder}. */
  private final String limitName;

  /** The limit's value. */
  private final long limit;

  /**
   * Creates the exception.
   *
   * @param message what was rejected, naming the value and the limit
   * @param limitName the builder setting that sets the limit
   * @param limit its value
   */
  public LimitExceededException(String message, String limitName, long limit) {
    super(message);
    this.limitName = limitName;
    this.limit = limit;
  }

  /**
   * The name of the builder setting that limits.
   *
   * @return the setting's name, for example {@code maxDevicesPerUser}
   */
  public String limitName() {
    return limitName;
  }

  /**
   * The limit's value.
   *
   * @return the limit's value
   */
  public long limit() {
    return limit;
  }
}
