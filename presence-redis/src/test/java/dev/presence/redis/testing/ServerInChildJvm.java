package dev.presence.redis.testing;

/**
 * A JVM that starts one server, prints its pid and folder, and waits to be killed: what a surefire
 * fork looks like to {@link ServerLifetimeTest}.
 */
public final class ServerInChildJvm {
  private ServerInChildJvm() {}

  /**
   * Starts a server and blocks until the JVM is stopped.
   *
   * @param args ignored
   * @throws InterruptedException never in practice: the JVM is stopped by a signal
   */
  public static void main(String[] args) throws InterruptedException {
    RedisServer server = RedisServer.start();
    System.out.println(ProcessHandle.current().pid() + " " + server.port() + " " + server.directory());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
