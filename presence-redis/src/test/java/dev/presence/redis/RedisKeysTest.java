package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Key names: the layout, and application names that cannot move a tag or collide. */
class RedisKeysTest {
  private final RedisKeys keys = RedisKeys.of("chat");

  @Test
  void keysFollowTheLayoutWithEncodedIds() {
    assertThat(keys.user("a:b")).isEqualTo("chat:u:{a%3Ab}");
    assertThat(keys.userChanges("a:b")).isEqualTo("chat:c:{a%3Ab}");
    assertThat(keys.typing("room{1}")).isEqualTo("chat:t:{room%7B1%7D}");
    assertThat(keys.nodeIndex(0, "node:1")).isEqualTo("chat:ni:{" + SlotTags.of(0) + "}:node%3A1");
    assertThat(keys.epoch(16_383)).isEqualTo("chat:ep:{" + SlotTags.of(16_383) + "}");
    assertThat(keys.leases()).isEqualTo("chat:{L}nodes");
    assertThat(keys.lease("n%1")).isEqualTo("chat:{L}node:n%251");
  }

  @Test
  void aUserAndAChannelWithTheSameIdHaveDifferentKeys() {
    assertThat(keys.userChanges("general")).isNotEqualTo(keys.typing("general"));
  }

  @Test
  void applicationNamesAreRestrictedSoTheyCanNeitherMoveATagNorNestInAnother() {
    assertThat(RedisKeys.of("my-app_1.0").prefix()).isEqualTo("my-app_1.0:");
    for (String bad : new String[] {"", "a{b", "a}b", "a:b", "a b", "é", "x".repeat(65)}) {
      assertThatThrownBy(() -> RedisKeys.of(bad))
          .as("application name '%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("application name");
    }
    assertThatThrownBy(() -> RedisKeys.of(null)).hasMessage("application name must not be null");
  }
}
