package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** getAll: many users in one call, in the order asked. */
class BulkQueryTest {
  private final Harness h = Harness.start();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aBulkQueryOf500UsersReturnsThemInOrderWithUnknownUsersAsUnknown() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      ids.add("user-" + i);
    }
    for (int i = 0; i < 500; i += 2) {
      h.presence.connect("user-" + i, "phone");
    }
    for (int i = 0; i < 500; i += 10) {
      h.presence.setIdle("user-" + i, "phone", true);
    }
    Collections.shuffle(ids, new Random(42));

    List<UserPresence> result = h.presence.getAll(ids);

    assertThat(result).hasSize(500);
    for (int i = 0; i < 500; i++) {
      String id = ids.get(i);
      int n = Integer.parseInt(id.substring("user-".length()));
      UserPresence presence = result.get(i);
      assertThat(presence.userId()).isEqualTo(id);
      if (n % 10 == 0) {
        assertThat(presence.state()).isEqualTo(PresenceState.IDLE);
        assertThat(presence.version()).isEqualTo(2);
      } else if (n % 2 == 0) {
        assertThat(presence.state()).isEqualTo(PresenceState.ONLINE);
        assertThat(presence.version()).isEqualTo(1);
      } else {
        assertThat(presence).isEqualTo(UserPresence.unknown(id));
      }
      assertThat(presence).isEqualTo(h.get(id));
    }
  }

  @Test
  void aUserWhoLeftIsOfflineWithLastSeenNotUnknown() {
    h.presence.connect("alice", "phone").disconnect();
    h.advanceSeconds(10);

    List<UserPresence> result = h.presence.getAll(List.of("alice", "bob"));

    assertThat(result.get(0).state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(result.get(0).lastSeen()).isEqualTo(Harness.START);
    assertThat(result.get(0).version()).isEqualTo(2);
    assertThat(result.get(1)).isEqualTo(UserPresence.unknown("bob"));
  }

  @Test
  void aUserAskedTwiceIsReturnedTwice() {
    h.presence.connect("alice", "phone");

    List<UserPresence> result = h.presence.getAll(List.of("alice", "bob", "alice"));

    assertThat(result).extracting(UserPresence::userId).containsExactly("alice", "bob", "alice");
    assertThat(result.get(2)).isEqualTo(result.get(0));
  }

  @Test
  void anEmptyQueryReturnsAnEmptyList() {
    assertThat(h.presence.getAll(List.of())).isEmpty();
    assertThat(h.presence.getAll(Set.of())).isEmpty();
  }

  @Test
  void anyCollectionIsAcceptedAndItsIterationOrderKept() {
    h.presence.connect("b", "phone");

    List<UserPresence> result = h.presence.getAll(new java.util.LinkedHashSet<>(List.of("c", "b", "a")));

    assertThat(result).extracting(UserPresence::userId).containsExactly("c", "b", "a");
    assertThat(result).extracting(UserPresence::state)
        .containsExactly(PresenceState.OFFLINE, PresenceState.ONLINE, PresenceState.OFFLINE);
  }

  @Test
  void aNullCollectionIsRejected() {
    assertThatThrownBy(() -> h.presence.getAll(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void oneInvalidIdRejectsTheWholeQuery() {
    assertThatThrownBy(() -> h.presence.getAll(List.of("alice", "")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("userId must not be empty");
    assertThatThrownBy(() -> h.presence.getAll(Arrays.asList("alice", null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("userId must not be null");
  }
}
