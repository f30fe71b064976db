package dev.presence.benchmarks.seed;

import dev.presence.Scheduler;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The baseline: a line-by-line Java port of the seed's reference presence server ({@code
 * shared/seed/presence-skill.txt}, "Basic Presence Tracking", plus {@code getBulkPresence} from its
 * Redis section, run against the same in-memory map). Every benchmark runs it in the same JMH
 * invocation as the engine, so each figure is a ratio.
 *
 * <p>What the seed does, kept as it is:
 *
 * <ul>
 *   <li>{@code presenceMap}: userId → {@code {status, lastSeen, socketId}}, one entry per user, so a
 *       second device overwrites the first (the seed's multi-device pitfall is part of the baseline).
 *   <li>{@code setPresence} stores a new {@link Entry} object on every call, heartbeats included,
 *       as {@code presenceMap.set(userId, {…})} does.
 *   <li>A connection sets the user online and broadcasts; a heartbeat only calls {@code setPresence};
 *       a status report from the client ({@code online|idle|dnd}) sets and broadcasts.
 *   <li>A disconnect schedules a 5 s {@code setTimeout}; when it fires, if the map still holds the
 *       same socket id, the user goes offline and it is broadcast. The timer is never cancelled.
 *   <li>{@link #sweep()}, the {@code setInterval} body, runs every 10 s and visits every entry,
 *       marking those silent for more than 45 s offline and broadcasting each one.
 *   <li>{@code broadcastPresence} is {@code io.emit}: one event object sent to every connected
 *       client ({@link Io}).
 *   <li>Typing ("Typing Indicators"): {@code socket.on('typing-start')} and {@code
 *       socket.on('typing-stop')} forward to the channel's room with {@code
 *       socket.to(channelId).emit}, i.e. to every socket in the room but the sender ({@link
 *       Socket#typingStart}, {@link Socket#typingStop}). The seed's client debounces keystrokes
 *       ({@link SeedTypingClient}) and expires indicators itself ({@link SeedTypingReceiver}).
 * </ul>
 *
 * <p>Where the seed has no Java shape, the obvious one:
 *
 * <ul>
 *   <li>{@code Map} → {@link ConcurrentHashMap}; objects → records; {@code Date.now()} → {@link
 *       InstantSource#millis()}; statuses are the seed's strings.
 *   <li>{@code setTimeout}/{@code setInterval} → a {@link Scheduler} (a {@code
 *       ScheduledThreadPoolExecutor} through {@link Scheduler#of}, or a simulated clock); the
 *       interval re-arms itself after each run.
 *   <li>A socket.io socket → {@link Socket}, with a 20-character id as socket.io generates (here
 *       from a counter) and a sink that stands for writing to the client.
 *   <li>JavaScript runs each handler to completion on one thread; this port keeps the seed's
 *       check-then-set in the grace timer and the sweep (no extra locking), which is what a direct
 *       port gives. The benchmarks drive it from one thread plus the timer thread.
 * </ul>
 *
 * <p>Kept in the benchmarks module only; it is a baseline, not an alternative implementation.
 */
public final class SeedPresenceServer implements AutoCloseable {
  /** {@code PRESENCE_TTL}: offline after 45 s without a heartbeat. */
  public static final long PRESENCE_TTL = 45_000;
  /** The {@code setTimeout} grace after a disconnect. */
  public static final long GRACE = 5_000;
  /** The {@code setInterval} period of the sweep. */
  public static final long SWEEP_INTERVAL = 10_000;

  public static final String ONLINE = "online";
  public static final String OFFLINE = "offline";
  private static final Set<String> CLIENT_STATUSES = Set.of("online", "idle", "dnd");

  /** A {@code presenceMap} value. */
  public record Entry(String status, long lastSeen, String socketId) {}

  /** The {@code io.emit('presence', …)} payload. */
  public record PresenceEvent(String userId, String status, long timestamp) {}

  /** One row of {@code getBulkPresence}. */
  public record BulkPresence(String userId, String status) {}

  /**
   * A typing message as {@code socket.to(channelId).emit} sends it: {@code 'typing'} with {@code
   * {userId, name, channelId}} or {@code 'typing-stopped'} with {@code {userId, channelId}} ({@code
   * name} null).
   */
  public record TypingMessage(String type, String userId, String name, String channelId) {}

  /** {@code socket.join(channelId)} rooms: channel id → sockets in it. */
  private final ConcurrentHashMap<String, Set<Socket>> rooms = new ConcurrentHashMap<>();
  private long typingEmits;
  private long typingDeliveries;

  private final ConcurrentHashMap<String, Entry> presenceMap = new ConcurrentHashMap<>();
  private final Scheduler timers;
  private final InstantSource clock;
  private final Io io;
  private final AtomicLong socketCounter = new AtomicLong();
  private volatile boolean closed;
  private long sweepVisits;
  private long sweepOfflines;

  /**
   * @param timers runs the grace {@code setTimeout}s and the sweep {@code setInterval}
   * @param clock {@code Date.now()}
   * @param io where {@code io.emit} goes
   */
  public SeedPresenceServer(Scheduler timers, InstantSource clock, Io io) {
    this.timers = timers;
    this.clock = clock;
    this.io = io;
  }

  /** Starts the {@code setInterval(sweep, 10000)}. */
  public void startSweep() {
    timers.schedule(
        () -> {
          if (closed) {
            return;
          }
          sweep();
          startSweep();
        },
        SWEEP_INTERVAL,
        TimeUnit.MILLISECONDS);
  }

  /** {@code io.on('connection', socket => …)}: a new socket of {@code userId}. */
  public Socket connect(String userId, Consumer<PresenceEvent> sink) {
    Socket socket = new Socket(nextSocketId(), userId, sink);
    io.join(socket);
    setPresence(userId, ONLINE, socket.id);
    broadcastPresence(userId, ONLINE);
    return socket;
  }

  private void setPresence(String userId, String status, String socketId) {
    presenceMap.put(userId, new Entry(status, clock.millis(), socketId));
  }

  private void broadcastPresence(String userId, String status) {
    io.emit(new PresenceEvent(userId, status, clock.millis()));
  }

  /**
   * The {@code setInterval} body: visits every entry and marks those silent for more than 45 s
   * offline.
   *
   * @return the number of entries visited
   */
  public long sweep() {
    long now = clock.millis();
    long visited = 0;
    for (var e : presenceMap.entrySet()) {
      visited++;
      Entry entry = e.getValue();
      if (!entry.status().equals(OFFLINE) && now - entry.lastSeen() > PRESENCE_TTL) {
        setPresence(e.getKey(), OFFLINE, null);
        broadcastPresence(e.getKey(), OFFLINE);
        sweepOfflines++;
      }
    }
    sweepVisits += visited;
    return visited;
  }

  /** The user's entry, or null; {@code presenceMap.get}. */
  public Entry get(String userId) {
    return presenceMap.get(userId);
  }

  /** {@code getBulkPresence(userIds)}: one row per id, offline for unknown users. */
  public List<BulkPresence> getBulkPresence(List<String> userIds) {
    List<BulkPresence> result = new ArrayList<>(userIds.size());
    for (String id : userIds) {
      Entry entry = presenceMap.get(id);
      result.add(new BulkPresence(id, entry != null ? entry.status() : OFFLINE));
    }
    return result;
  }

  /** Room emits of typing messages so far (one per {@code socket.to(room).emit}). */
  public long typingEmits() {
    return typingEmits;
  }

  /** Typing messages delivered to clients so far (one per socket in the room but the sender). */
  public long typingDeliveries() {
    return typingDeliveries;
  }

  /** {@code socket.to(channelId).emit(message)}: every socket in the room but {@code sender}. */
  private void emitToRoom(Socket sender, String channelId, TypingMessage message) {
    typingEmits++;
    Set<Socket> room = rooms.get(channelId);
    if (room == null) {
      return;
    }
    long sent = 0;
    for (Socket socket : room) {
      if (socket != sender) {
        socket.sendTyping(message);
        sent++;
      }
    }
    typingDeliveries += sent;
  }

  /** Entries visited by all sweeps so far. */
  public long sweepVisits() {
    return sweepVisits;
  }

  /** Users the sweeps have marked offline so far. */
  public long sweepOfflines() {
    return sweepOfflines;
  }

  /** Entries in {@code presenceMap}. */
  public int size() {
    return presenceMap.size();
  }

  @Override
  public void close() {
    closed = true;
  }

  private String nextSocketId() {
    // socket.io ids are 20 characters of base64url; a counter in base 36 padded to 20 keeps them
    // unique and the same size.
    String digits = Long.toString(socketCounter.incrementAndGet(), 36);
    StringBuilder id = new StringBuilder(20);
    for (int i = digits.length(); i < 20; i++) {
      id.append('0');
    }
    return id.append(digits).toString();
  }

  /** One socket.io connection and the seed's handlers on it. */
  public final class Socket {
    final String id;
    final String userId;
    final Consumer<PresenceEvent> sink;
    /**
     * Rooms and typing sink, made on the first {@link #join} or {@link #onTyping}: one field, so a
     * socket that never joins a room is as large as before (the memory benchmark measures sockets).
     */
    private Rooms rooms;

    Socket(String id, String userId, Consumer<PresenceEvent> sink) {
      this.id = id;
      this.userId = userId;
      this.sink = sink;
    }

    /** The socket id. */
    public String id() {
      return id;
    }

    /** {@code socket.on('heartbeat')}. */
    public void heartbeat() {
      setPresence(userId, ONLINE, id);
    }

    /** {@code socket.on('status', status)}. */
    public void status(String status) {
      if (CLIENT_STATUSES.contains(status)) {
        setPresence(userId, status, id);
        broadcastPresence(userId, status);
      }
    }

    /** Where this client's typing messages go (by default nowhere). */
    public void onTyping(Consumer<TypingMessage> typingSink) {
      rooms().typingSink = typingSink;
    }

    /** {@code socket.join(channelId)}. */
    public void join(String channelId) {
      if (SeedPresenceServer.this.rooms.computeIfAbsent(channelId, id -> ConcurrentHashMap.newKeySet()).add(this)) {
        rooms().joined.add(channelId);
      }
    }

    private Rooms rooms() {
      if (rooms == null) {
        rooms = new Rooms();
      }
      return rooms;
    }

    /** {@code socket.on('typing-start', ({channelId}) => socket.to(channelId).emit('typing', …))}. */
    public void typingStart(String channelId) {
      emitToRoom(this, channelId, new TypingMessage("typing", userId, userId, channelId));
    }

    /** {@code socket.on('typing-stop', ({channelId}) => socket.to(channelId).emit('typing-stopped', …))}. */
    public void typingStop(String channelId) {
      emitToRoom(this, channelId, new TypingMessage("typing-stopped", userId, null, channelId));
    }

    /** {@code socket.on('disconnect')}: 5 s grace, then offline if no newer socket took over. */
    public void disconnect() {
      io.leave(this);
      if (rooms != null) {
        for (String channelId : rooms.joined) {
          SeedPresenceServer.this.rooms.get(channelId).remove(this); // socket.io leaves every room of a closed socket
        }
      }
      timers.schedule(
          () -> {
            Entry current = presenceMap.get(userId);
            if (current != null && id.equals(current.socketId())) {
              setPresence(userId, OFFLINE, null);
              broadcastPresence(userId, OFFLINE);
            }
          },
          GRACE,
          TimeUnit.MILLISECONDS);
    }

    /** Delivers one emitted event to this client. */
    void send(PresenceEvent event) {
      sink.accept(event);
    }

    /** Delivers one typing message to this client. */
    void sendTyping(TypingMessage message) {
      if (rooms != null && rooms.typingSink != null) {
        rooms.typingSink.accept(message);
      }
    }
  }

  /** A socket's rooms and typing sink. */
  private static final class Rooms {
    final List<String> joined = new ArrayList<>(1);
    Consumer<TypingMessage> typingSink;
  }

  /** socket.io's default namespace: the connected sockets and {@code io.emit}. */
  public interface Io {
    /** A socket connected. */
    void join(Socket socket);

    /** A socket disconnected. */
    void leave(Socket socket);

    /** {@code io.emit}: sends the event to every connected socket. */
    void emit(PresenceEvent event);

    /** Events delivered to clients so far (one per connected socket per emit). */
    long deliveries();

    /** Events emitted so far. */
    long emits();

    /** {@code io.emit} as socket.io does it: a loop over every connected socket. */
    static BroadcastIo broadcast() {
      return new BroadcastIo();
    }

    /**
     * Counts the deliveries {@code io.emit} would make (one per connected socket) without making
     * them. Only for benchmarks that measure something else (the sweep) and say so, where the real
     * loop would take hours (10k offline events per second × 1M sockets).
     */
    static Io countOnly() {
      return new CountingIo();
    }
  }

  /**
   * {@code io.emit} as socket.io does it: a loop over every connected socket. It can be muted while a
   * benchmark connects its N clients (each connect broadcasts, so setting up N clients would
   * otherwise take N²/2 deliveries); muted emits are counted but not delivered.
   */
  public static final class BroadcastIo implements Io {
    private final ConcurrentHashMap<String, Socket> sockets = new ConcurrentHashMap<>();
    private long deliveries;
    private long emits;
    private boolean muted;

    /** Mutes or unmutes delivery. */
    public void muted(boolean muted) {
      this.muted = muted;
    }

    @Override
    public void join(Socket socket) {
      sockets.put(socket.id, socket);
    }

    @Override
    public void leave(Socket socket) {
      sockets.remove(socket.id, socket);
    }

    @Override
    public void emit(PresenceEvent event) {
      emits++;
      if (muted) {
        return;
      }
      long sent = 0;
      for (Socket socket : sockets.values()) {
        socket.send(event);
        sent++;
      }
      deliveries += sent;
    }

    @Override
    public long deliveries() {
      return deliveries;
    }

    @Override
    public long emits() {
      return emits;
    }
  }

  private static final class CountingIo implements Io {
    private long connected;
    private long deliveries;
    private long emits;

    @Override
    public synchronized void join(Socket socket) {
      connected++;
    }

    @Override
    public synchronized void leave(Socket socket) {
      connected--;
    }

    @Override
    public synchronized void emit(PresenceEvent event) {
      emits++;
      deliveries += connected;
    }

    @Override
    public synchronized long deliveries() {
      return deliveries;
    }

    @Override
    public synchronized long emits() {
      return emits;
    }
  }
}
