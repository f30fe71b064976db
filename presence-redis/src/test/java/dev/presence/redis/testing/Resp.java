package dev.presence.redis.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal blocking RESP2 client for administering test servers: one socket, one command at a time.
 *
 * <p>Why not Lettuce: administration must work while a server is half up (loading, cluster not yet
 * formed) and must never reconnect, retry, follow a redirect or replay a command behind our back.
 * Bulk replies come back as {@code String} (UTF-8) or, in binary mode, as {@code byte[]}, so that keys
 * move between servers byte for byte.
 */
final class Resp implements AutoCloseable {
  private static final int TIMEOUT_MILLIS = 10_000;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private Resp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = new BufferedOutputStream(socket.getOutputStream());
  }

  /** Connects to a server on the loopback interface; throws {@link UncheckedIOException} if it cannot. */
  static Resp connect(int port) {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      socket.setTcpNoDelay(true);
      return new Resp(socket);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new UncheckedIOException("cannot connect to 127.0.0.1:" + port, e);
    }
  }

  /** Sends one command and reads its reply, with bulk strings decoded as UTF-8. */
  Object call(Object... args) {
    return send(false, args);
  }

  /** Sends one command and reads its reply, with bulk strings left as {@code byte[]}. */
  Object callBinary(Object... args) {
    return send(true, args);
  }

  /**
   * Sends one command and reads its reply; the two methods above name the mode.
   *
   * @param binary whether bulk strings come back as {@code byte[]} instead of UTF-8 {@code String}
   * @param args {@code String} (sent as UTF-8), {@code byte[]} or anything else (sent as its {@code
   *     toString()})
   * @return a {@code String} or {@code byte[]}, a {@code Long}, a {@code List} of those, or null
   * @throws RedisErrorReply if the server answers with an error
   */
  private Object send(boolean binary, Object... args) {
    try {
      out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (Object arg : args) {
        byte[] bytes = arg instanceof byte[] b ? b : String.valueOf(arg).getBytes(StandardCharsets.UTF_8);
        out.write(('$' + Integer.toString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write('\r');
        out.write('\n');
      }
      out.flush();
      return read(binary);
    } catch (IOException e) {
      throw new UncheckedIOException("connection to " + socket.getRemoteSocketAddress() + " failed", e);
    }
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }

  // ---- internals

  private Object read(boolean binary) throws IOException {
    int type = in.read();
    String line = line();
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new RedisErrorReply(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int length = Integer.parseInt(line);
        if (length < 0) {
          return null;
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length || in.read() != '\r' || in.read() != '\n') {
          throw new IOException("truncated bulk reply");
        }
        return binary ? bytes : new String(bytes, StandardCharsets.UTF_8);
      }
      case '*': {
        int count = Integer.parseInt(line);
        if (count < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          items.add(read(binary));
        }
        return items;
      }
      default:
        throw new IOException("unexpected reply type " + type + " (" + line + ")");
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int b = in.read(); ; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed by the server");
      }
      if (b == '\r') {
        if (in.read() != '\n') {
          throw new IOException("CR without LF");
        }
        return bytes.toString(StandardCharsets.UTF_8);
      }
      bytes.write(b);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do: the socket is gone either way
    }
  }
}
