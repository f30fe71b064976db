package dev.presence.redis;

/**
 * Turns a user, device, channel or node id into the text that goes inside a Redis key, and back.
 *
 * <p>Ids are arbitrary Unicode. Four characters would let one id pass for another or move a key out
 * of its hash slot, so they are percent-escaped: {@code %} as {@code %25} (so escapes cannot be
 * forged), <code>{</code> and <code>}</code> as {@code %7B} and {@code %7D} (Redis hashes only what lies between
 * the first braces of a key, so a brace in an id would change the tag), and {@code :} as {@code %3A}
 * (the separator between the parts of a key). Everything else is kept as it is and reaches Redis as
 * UTF-8. The encoding is injective: {@code decode(encode(id)).equals(id)} for every valid id, and an
 * encoded id never contains <code>{</code>, <code>}</code> or {@code :}.
 *
 * <p>A valid id is not empty (an empty hash tag {@code {}} makes Redis hash the whole key), has no
 * control characters and no unpaired surrogate (Java's UTF-8 encoder turns every unpaired surrogate
 * into {@code ?}, so two different ids would meet in Redis), and is at most 256 UTF-8 bytes long.
 */
final class IdEncoding {
  static final int MAX_ID_BYTES = 256;
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final int SHOWN_CHARS = 40;

  private IdEncoding() {}

  // ---- API

  /**
   * Encodes an id for a key.
   *
   * @param kind what the id names, for the message ("user id", "device id", ...)
   * @param id the id
   * @return the id with {@code % { } :} escaped, every other character kept
   * @throws IllegalArgumentException if the id is null, empty, too long, or has a control character or
   *     an unpaired surrogate
   */
  static String encode(String kind, String id) {
    check(kind, id);
    int i = firstSpecial(id);
    if (i < 0) {
      return id; // the common case allocates nothing
    }
    StringBuilder out = new StringBuilder(id.length() + 16);
    out.append(id, 0, i);
    for (; i < id.length(); i++) {
      char c = id.charAt(i);
      if (isSpecial(c)) {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Decodes what {@link #encode} produced.
   *
   * @param encoded an encoded id
   * @return the id
   * @throws IllegalArgumentException if {@code encoded} is not the encoding of any id: a raw <code>{</code>,
   *     <code>}</code> or {@code :}, or a {@code %} not followed by one of the four escapes
   */
  static String decode(String encoded) {
    int i = encoded.indexOf('%');
    if (i < 0) {
      checkNoRawSpecial(encoded, 0);
      return encoded;
    }
    StringBuilder out = new StringBuilder(encoded.length());
    for (int j = 0; j < encoded.length(); j++) {
      char c = encoded.charAt(j);
      if (c == '%') {
        char decoded = j + 2 < encoded.length() ? unescape(encoded.charAt(j + 1), encoded.charAt(j + 2)) : 0;
        if (decoded == 0) {
          throw new IllegalArgumentException(
              "encoded id " + shown(encoded) + " has an unknown escape at index " + j);
        }
        out.append(decoded);
        j += 2;
      } else if (c == '{' || c == '}' || c == ':') {
        throw new IllegalArgumentException(
            "encoded id " + shown(encoded) + " has a raw '" + c + "' at index " + j);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Checks an id as {@link #encode} does.
   *
   * @return the number of UTF-8 bytes of the id
   * @throws IllegalArgumentException if it is not valid
   */
  static int check(String kind, String id) {
    if (id == null) {
      throw new IllegalArgumentException(kind + " must not be null");
    }
    if (id.isEmpty()) {
      throw new IllegalArgumentException(kind + " must not be empty");
    }
    int bytes = 0;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            kind + " " + shown(id) + " contains the control character U+" + hex4(c) + " at index " + i);
      }
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < id.length()
          && Character.isLowSurrogate(id.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            kind + " " + shown(id) + " contains the unpaired surrogate U+" + hex4(c) + " at index " + i);
      } else {
        bytes += 3;
      }
    }
    if (bytes > MAX_ID_BYTES) {
      throw new IllegalArgumentException(
          kind + " " + shown(id) + " is " + bytes + " UTF-8 bytes long, the limit is " + MAX_ID_BYTES);
    }
    return bytes;
  }

  // ---- internals

  private static boolean isSpecial(char c) {
    return c == '%' || c == '{' || c == '}' || c == ':';
  }

  private static int firstSpecial(String id) {
    for (int i = 0; i < id.length(); i++) {
      if (isSpecial(id.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /** The character an escape stands for, or 0 if it is none of the four. Upper-case hex only. */
  private static char unescape(char high, char low) {
    if (high == '2' && low == '5') {
      return '%';
    }
    if (high == '7' && low == 'B') {
      return '{';
    }
    if (high == '7' && low == 'D') {
      return '}';
    }
    if (high == '3' && low == 'A') {
      return ':';
    }
    return 0;
  }

  private static void checkNoRawSpecial(String encoded, int from) {
    for (int i = from; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '{' || c == '}' || c == ':') {
        throw new IllegalArgumentException(
            "encoded id " + shown(encoded) + " has a raw '" + c + "' at index " + i);
      }
    }
  }

  private static String hex4(char c) {
    return String.format("%04X", (int) c);
  }

  /** The value for a message: quoted, control characters escaped, cut so a huge id cannot flood a log. */
  static String shown(String value) {
    StringBuilder out = new StringBuilder("'");
    int limit = Math.min(value.length(), SHOWN_CHARS);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c) && !validPairAt(value, i)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('\'');
    if (value.length() > SHOWN_CHARS) {
      out.append("... (").append(value.length()).append(" chars)");
    }
    return out.toString();
  }

  private static boolean validPairAt(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
