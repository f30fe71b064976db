package dev.presence.redis.testing;

/** An error reply from a test server to an administrative command ({@code ERR ...}, {@code MOVED ...}). */
public final class RedisErrorReply extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RedisErrorReply(String message) {
    super(message);
  }
}
