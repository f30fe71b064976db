package dev.presence.examples.chat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Checks a raw query string before the web server decodes it. Stateless and thread-safe. */
final class QueryStrings {
  private QueryStrings() {}

  /**
   * Whether every {@code %} is followed by two hex digits and the decoded bytes are UTF-8: what the
   * web server needs to decode it. Null and empty are well formed.
   */
  static boolean isWellFormed(String rawQuery) {
    if (rawQuery == null || rawQuery.indexOf('%') < 0) {
      return true;
    }
    for (String part : rawQuery.split("[&=]", -1)) {
      ByteBuffer bytes = ByteBuffer.allocate(part.length() * 4);
      for (int i = 0; i < part.length(); i++) {
        char c = part.charAt(i);
        if (c == '%') {
          if (i + 2 >= part.length()) {
            return false;
          }
          int high = Character.digit(part.charAt(i + 1), 16);
          int low = Character.digit(part.charAt(i + 2), 16);
          if (high < 0 || low < 0) {
            return false;
          }
          bytes.put((byte) (high * 16 + low));
          i += 2;
        } else if (c < 0x80) {
          bytes.put((byte) c);
        } else {
          return false; // a raw query is ASCII; anything else should have been percent-encoded
        }
      }
      bytes.flip();
      try {
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(bytes);
      } catch (CharacterCodingException e) {
        return false;
      }
    }
    return true;
  }
}
