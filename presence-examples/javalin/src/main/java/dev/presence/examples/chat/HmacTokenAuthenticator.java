package dev.presence.examples.chat;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An {@link Authenticator} that believes only a user id signed with the server's secret: the {@code
 * token} query parameter is {@code base64url(expiresAtEpochSeconds ":" userId) "." base64url(HMAC-SHA256)}.
 * Whoever hands out tokens (your login, here {@link #issue}) holds the secret; the page only passes
 * the token on. A {@code user} parameter, if present, must name the token's user.
 *
 * <p>This shows where real authentication plugs in; it is not a session system (no revocation, and
 * a token in a URL ends up in histories and logs). Thread-safe: every call makes its own {@link Mac}.
 */
public final class HmacTokenAuthenticator implements Authenticator {
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final InstantSource clock;

  /**
   * An authenticator for tokens signed with {@code secret}, checked against {@code clock}.
   *
   * @throws IllegalArgumentException if the secret is shorter than 16 characters
   * @throws NullPointerException if an argument is null
   */
  public HmacTokenAuthenticator(String secret, InstantSource clock) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length() < 16) {
      throw new IllegalArgumentException("a secret has at least 16 characters");
    }
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** An authenticator for tokens signed with {@code secret}, checked against the system clock. */
  public HmacTokenAuthenticator(String secret) {
    this(secret, InstantSource.system());
  }

  /**
   * A token that proves {@code userId} until {@code expiresAt}.
   *
   * @throws IllegalArgumentException if the user id breaks the name rule ({@link UserNames})
   */
  public String issue(String userId, Instant expiresAt) {
    String problem = UserNames.problem(userId);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    byte[] payload = (expiresAt.getEpochSecond() + ":" + userId).getBytes(StandardCharsets.UTF_8);
    return ENCODER.encodeToString(payload) + "." + ENCODER.encodeToString(mac(payload));
  }

  /**
   * {@inheritDoc}
   *
   * @throws AuthenticationException if the token is missing, malformed, badly signed or expired, or
   *     names another user than the {@code user} parameter
   */
  @Override
  public String authenticate(Request request) throws AuthenticationException {
    String token = request.queryParam("token");
    if (token == null || token.isEmpty()) {
      throw new AuthenticationException("the query parameter 'token' is missing");
    }
    int dot = token.indexOf('.');
    byte[] payload;
    byte[] signature;
    try {
      payload = DECODER.decode(token.substring(0, Math.max(dot, 0)));
      signature = DECODER.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException("the token is malformed");
    }
    if (dot <= 0 || !MessageDigest.isEqual(signature, mac(payload))) { // constant time
      throw new AuthenticationException("the token's signature is not valid");
    }
    String text = new String(payload, StandardCharsets.UTF_8);
    int colon = text.indexOf(':');
    long expiresAt;
    try {
      expiresAt = Long.parseLong(text.substring(0, Math.max(colon, 0)));
    } catch (NumberFormatException e) {
      throw new AuthenticationException("the token is malformed");
    }
    if (clock.instant().getEpochSecond() >= expiresAt) {
      throw new AuthenticationException("the token has expired");
    }
    String userId = text.substring(colon + 1);
    String claimed = request.queryParam("user");
    if (claimed != null && !claimed.equals(userId)) {
      throw new AuthenticationException("the token is not for user '" + claimed + "'");
    }
    return userId;
  }

  private byte[] mac(byte[] payload) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
