package dev.presence;

/** Validation of ids and texts that come from clients; messages name the value and the limit. */
final class Ids {
  static final int MAX_ID_BYTES = 256;
  static final int MAX_CUSTOM_TEXT_CHARS = 128;
  private static final int SHOWN_CHARS = 40;

  private Ids() {}

  /**
   * Checks an id: not null, not empty, at most 256 UTF-8 bytes, no control characters.
   *
   * @return the id
   * @throws IllegalArgumentException if it is not valid
   */
  static String check(String kind, String id) {
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
            kind + " " + shown(id) + " contains the control character U+" + String.format("%04X", (int) c)
                + " at index " + i);
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
      } else {
        bytes += 3;
      }
    }
    if (bytes > MAX_ID_BYTES) {
      throw new IllegalArgumentException(
          kind + " " + shown(id) + " is " + bytes + " UTF-8 bytes long, the limit is " + MAX_ID_BYTES);
    }
    return id;
  }

  /**
   * Checks a custom status text: null or blank means none; at most 128 characters (code points) and
   * no control characters.
   *
   * @return the text, stripped, or null for none
   * @throws IllegalArgumentException if it is too long or has control characters
   */
  static String checkCustomText(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String stripped = text.strip();
    int length = stripped.codePointCount(0, stripped.length());
    if (length > MAX_CUSTOM_TEXT_CHARS) {
      throw new IllegalArgumentException(
          "custom text "
              + shown(stripped)
              + " is "
              + length
              + " characters long, the limit is "
              + MAX_CUSTOM_TEXT_CHARS);
    }
    for (int i = 0; i < stripped.length(); i++) {
      if (Character.isISOControl(stripped.charAt(i))) {
        throw new IllegalArgumentException(
            "custom text " + shown(stripped) + " contains a control character at index " + i);
      }
    }
    return stripped;
  }

  /** The value for a message: quoted, escaped, and cut so that a huge id cannot flood a log. */
  static String shown(String value) {
    StringBuilder out = new StringBuilder("'");
    int limit = Math.min(value.length(), SHOWN_CHARS);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
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
}
