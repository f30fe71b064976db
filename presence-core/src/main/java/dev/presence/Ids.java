package dev.presence;

/** Validation of ids and texts that come from clients; messages name the value and the limit. */
final class Ids {
  static final int MAX_ID_BYTES = 256;
  static final int MAX_CUSTOM_TEXT_CHARS = 128;
  private static final int SHOWN_CHARS = 40;

  private Ids() {}

  /**
   * Checks an id: not null, not empty, at most 256 UTF-8 bytes, and valid text with nothing invisible
   * in it: no control characters, no unpaired surrogates (two such ids would encode to the same
   * bytes in a byte-keyed store), no format characters (Unicode category Cf: zero-width spaces and
   * joiners, bidi overrides, which let one id pass for another) and no noncharacters. Ids are
   * otherwise compared exactly as given: no normalisation, no case folding.
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
      if (c < 0x80) {
        if (c < 0x20 || c == 0x7F) {
          throw invalid(kind, id, "the control character", c, i);
        }
        bytes += 1;
        continue;
      }
      int codePoint = c;
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
          codePoint = Character.toCodePoint(c, id.charAt(i + 1));
        } else {
          throw invalid(kind, id, "an unpaired surrogate", c, i);
        }
      }
      String problem = problem(codePoint);
      if (problem != null) {
        throw invalid(kind, id, problem, codePoint, i);
      }
      bytes += codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
      if (codePoint >= 0x10000) {
        i++;
      }
    }
    if (bytes > MAX_ID_BYTES) {
      throw new IllegalArgumentException(
          kind + " " + shown(id) + " is " + bytes + " UTF-8 bytes long, the limit is " + MAX_ID_BYTES);
    }
    return id;
  }

  /** What makes a code point (not an ASCII one) invalid in an id, or null if it is fine. */
  private static String problem(int codePoint) {
    if (Character.isISOControl(codePoint)) {
      return "the control character";
    }
    if (Character.getType(codePoint) == Character.FORMAT) {
      return "the format character";
    }
    if ((codePoint >= 0xFDD0 && codePoint <= 0xFDEF) || (codePoint & 0xFFFE) == 0xFFFE) {
      return "the noncharacter";
    }
    return null;
  }

  private static IllegalArgumentException invalid(String kind, String id, String what, int codePoint, int index) {
    return new IllegalArgumentException(
        kind + " " + shown(id) + " contains " + what + " U+" + String.format("%04X", codePoint) + " at index " + index);
  }

  /**
   * Checks a custom status text: null or blank means none; at most 128 characters (code points), no
   * control characters and no unpaired surrogates. Format characters stay allowed here: emoji
   * sequences are joined with U+200D.
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
      char c = stripped.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "custom text " + shown(stripped) + " contains a control character at index " + i);
      }
      if (Character.isHighSurrogate(c) && i + 1 < stripped.length() && Character.isLowSurrogate(stripped.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw invalid("custom text", stripped, "an unpaired surrogate", c, i);
      }
    }
    return stripped;
  }

  /**
   * The value for a message: quoted, cut so that a huge id cannot flood a log, and with control,
   * format and surrogate characters escaped so that it cannot reorder or hide part of a log line.
   */
  static String shown(String value) {
    StringBuilder out = new StringBuilder("'");
    int limit = Math.min(value.length(), SHOWN_CHARS);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c) || Character.getType(c) == Character.FORMAT) {
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
