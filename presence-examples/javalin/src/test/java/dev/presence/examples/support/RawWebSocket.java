package dev.presence.examples.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket, for what {@link TestSocket} (the JDK's client) cannot do: send
 * a malformed request line, set any header, read the HTTP answer to a refused upgrade, and stop
 * reading with a small receive buffer, as a slow or stalled reader does. It speaks just enough of RFC
 * 6455: masked frames out, unmasked frames in. Not thread-safe: one test thread drives it.
 */
public final class RawWebSocket implements AutoCloseable {
  /** One frame received: its opcode and payload. */
  public record Frame(int opcode, byte[] payload) {
    /** The payload as text. */
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** For a close frame, its status code. */
    public int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }

    /** For a close frame, its reason. */
    public String closeReason() {
      return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
    }
  }

  /** Opcodes. */
  public static final int TEXT = 1;
  /** Opcodes. */
  public static final int BINARY = 2;
  /** Opcodes. */
  public static final int CLOSE = 8;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final int status;
  private final Map<String, String> responseHeaders;

  private RawWebSocket(Socket socket, int status, Map<String, String> responseHeaders, DataInputStream in)
      throws IOException {
    this.socket = socket;
    this.in = in;
    this.out = socket.getOutputStream();
    this.status = status;
    this.responseHeaders = responseHeaders;
  }

  /**
   * Sends an upgrade request for {@code pathAndQuery} (sent as is, not encoded) with extra headers,
   * and reads the HTTP answer. A receive buffer of 0 keeps the system's default.
   */
  public static RawWebSocket open(int port, String pathAndQuery, Map<String, String> headers, int receiveBuffer) {
    try {
      Socket socket = new Socket();
      if (receiveBuffer > 0) {
        socket.setReceiveBufferSize(receiveBuffer); // before connect, so the TCP window stays small
      }
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
      byte[] key = new byte[16];
      ThreadLocalRandom.current().nextBytes(key);
      StringBuilder request = new StringBuilder();
      request.append("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n");
      request.append("Host: 127.0.0.1:").append(port).append("\r\n");
      request.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
      request.append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n");
      headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
      request.append("\r\n");
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      DataInputStream in = new DataInputStream(socket.getInputStream());
      String statusLine = line(in);
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> responseHeaders = new LinkedHashMap<>();
      for (String header = line(in); !header.isEmpty(); header = line(in)) {
        int colon = header.indexOf(':');
        responseHeaders.put(header.substring(0, colon).trim().toLowerCase(), header.substring(colon + 1).trim());
      }
      return new RawWebSocket(socket, status, responseHeaders, in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open " + pathAndQuery, e);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new EOFException("the connection closed in the HTTP answer");
      }
      if (b != '\r') {
        bytes.write(b);
      }
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  /** The HTTP status of the answer to the upgrade: 101 when it became a WebSocket. */
  public int status() {
    return status;
  }

  /** A header of the HTTP answer (name in any case), or null. */
  public String responseHeader(String name) {
    return responseHeaders.get(name.toLowerCase());
  }

  /** Sends one text frame. */
  public void sendText(String text) {
    send(TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends one binary frame. */
  public void sendBinary(byte[] data) {
    send(BINARY, data);
  }

  /** The bytes of one masked text frame, as a client sends it; for {@link #sendRaw}. */
  public static byte[] textFrame(String text) {
    return frame(TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes these bytes as they are, in one write: part of a frame, or several frames. */
  public void sendRaw(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("cannot send", e);
    }
  }

  private void send(int opcode, byte[] payload) {
    sendRaw(frame(opcode, payload));
  }

  private static byte[] frame(int opcode, byte[] payload) {
    ByteBuffer frame = ByteBuffer.allocate(14 + payload.length);
    frame.put((byte) (0x80 | opcode));
    if (payload.length < 126) {
      frame.put((byte) (0x80 | payload.length));
    } else if (payload.length <= 0xffff) {
      frame.put((byte) (0x80 | 126)).putShort((short) payload.length);
    } else {
      frame.put((byte) (0x80 | 127)).putLong(payload.length);
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.put(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.put((byte) (payload[i] ^ mask[i % 4]));
    }
    return Arrays.copyOf(frame.array(), frame.position());
  }

  /**
   * Reads the next frame, waiting at most {@code timeout}.
   *
   * @throws AssertionError if none arrives in time or the connection ends
   */
  public Frame read(Duration timeout) {
    try {
      socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
      int first = in.readUnsignedByte();
      int second = in.readUnsignedByte();
      long length = second & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[Math.toIntExact(length)];
      in.readFully(payload);
      return new Frame(first & 0x0f, payload);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no frame within " + timeout, e);
    } catch (IOException e) {
      throw new AssertionError("the connection ended while reading a frame", e);
    }
  }

  /**
   * Reads frames until a close frame, which it returns, each read waiting at most {@code timeout}.
   *
   * @throws AssertionError if a read times out or the connection ends without a close frame
   */
  public Frame readUntilClose(Duration timeout) {
    while (true) {
      Frame frame = read(timeout);
      if (frame.opcode() == CLOSE) {
        return frame;
      }
    }
  }

  /** Closes the TCP connection without a close handshake. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
