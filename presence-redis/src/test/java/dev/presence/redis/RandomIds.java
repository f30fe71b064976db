package dev.presence.redis;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Random valid ids of the shapes that break naive key encodings. Deterministic for a given seed. */
final class RandomIds {
  /** Characters that must be escaped, plus look-alikes of escapes. */
  private static final String NASTY = ":{}%:{}%3AB7D25 {{}}::%%";
  static final long SEED = Long.getLong("presence.seed", 20_260_312L);

  private final Random random;

  RandomIds(long seed) {
    this.random = new Random(seed);
  }

  /** An id of one of the shapes, chosen at random. */
  String next() {
    switch (random.nextInt(4)) {
      case 0:
        return unicode(1 + random.nextInt(40));
      case 1:
        return nasty(1 + random.nextInt(40));
      case 2:
        return longest();
      default:
        return mixed(1 + random.nextInt(20));
    }
  }

  /** Any code point but controls and surrogates: BMP letters, symbols, astral emoji and CJK. */
  String unicode(int codePoints) {
    StringBuilder out = new StringBuilder();
    while (out.codePointCount(0, out.length()) < codePoints) {
      int cp = random.nextInt(4) == 0 ? 0x10000 + random.nextInt(0x10FFFF - 0x10000 + 1) : random.nextInt(0x10000);
      if (Character.isISOControl(cp) || Character.getType(cp) == Character.SURROGATE) {
        continue;
      }
      out.appendCodePoint(cp);
    }
    return out.toString();
  }

  /** Mostly {@code : { } %}, with a few hex digits so that text looks like escapes. */
  String nasty(int chars) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < chars; i++) {
      out.append(NASTY.charAt(random.nextInt(NASTY.length())));
    }
    return out.toString();
  }

  /** Exactly 256 UTF-8 bytes: the longest id allowed, of 1- to 4-byte characters and specials. */
  String longest() {
    StringBuilder out = new StringBuilder();
    int bytes = 0;
    while (bytes < IdEncoding.MAX_ID_BYTES) {
      String piece;
      switch (random.nextInt(5)) {
        case 0 -> piece = ":";
        case 1 -> piece = "{";
        case 2 -> piece = "é";
        case 3 -> piece = "語";
        default -> piece = "😀";
      }
      int size = piece.getBytes(StandardCharsets.UTF_8).length;
      if (bytes + size > IdEncoding.MAX_ID_BYTES) {
        piece = "}";
        size = 1;
      }
      out.append(piece);
      bytes += size;
    }
    return out.toString();
  }

  /** Unicode and specials interleaved. */
  String mixed(int parts) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < parts; i++) {
      out.append(random.nextBoolean() ? unicode(1 + random.nextInt(3)) : nasty(1 + random.nextInt(3)));
    }
    String id = out.toString();
    return id.getBytes(StandardCharsets.UTF_8).length <= IdEncoding.MAX_ID_BYTES ? id : nasty(10);
  }

  int nextInt(int bound) {
    return random.nextInt(bound);
  }
}
