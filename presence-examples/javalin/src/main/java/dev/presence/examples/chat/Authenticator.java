package dev.presence.examples.chat;

/**
 * Decides who a WebSocket belongs to: this is where real authentication plugs in. The chat server
 * asks it once per connection, before the engine hears of the connection, and uses the user id it
 * returns as the identity for everything that connection does.
 *
 * <p>The demo ships two: {@link #trustingUserParameter()}, which believes the {@code user} query
 * parameter (fine on localhost, nowhere else), and {@link HmacTokenAuthenticator}, which only
 * believes a user id signed with a server secret. A real application would check its session
 * cookie or a token from its identity provider here. Whatever the authenticator returns must still
 * pass the demo's name rule ({@link UserNames}).
 *
 * <p>Implementations are called from many threads at once and must be thread-safe.
 */
@FunctionalInterface
public interface Authenticator {

  /** What an authenticator may look at: the WebSocket upgrade request. */
  interface Request {
    /** The decoded value of a query parameter, or null if it is absent. */
    String queryParam(String name);

    /** The value of a request header, or null if it is absent. */
    String header(String name);
  }

  /** A connection the authenticator refuses; the message is the reason shown to the client. */
  final class AuthenticationException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A refusal with a reason meant for the client (no secrets in it). */
    public AuthenticationException(String reason) {
      super(reason, null, false, false);
    }
  }

  /**
   * Returns the user id this request is allowed to act as.
   *
   * @throws AuthenticationException if the request does not prove an identity; the connection is
   *     refused with the exception's message as the reason
   */
  String authenticate(Request request) throws AuthenticationException;

  /**
   * The demo's default: the {@code user} query parameter is the identity, as typed into the page's
   * form. Anyone who can reach the server can be anyone; keep such a server on localhost.
   */
  static Authenticator trustingUserParameter() {
    return request -> {
      String user = request.queryParam("user");
      if (user == null || user.isEmpty()) {
        throw new AuthenticationException("the query parameter 'user' is missing");
      }
      return user;
    };
  }
}
