package dev.presence.examples.jakarta;

import dev.presence.DeviceConnection;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.Subscriber;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The engine behind a plain Jakarta WebSocket endpoint (Jetty 12, ee10): the same wiring as the chat
 * demo, minus the page. Each socket is one device; every user joins and watches channel "lobby".
 *
 * <p>Text protocol, one command per message. Client to server: {@code heartbeat}, {@code active},
 * {@code idle}, {@code typing <channel>}, {@code stop <channel>}. Server to client: {@code presence
 * <user> <STATE>} (the snapshot first, then changes), {@code typing <channel> <user>}, {@code stopped
 * <channel> <user>}. Run: {@code java -cp presence-examples/javalin/target/presence-demo.jar
 * dev.presence.examples.jakarta.JakartaPresenceExample [port]}, then connect to {@code
 * ws://localhost:8081/presence/alice}.
 */
public final class JakartaPresenceExample {
  static final String LOBBY = "lobby";

  private JakartaPresenceExample() {}

  /** Starts Jetty on 127.0.0.1 ({@code port} 0 picks a free one) with the endpoint at /presence/{user}. */
  public static Server start(Presence presence, int port) throws Exception {
    Server server = new Server(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    ServletContextHandler context = new ServletContextHandler("/");
    server.setHandler(context);
    ServerEndpointConfig.Configurator factory =
        new ServerEndpointConfig.Configurator() {
          @Override
          public <T> T getEndpointInstance(Class<T> type) {
            return type.cast(new PresenceEndpoint(presence));
          }
        };
    JakartaWebSocketServletContainerInitializer.configure(
        context,
        (servletContext, container) ->
            container.addEndpoint(
                ServerEndpointConfig.Builder.create(PresenceEndpoint.class, "/presence/{user}")
                    .configurator(factory)
                    .build()));
    server.start();
    return server;
  }

  /** The port a started server listens on. */
  public static int port(Server server) {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  public static void main(String[] args) throws Exception {
    Presence presence = Presence.builder().build();
    Server server = start(presence, args.length > 0 ? Integer.parseInt(args[0]) : 8081);
    System.out.println("connect to ws://localhost:" + port(server) + "/presence/{user}");
    server.join();
  }

  /** One instance per WebSocket: its device connection and its subscriber. */
  public static final class PresenceEndpoint extends Endpoint {
    private final Presence presence;
    private volatile DeviceConnection device;

    PresenceEndpoint(Presence presence) {
      this.presence = presence;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
      String user = session.getPathParameters().get("user");
      try {
        device = presence.connect(user, session.getId()); // one socket = one device
      } catch (IllegalArgumentException e) { // a bad user id, or too many devices
        close(session, CloseReason.CloseCodes.CANNOT_ACCEPT, e.getMessage());
        return;
      }
      presence.joinChannel(LOBBY, user);
      Subscriber subscriber =
          presence.subscribe(
              device,
              new PresenceSink() {
                @Override
                public void onPresence(List<UserPresence> changes) {
                  changes.forEach(p -> send(session, "presence " + p.userId() + " " + p.state()));
                }

                @Override
                public void onTyping(List<TypingEvent> events) {
                  for (TypingEvent e : events) {
                    String verb = e.kind() == TypingEvent.Kind.STOPPED ? "stopped " : "typing ";
                    send(session, verb + e.channelId() + " " + e.userId());
                  }
                }
              });
      // Holding the session's monitor makes a change that races the snapshot wait until it is sent.
      synchronized (session) {
        subscriber.watchChannel(LOBBY).users().forEach(p -> send(session, "presence " + p.userId() + " " + p.state()));
      }
      session.addMessageHandler(String.class, text -> onText(session, text));
    }

    private void onText(Session session, String text) {
      String[] parts = text.strip().split(" ", 2);
      String channel = parts.length > 1 ? parts[1] : LOBBY;
      boolean open =
          switch (parts[0]) {
            case "heartbeat" -> device.heartbeat();
            case "active" -> device.activity();
            case "idle" -> device.setIdle(true);
            case "typing" -> device.typing(channel);
            case "stop" -> device.stopTyping(channel);
            default -> {
              send(session, "error unknown command " + parts[0]);
              yield true;
            }
          };
      if (!open) { // expired or taken over: the client should reconnect
        close(session, CloseReason.CloseCodes.GOING_AWAY, "expired");
      }
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
      if (device != null) {
        device.disconnect(); // counted for the grace period; the subscriber closes with it
      }
    }

    private static void close(Session session, CloseReason.CloseCode code, String why) {
      try {
        session.close(new CloseReason(code, why.length() > 120 ? why.substring(0, 120) : why));
      } catch (IOException e) {
        // closing anyway
      }
    }

    private static void send(Session session, String text) {
      synchronized (session) {
        try {
          if (session.isOpen()) {
            session.getBasicRemote().sendText(text);
          }
        } catch (IOException e) {
          // the socket is closing; onClose cleans up
        }
      }
    }
  }
}
