package dev.presence.examples.chat;

import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;

/**
 * Starts the chat demo, in memory or on Redis ({@code --redis}), and prints its address. Options: see {@link
 * DemoOptions#USAGE}; a bad option prints one line and the usage and exits with status 2.
 */
public final class ChatDemo {
  private ChatDemo() {}

  /** Runs the demo until the process is stopped (Ctrl+C). */
  public static void main(String[] args) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    int code = run(args, System.out, System.err, stopped);
    if (code != 0) {
      System.exit(code);
    }
    stopped.await();
  }

  /**
   * Parses the options and, if they are good, starts the server and returns 0 with the server
   * running until the JVM shuts down (then {@code stopped} counts down).
   *
   * @return 0 when started or help was printed, 2 for a bad option, 1 when the server cannot start
   */
  static int run(String[] args, PrintStream out, PrintStream err, CountDownLatch stopped) {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (DemoOptions.HelpRequested e) {
      out.println(DemoOptions.USAGE);
      stopped.countDown();
      return 0;
    } catch (DemoOptions.UsageException e) {
      err.println("chat-demo: " + e.getMessage());
      err.println(DemoOptions.USAGE);
      return 2;
    }
    if (options.port() != 0 && !portFree(options.port())) {
      err.println("chat-demo: cannot start: " + inUse(options.port()));
      return 1;
    }
    PresenceBackend backend;
    try {
      backend = options.redis() == null ? PresenceBackend.inMemory() : PresenceBackend.redis(options.redis());
    } catch (RuntimeException e) {
      err.println("chat-demo: cannot reach Redis at " + options.redis() + ": " + describe(e, options.port()));
      return 1;
    }
    ChatServer server;
    try {
      server = ChatServer.start(options, backend);
    } catch (RuntimeException e) {
      backend.close();
      err.println("chat-demo: cannot start: " + describe(e, options.port()));
      return 1;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  backend.close();
                  stopped.countDown();
                },
                "chat-demo-shutdown"));
    out.println(
        "presence chat demo ("
            + backend.name()
            + "; grace "
            + DemoOptions.format(options.grace())
            + ", idle "
            + DemoOptions.format(options.idle())
            + ", flush "
            + DemoOptions.format(options.flush())
            + ", ttl "
            + DemoOptions.format(options.heartbeatTtl())
            + ")");
    if (options.secret() == null) {
      out.println("open " + server.url() + " in two browser windows; Ctrl+C stops");
    } else {
      // Stands in for a login: only the holder of the secret can mint these links.
      HmacTokenAuthenticator tokens = new HmacTokenAuthenticator(options.secret());
      Instant expires = Instant.now().plus(Duration.ofDays(1));
      out.println("names are checked with --secret; open these two links (valid for a day); Ctrl+C stops");
      for (String name : new String[] {"alice", "bob"}) {
        out.println("  " + server.url() + "?name=" + name + "&token=" + tokens.issue(name, expires));
      }
    }
    out.flush();
    return 0;
  }

  private static String describe(Throwable e, int port) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return inUse(port);
      }
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static String inUse(int port) {
    return "port " + port + " on 127.0.0.1 is in use; pick another with --port";
  }

  /** A friendly early check; the server's own bind still decides (and is reported the same way). */
  private static boolean portFree(int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
