package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.testkit.ManualTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When the application's visibility rules change, watchers get what they now may see. */
class VisibilityChangeTest {
  private final ManualTime time = new ManualTime();
  /** Pairs "watcher>target" that may not see each other. */
  private final Set<String> blocked = ConcurrentHashMap.newKeySet();
  private final Presence presence =
      Fixtures.manual(time).visibilityPolicy((watcher, target) -> !blocked.contains(watcher + ">" + target)).build();
  private final RecordingSink bob = new RecordingSink(time);
  private final RecordingSink carol = new RecordingSink(time);
  private DeviceConnection alice;

  @BeforeEach
  void bobAndCarolWatchAlice() {
    presence.joinChannel("general", "alice");
    alice = presence.connect("alice", "phone");
    presence.subscribe("bob", bob).watchUsers(List.of("alice"));
    presence.subscribe("carol", carol).watchChannel("general");
    time.advanceSeconds(1);
  }

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void aWatcherWhoMayNoLongerSeeHerGetsUnknownInItsNextBatchAndNothingMore() {
    blocked.add("bob>alice");

    presence.visibilityChanged("bob", "alice");
    time.advanceSeconds(1);

    assertThat(bob.changes()).containsExactly(UserPresence.unknown("alice"));
    alice.setIdle(true);
    presence.setStatus("alice", StatusMode.DND, "busy", null);
    time.advanceSeconds(5);
    assertThat(bob.changes()).containsExactly(UserPresence.unknown("alice"));
    assertThat(carol.changes()).extracting(UserPresence::state).containsExactly(PresenceState.DND);
  }

  @Test
  void aWatcherWhoMaySeeHerAgainGetsHerRealPresenceEvenIfSheIsOffline() {
    alice.disconnect();
    time.advanceSeconds(11);
    blocked.add("bob>alice");
    presence.visibilityChanged("alice");
    time.advanceSeconds(1);
    assertThat(bob.changes()).last().isEqualTo(UserPresence.unknown("alice"));

    blocked.remove("bob>alice");
    presence.visibilityChanged("alice");
    time.advanceSeconds(1);

    UserPresence real = presence.get("alice");
    assertThat(real.state()).isEqualTo(PresenceState.OFFLINE);
    assertThat(real.lastSeen()).isNotNull();
    assertThat(bob.changes()).last().isEqualTo(real);
    assertThat(carol.changes()).extracting(UserPresence::state)
        .as("carol's rules did not change: nothing extra")
        .containsExactly(PresenceState.OFFLINE);
  }

  @Test
  void theChangeForOneWatcherLeavesTheOthersAlone() {
    blocked.add("carol>alice");
    blocked.add("bob>alice");

    presence.visibilityChanged("carol", "alice");
    time.advanceSeconds(1);

    assertThat(carol.changes()).last().isEqualTo(UserPresence.unknown("alice"));
    assertThat(bob.changes()).isEmpty();
  }

  @Test
  void herTypingStopsForAWatcherWhoMayNoLongerSeeHer() {
    presence.joinChannel("general", "carol");
    alice.typing("general");
    assertThat(carol.typingKindsOf("alice")).containsExactly(Kind.STARTED);

    blocked.add("carol>alice");
    presence.visibilityChanged("alice");
    time.advanceSeconds(1);
    alice.typing("general");
    time.advanceSeconds(3);
    alice.typing("general");

    assertThat(carol.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
  }

  @Test
  void nothingIsSentWhenNobodyWatchesHer() {
    presence.visibilityChanged("dave");
    presence.visibilityChanged("bob", "dave");
    time.advanceSeconds(2);

    assertThat(bob.changes()).isEmpty();
  }
}
