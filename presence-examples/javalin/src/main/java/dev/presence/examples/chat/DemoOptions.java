package dev.presence.examples.chat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chat demo's command-line options. Every option has a default, so no argument is needed.
 *
 * @param port the HTTP port on 127.0.0.1; 0 picks a free one
 * @param grace how long a closed tab still counts before its user goes offline
 * @param idle how long without input before a user shows idle (the page's idle detector and the
 *     engine's own backstop)
 * @param flush the presence throttle: each page gets at most one presence batch per interval
 * @param heartbeatTtl how long a tab may go without a heartbeat before it is gone
 * @param allowedOrigins page origins allowed to open a WebSocket besides the server's own ({@code
 *     http://localhost:PORT}, {@code http://127.0.0.1:PORT}, {@code http://[::1]:PORT}); each is
 *     {@code scheme://host[:port]}, lower case
 * @param secret null for the trusting default (the {@code user} parameter is the identity), or the
 *     secret of {@link HmacTokenAuthenticator}: then only signed tokens are believed
 * @param acceptQueue the listening socket's backlog: connection attempts the kernel queues until the
 *     server accepts them (a reconnect storm needs room)
 * @param redis null for the in-memory default (one server), or {@code redis://host:port}: presence
 *     and channel membership live on that Redis, shared by every demo server that uses it
 */
public record DemoOptions(
    int port,
    Duration grace,
    Duration idle,
    Duration flush,
    Duration heartbeatTtl,
    List<String> allowedOrigins,
    String secret,
    int acceptQueue,
    String redis) {

  /** Copies the origin list, so the record stays immutable. */
  public DemoOptions {
    allowedOrigins = List.copyOf(allowedOrigins);
  }

  /** Options with the default origins, no secret and the default accept queue. */
  public DemoOptions(int port, Duration grace, Duration idle, Duration flush, Duration heartbeatTtl) {
    this(port, grace, idle, flush, heartbeatTtl, List.of(), null, DEFAULT_ACCEPT_QUEUE, null);
  }

  /** These options on another port (0 for any free one). */
  public DemoOptions withPort(int newPort) {
    return new DemoOptions(newPort, grace, idle, flush, heartbeatTtl, allowedOrigins, secret, acceptQueue, redis);
  }

  /** These options with other allowed origins (besides the server's own). */
  public DemoOptions withAllowedOrigins(List<String> origins) {
    return new DemoOptions(port, grace, idle, flush, heartbeatTtl, origins, secret, acceptQueue, redis);
  }

  /** These options with a token secret (null for the trusting default). */
  public DemoOptions withSecret(String tokenSecret) {
    return new DemoOptions(port, grace, idle, flush, heartbeatTtl, allowedOrigins, tokenSecret, acceptQueue, redis);
  }

  /** These options on a Redis server ({@code redis://host:port}), or in memory for null. */
  public DemoOptions withRedis(String redisUri) {
    return new DemoOptions(port, grace, idle, flush, heartbeatTtl, allowedOrigins, secret, acceptQueue, redisUri);
  }

  /** These options with another accept queue size. */
  public DemoOptions withAcceptQueue(int backlog) {
    return new DemoOptions(port, grace, idle, flush, heartbeatTtl, allowedOrigins, secret, backlog, redis);
  }

  /** {@code secret} is never printed. */
  @Override
  public String toString() {
    return "DemoOptions[port=" + port + ", grace=" + grace + ", idle=" + idle + ", flush=" + flush
        + ", heartbeatTtl=" + heartbeatTtl + ", allowedOrigins=" + allowedOrigins
        + ", secret=" + (secret == null ? "none" : "(set)") + ", acceptQueue=" + acceptQueue + ", redis=" + redis + "]";
  }

  /** The default port. */
  public static final int DEFAULT_PORT = 8080;
  /** The default grace: the engine's default, 10 s. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  /** The default idle time: 2 minutes, as in the seed's client. */
  public static final Duration DEFAULT_IDLE = Duration.ofMinutes(2);
  /** The default throttle: the engine's default, 1 s. */
  public static final Duration DEFAULT_FLUSH = Duration.ofSeconds(1);
  /** The default heartbeat TTL: the engine's default, 45 s (pages heartbeat every 15 s). */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(45);
  /**
   * The default accept queue: room for a reconnect storm of thousands (Jetty's own default is 50, and
   * 1,024 still dropped 499 of 5,000 reconnecting clients). Linux caps it at {@code
   * net.core.somaxconn}, 4,096 by default since kernel 5.4.
   */
  public static final int DEFAULT_ACCEPT_QUEUE = 4096;

  /** Every option at its default. */
  public static DemoOptions defaults() {
    return new DemoOptions(DEFAULT_PORT, DEFAULT_GRACE, DEFAULT_IDLE, DEFAULT_FLUSH, DEFAULT_TTL);
  }

  /** The usage text, printed for {@code --help} and after a bad option. */
  public static final String USAGE =
      String.join(
          System.lineSeparator(),
          "usage: chat-demo [--port N] [--grace D] [--idle D] [--flush D] [--ttl D] [--allowed-origin URL]...",
          "                 [--secret S] [--accept-queue N] [--redis URI]",
          "  --port N    HTTP port on 127.0.0.1, 0 for any free port (default 8080)",
          "  --grace D   a closed tab still counts for D before its user goes offline (default 10s)",
          "  --idle D    a user shows idle after D without mouse, key, scroll or touch input (default 2m)",
          "  --flush D   each page gets at most one presence batch per D; 0 sends at once (default 1s, at most 1m)",
          "  --ttl D     a tab that sends no heartbeat for D is gone (default 45s)",
          "  --allowed-origin URL  also accept WebSockets from pages at URL (scheme://host[:port]); repeatable",
          "              (default: only the demo's own page)",
          "  --secret S  believe only names signed with S (16 or more characters) in a 'token' parameter;",
          "              prints links with tokens (default: the name typed in the page is believed)",
          "  --accept-queue N  connection attempts the kernel queues for the server (default 4096)",
          "  --redis URI keep presence on the Redis at URI (redis://host:port), shared by every demo server",
          "              started with the same URI; chat messages still stay on each server (default: in memory)",
          "  --help      print this help",
          "Durations are a whole number with a unit: 500ms, 10s, 2m, 1h. Options may also be written --port=9090.");

  /** An option the demo cannot run with; the message is one line meant for the user. */
  public static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  /** Thrown by {@link #parse} for {@code --help}: not an error, print the usage and exit 0. */
  public static final class HelpRequested extends Exception {
    private static final long serialVersionUID = 1L;

    HelpRequested() {
      super("help", null, false, false);
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  /**
   * Parses the command line.
   *
   * @throws UsageException naming the first option that is unknown, lacks a value or has a bad one
   * @throws HelpRequested for {@code --help} or {@code -h}
   */
  public static DemoOptions parse(String... args) throws UsageException, HelpRequested {
    int port = DEFAULT_PORT;
    Duration grace = DEFAULT_GRACE;
    Duration idle = DEFAULT_IDLE;
    Duration flush = DEFAULT_FLUSH;
    Duration ttl = DEFAULT_TTL;
    List<String> origins = new ArrayList<>();
    String secret = null;
    int acceptQueue = DEFAULT_ACCEPT_QUEUE;
    String redis = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new HelpRequested();
      }
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--port", "--grace", "--idle", "--flush", "--ttl", "--allowed-origin", "--secret",
            "--accept-queue", "--redis" -> {
          if (value == null) {
            if (i + 1 >= args.length) {
              throw new UsageException(name + " needs a value");
            }
            value = args[++i];
          }
        }
        default -> throw new UsageException("unknown option '" + arg + "'");
      }
      switch (name) {
        case "--port" -> port = port(value);
        case "--grace" -> grace = duration(name, value, true);
        case "--idle" -> idle = duration(name, value, false);
        case "--flush" -> {
          flush = duration(name, value, true);
          if (flush.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new UsageException("--flush must be at most 1m but was " + value);
          }
        }
        case "--ttl" -> ttl = duration(name, value, false);
        case "--allowed-origin" -> origins.add(origin(value));
        case "--secret" -> {
          if (value.length() < 16) {
            throw new UsageException("--secret must have at least 16 characters");
          }
          secret = value;
        }
        case "--accept-queue" -> acceptQueue = acceptQueue(value);
        case "--redis" -> redis = redis(value);
        default -> throw new AssertionError(name);
      }
    }
    return new DemoOptions(port, grace, idle, flush, ttl, origins, secret, acceptQueue, redis);
  }

  private static final Pattern REDIS_URI = Pattern.compile("rediss?://[^\\s/]+(/\\d{1,2})?");

  /** {@code redis://host:port}: Lettuce reads the rest, but a typo is caught here with a clear line. */
  private static String redis(String value) throws UsageException {
    if (!REDIS_URI.matcher(value).matches()) {
      throw new UsageException("--redis must look like redis://host:port but was '" + value + "'");
    }
    return value;
  }

  private static final Pattern ORIGIN = Pattern.compile("https?://[a-z0-9.\\[\\]:-]+");

  /** {@code scheme://host[:port]}, as a browser sends it in the Origin header (lower case, no path). */
  private static String origin(String value) throws UsageException {
    String origin = value.toLowerCase(Locale.ROOT);
    if (!ORIGIN.matcher(origin).matches()) {
      throw new UsageException(
          "--allowed-origin must look like http://host:port (no path) but was '" + value + "'");
    }
    return origin;
  }

  private static int acceptQueue(String value) throws UsageException {
    try {
      int backlog = Integer.parseInt(value);
      if (backlog >= 1 && backlog <= 65_535) {
        return backlog;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException("--accept-queue must be a number from 1 to 65535 but was '" + value + "'");
  }

  private static int port(String value) throws UsageException {
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65_535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException("--port must be a number from 0 to 65535 but was '" + value + "'");
  }

  /** Parses {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, or {@code 0}. */
  static Duration duration(String name, String value, boolean zeroAllowed) throws UsageException {
    String text = value.trim().toLowerCase(Locale.ROOT);
    Duration duration;
    if (text.equals("0")) {
      duration = Duration.ZERO;
    } else {
      Matcher m = DURATION.matcher(text);
      if (!m.matches()) {
        throw new UsageException(
            name + " must be a duration like 500ms, 10s, 2m or 1h but was '" + value + "'");
      }
      long amount = Long.parseLong(m.group(1));
      duration =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
          };
    }
    if (duration.isZero() && !zeroAllowed) {
      throw new UsageException(name + " must be more than 0 but was '" + value + "'");
    }
    return duration;
  }

  /** A duration the way the options take it: {@code 1500ms}, {@code 10s}, {@code 2m}. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }
}
