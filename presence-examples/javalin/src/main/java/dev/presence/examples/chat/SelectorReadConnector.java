package dev.presence.examples.chat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;
import org.eclipse.jetty.websocket.core.WebSocketConnection;

/**
 * A connector whose WebSocket connections read and handle their frames on the selector thread that
 * saw them arrive, instead of handing each read to a pool thread.
 *
 * <p>Why: at one frame per second per client nearly every frame arrives alone, and Jetty treats a
 * WebSocket read as blocking work, so each frame cost a thread hand-off (a futex wake-up), and the
 * pool thread's renewed read interest a selector wake-up (an eventfd write): a third of the server's
 * CPU was kernel time. Jetty runs a task on the selector thread when its callback declares {@link
 * Invocable.InvocationType#NON_BLOCKING}; Jetty's WebSocket connection does not declare it (its
 * handlers might block), so this connector's endpoints declare it for them.
 *
 * <p>That is only correct when nothing the frame handlers do blocks: a handler that waited on the
 * network would stall every socket of the selector. The chat server uses this connector only with
 * the in-memory backend, whose engine calls never wait; HTTP requests and the WebSocket upgrade are
 * not affected and still run on the pool.
 *
 * <p>Second, its selectors gather frames: after a wake-up that found something to read, the
 * selector waits {@code gather} before it looks again, so one wake-up serves the frames of several
 * clients instead of one (each wake-up is a context switch, and Jetty then walks the JDK's selected
 * key set). A frame waits at most that long more; {@link Duration#ZERO} turns it off.
 *
 * <p>Third, a WebSocket connection's endpoint does not read again right after a read that drained
 * the socket: Jetty reads until a read finds nothing, a second system call per frame.
 *
 * <p>Thread-safe, as Jetty's own connector.
 */
final class SelectorReadConnector extends ServerConnector {
  private final long gatherNanos;

  /**
   * A connector on {@code server}.
   *
   * @param gather how long a selector that found input waits for more before it reads; zero for not at all
   * @throws IllegalArgumentException if {@code gather} is negative
   */
  SelectorReadConnector(Server server, Duration gather, ConnectionFactory... factories) {
    super(server, factories);
    if (gather.isNegative()) {
      throw new IllegalArgumentException("gather must not be negative but was " + gather);
    }
    this.gatherNanos = gather.toNanos();
  }

  @Override
  protected SelectorManager newSelectorManager(Executor executor, Scheduler scheduler, int selectors) {
    return new GatheringSelectorManager(executor, scheduler, selectors);
  }

  /** Jetty's own selector manager for this connector, with gathering selectors. */
  private final class GatheringSelectorManager extends ServerConnectorManager {
    GatheringSelectorManager(Executor executor, Scheduler scheduler, int selectors) {
      super(executor, scheduler, selectors);
    }

    @Override
    protected ManagedSelector newSelector(int id) {
      return new GatheringSelector(this, id);
    }
  }

  /** A selector that, having found input, waits a moment and collects what arrived meanwhile. */
  private final class GatheringSelector extends ManagedSelector {
    GatheringSelector(SelectorManager manager, int id) {
      super(manager, id);
    }

    @Override
    protected int nioSelect(Selector selector, boolean now) throws IOException {
      int ready = super.nioSelect(selector, now);
      if (now || gatherNanos == 0 || ready == 0) {
        return ready; // also after a wakeup() for Jetty's own updates: those are not delayed
      }
      LockSupport.parkNanos(gatherNanos);
      // selectNow adds what became ready to the selected keys. A wakeup() that came during the
      // pause is used up by it, which is harmless: Jetty processes its updates right after this.
      return ready + selector.selectNow();
    }
  }

  @Override
  protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key) {
    SocketChannelEndPoint endPoint = new SelectorReadEndPoint(channel, selector, key, this);
    endPoint.setIdleTimeout(getIdleTimeout());
    return endPoint;
  }

  /**
   * An endpoint that marks the read interest of a WebSocket connection as non-blocking, and that
   * skips the read that would only find the socket empty.
   */
  private static final class SelectorReadEndPoint extends SocketChannelEndPoint {
    // Written by whichever thread asks for the next read; a stale value only costs a new wrapper.
    private volatile NonBlockingRead lastRead;
    // Set by a read that drained the socket. Only the one thread reading at a time (Jetty hands
    // reads over with a happens-before) touches it.
    private boolean drained;

    SelectorReadEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, ServerConnector connector) {
      super(channel, selector, key, connector.getScheduler());
    }

    /**
     * Reads as Jetty does, but answers "nothing to read" without a system call right after a read
     * that left room in the buffer. Such a read took everything the socket held, so a second read
     * would fail with EAGAIN: Jetty reads until it does, which doubled the reads per frame. Nothing
     * is lost by not asking: the connection then registers read interest, and the selector (level
     * triggered) reports the socket again if data arrived in between. Netty stops reading on a short
     * read for the same reason.
     */
    @Override
    public int fill(ByteBuffer buffer) throws IOException {
      if (drained) {
        drained = false;
        return 0;
      }
      int filled = super.fill(buffer);
      drained = filled > 0 && buffer.limit() < buffer.capacity() && getConnection() instanceof WebSocketConnection;
      return filled;
    }

    @Override
    public void fillInterested(Callback callback) {
      super.fillInterested(onSelector(callback));
    }

    @Override
    public boolean tryFillInterested(Callback callback) {
      return super.tryFillInterested(onSelector(callback));
    }

    /** HTTP reads stay as they are (a request handler may block); WebSocket reads run in place. */
    private Callback onSelector(Callback callback) {
      if (!(getConnection() instanceof WebSocketConnection)) {
        return callback;
      }
      // The connection passes the same callback every time: wrap it once, not once per frame.
      NonBlockingRead wrapped = lastRead;
      if (wrapped == null || wrapped.read() != callback) {
        wrapped = new NonBlockingRead(callback);
        lastRead = wrapped;
      }
      return wrapped;
    }
  }

  /** The connection's own read callback, declared non-blocking so the selector runs it itself. */
  private record NonBlockingRead(Callback read) implements Callback {
    @Override
    public void succeeded() {
      read.succeeded();
    }

    @Override
    public void failed(Throwable failure) {
      read.failed(failure);
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  }
}
