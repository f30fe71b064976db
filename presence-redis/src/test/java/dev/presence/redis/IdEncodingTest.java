package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ids become key text that can neither collide nor leave their hash slot, whatever they contain. */
class IdEncodingTest {
  private static final int SAMPLES = 20_000;
  private final RedisKeys keys = RedisKeys.of("app");

  @Test
  void theFourSpecialCharactersArePercentEscapedAndEverythingElseIsKept() {
    assertThat(IdEncoding.encode("user id", "a:b{c}d%e")).isEqualTo("a%3Ab%7Bc%7Dd%25e");
    assertThat(IdEncoding.encode("user id", "%3A")).isEqualTo("%253A");
    assertThat(IdEncoding.encode("user id", "Zoë 語 😀 a/b=c")).isEqualTo("Zoë 語 😀 a/b=c");
  }

  @Test
  void randomIdsNeverShareAnEncodingAndDecodeBackToThemselves() {
    RandomIds ids = new RandomIds(RandomIds.SEED);
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < SAMPLES; i++) {
      String id = ids.next();
      String encoded = IdEncoding.encode("user id", id);
      String other = seen.putIfAbsent(encoded, id);
      assertThat(other).as("ids %s and %s share the encoding %s (seed %d)", other, id, encoded, RandomIds.SEED)
          .isIn(null, id);
      assertThat(IdEncoding.decode(encoded)).isEqualTo(id);
      assertThat(encoded).doesNotContain("{", "}", ":");
    }
    assertThat(seen).hasSizeGreaterThan(SAMPLES / 2);
  }

  @Test
  void everyKeyOfAUserIsInTheSlotOfItsEncodedIdAsLettuceComputesIt() {
    RandomIds ids = new RandomIds(RandomIds.SEED + 1);
    for (int i = 0; i < SAMPLES; i++) {
      String id = ids.next();
      int slot = SlotHash.getSlot(IdEncoding.encode("user id", id));
      assertThat(RedisKeys.slotOfUser(id)).isEqualTo(slot);
      assertThat(SlotHash.getSlot(keys.user(id))).as("user key of %s", id).isEqualTo(slot);
      assertThat(SlotHash.getSlot(keys.userChanges(id))).as("change channel of %s", id).isEqualTo(slot);
      assertThat(SlotHash.getSlot(keys.nodeIndex(slot, id))).as("node index in the slot of %s", id).isEqualTo(slot);
      assertThat(SlotHash.getSlot(keys.epoch(slot))).isEqualTo(slot);
    }
  }

  @Test
  void theLongestIdIsAccepted() {
    String astral = "😀".repeat(64); // 64 × 4 = 256 bytes
    String colons = ":".repeat(256);
    assertThat(IdEncoding.decode(IdEncoding.encode("user id", astral))).isEqualTo(astral);
    assertThat(IdEncoding.encode("user id", colons)).hasSize(3 * 256);
  }

  @Test
  void invalidIdsAreRejectedWithTheReason() {
    assertThatThrownBy(() -> IdEncoding.encode("user id", null)).hasMessage("user id must not be null");
    assertThatThrownBy(() -> IdEncoding.encode("user id", "")).hasMessage("user id must not be empty");
    assertThatThrownBy(() -> IdEncoding.encode("user id", "a\nb"))
        .hasMessage("user id 'a\\u000ab' contains the control character U+000A at index 1");
    assertThatThrownBy(() -> IdEncoding.encode("user id", "x".repeat(255) + "é"))
        .hasMessageEndingWith("is 257 UTF-8 bytes long, the limit is 256");
  }

  @Test
  void unpairedSurrogatesAreRejectedBecauseUtf8WouldTurnThemAllIntoQuestionMarks() {
    // Why it matters: both of these reach Redis as the same bytes.
    assertThat("a\uD800".getBytes(StandardCharsets.UTF_8)).isEqualTo("a\uDC00".getBytes(StandardCharsets.UTF_8));
    for (String id : new String[] {"a\uD800", "a\uDC00", "\uDC00\uD800", "\uD83D"}) {
      assertThatThrownBy(() -> IdEncoding.encode("device id", id))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("device id")
          .hasMessageContaining("unpaired surrogate");
    }
  }

  @Test
  void decodingRejectsWhatNoIdEncodesTo() {
    for (String forged : new String[] {"a{b", "a:b", "}", "%41", "%7b", "%3a", "%2", "abc%"}) {
      assertThatThrownBy(() -> IdEncoding.decode(forged)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
