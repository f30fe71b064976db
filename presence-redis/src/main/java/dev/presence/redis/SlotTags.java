package dev.presence.redis;

import io.lettuce.core.cluster.SlotHash;

/**
 * For each of the 16,384 cluster slots, a short ASCII hash tag that lands in it.
 *
 * <p>Keys that must live in the same slot as a user, without naming the user, use the tag of that
 * slot: a per-slot index of a node's users ({@code <prefix>ni:{<tag>}:<node>}) can then be updated by
 * the same script that changes the user, since both keys are in one slot. Tags are 1 to 3 characters
 * of {@code [0-9A-Za-z]}, the shortest that hashes to the slot (ties go to the first in enumeration
 * order), so they never contain {@code { } : %} and never need escaping. The table is the same on every
 * JVM: it depends only on CRC16.
 *
 * <p>The table is built once, on first use, by hashing strings of growing length until every slot
 * has one: about 240,000 three-byte CRCs, a few milliseconds.
 */
final class SlotTags {
  static final int SLOTS = SlotHash.SLOT_COUNT;
  private static final int MAX_LENGTH = 4;
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private SlotTags() {}

  /**
   * The tag of a slot.
   *
   * @param slot a slot, 0 to 16,383
   * @return a short ASCII tag whose CRC16 modulo 16,384 is {@code slot}
   * @throws IndexOutOfBoundsException if the slot is out of range
   */
  static String of(int slot) {
    return Table.TAGS[slot];
  }

  // ---- internals

  /** Holder idiom: the JVM builds the table once, thread-safely, the first time a tag is asked for. */
  private static final class Table {
    static final String[] TAGS = build();

    private static String[] build() {
      String[] tags = new String[SLOTS];
      int missing = SLOTS;
      char[] chars = new char[MAX_LENGTH];
      for (int length = 1; missing > 0; length++) {
        if (length > MAX_LENGTH) {
          // Cannot happen: three characters give 238,328 candidates; kept so a bug cannot loop forever.
          throw new IllegalStateException(missing + " slots have no tag of up to " + MAX_LENGTH + " characters");
        }
        int count = (int) Math.pow(ALPHABET.length(), length);
        for (int n = 0; n < count && missing > 0; n++) {
          int rest = n;
          for (int i = length - 1; i >= 0; i--) {
            chars[i] = ALPHABET.charAt(rest % ALPHABET.length());
            rest /= ALPHABET.length();
          }
          String tag = new String(chars, 0, length);
          int slot = SlotHash.getSlot(tag);
          if (tags[slot] == null) {
            tags[slot] = tag;
            missing--;
          }
        }
      }
      return tags;
    }
  }
}
