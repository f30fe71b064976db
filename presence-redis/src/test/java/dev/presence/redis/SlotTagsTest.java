package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.cluster.SlotHash;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every slot has a short ASCII tag that lands in it. */
class SlotTagsTest {
  @Test
  void everySlotHasAShortAlphanumericTagThatHashesToIt() {
    Set<String> distinct = new HashSet<>();
    for (int slot = 0; slot < SlotTags.SLOTS; slot++) {
      String tag = SlotTags.of(slot);
      assertThat(tag).matches("[0-9A-Za-z]{1,3}");
      assertThat(SlotHash.getSlot(tag)).as("tag %s", tag).isEqualTo(slot);
      assertThat(SlotHash.getSlot("prefix:{" + tag + "}:rest")).isEqualTo(slot);
      distinct.add(tag);
    }
    assertThat(distinct).hasSize(SlotTags.SLOTS);
  }

  @Test
  void theTableIsTheSameOnEveryJvmBecauseItDependsOnlyOnCrc16() {
    // Pinned values: another JVM (another node) must compute the same tags for the same slots.
    assertThat(SlotHash.getSlot(SlotTags.of(0))).isZero();
    assertThat(SlotTags.of(SlotHash.getSlot("0"))).isEqualTo("0");
  }
}
