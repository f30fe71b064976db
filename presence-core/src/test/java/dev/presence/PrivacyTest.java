package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** An invisible user and an unauthorised watcher leak nothing, through any path. */
class PrivacyTest {
  private final ManualTime time = new ManualTime();

  @Nested
  class AnInvisibleUser {
    private final Presence presence = Fixtures.manual(time).build();

    @AfterEach
    void close() {
      presence.close();
    }

    @Test
    void looksOfflineWithNoTextToWatchersInTheStreamSnapshotsAndQueries() {
      presence.connect("alice", "phone");
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchUsers(List.of("alice"));
      time.advanceSeconds(5);
      Instant wentInvisible = time.instant();

      presence.setStatus("alice", StatusMode.INVISIBLE, "hiding", null);
      time.advanceSeconds(1);

      assertThat(bob.changes()).singleElement().satisfies(change -> {
        assertThat(change.state()).isEqualTo(PresenceState.OFFLINE);
        assertThat(change.customText()).isNull();
        assertThat(change.lastSeen()).isEqualTo(wentInvisible);
      });
      UserPresence shown = bob.changes().get(0);
      assertThat(presence.subscribe("carol", new RecordingSink(time)).watchUsers(List.of("alice")).users())
          .containsExactly(shown);
      assertThat(presence.viewAs("bob").get("alice")).isEqualTo(shown);
      assertThat(presence.viewAs("bob").getAll(List.of("alice", "dave")))
          .containsExactly(shown, UserPresence.unknown("dave"));
      assertThat(presence.get("alice")).isEqualTo(shown);
    }

    @Test
    void changesNothingOthersSeeWhileInvisibleNotEvenLastSeen() {
      DeviceConnection phone = presence.connect("alice", "phone");
      presence.setStatus("alice", StatusMode.INVISIBLE);
      UserPresence shown = presence.viewAs("bob").get("alice");
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchUsers(List.of("alice"));

      time.advanceSeconds(30);
      phone.setIdle(true);
      time.advanceSeconds(30);
      phone.activity();
      DeviceConnection laptop = presence.connect("alice", "laptop");
      laptop.setVisible(false);
      time.advance(Duration.ofMinutes(10));
      phone.disconnect();
      laptop.disconnect();
      time.advance(Duration.ofMinutes(1));
      presence.setStatus("alice", StatusMode.INVISIBLE, "still hidden", null);
      time.advanceSeconds(5);

      assertThat(bob.isUntouched()).isTrue();
      assertThat(presence.viewAs("bob").get("alice")).isEqualTo(shown);
      assertThat(presence.viewAs("bob").getAll(List.of("alice"))).containsExactly(shown);
    }

    @Test
    void keepsTheLastSeenOfBeforeItWentInvisibleWhileOffline() {
      DeviceConnection phone = presence.connect("alice", "phone");
      time.advanceSeconds(20);
      phone.disconnect();
      time.advance(PresenceBuilder.DEFAULT_GRACE);
      Instant lastSeen = presence.get("alice").lastSeen();
      assertThat(lastSeen).isEqualTo(time.instant().minus(PresenceBuilder.DEFAULT_GRACE));

      presence.setStatus("alice", StatusMode.INVISIBLE);
      time.advance(Duration.ofHours(1));
      DeviceConnection again = presence.connect("alice", "phone");
      time.advance(Duration.ofHours(1));
      again.disconnect();
      time.advance(Duration.ofMinutes(1));

      assertThat(presence.viewAs("bob").get("alice").lastSeen()).isEqualTo(lastSeen);
      assertThat(presence.viewAs("bob").get("alice").state()).isEqualTo(PresenceState.OFFLINE);
    }

    @Test
    void sendsNoTypingAndShowsInNoTypingSnapshot() {
      presence.joinChannel("general", "alice");
      DeviceConnection alice = presence.connect("alice", "phone");
      presence.setStatus("alice", StatusMode.INVISIBLE);
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchChannel("general");

      for (int i = 0; i < 50; i++) {
        alice.typing("general");
        time.advanceMillis(200);
      }
      PresenceSnapshot midBurst = presence.subscribe("carol", new RecordingSink(time)).watchChannel("general");
      alice.messageSent("general");
      time.advanceSeconds(10);

      assertThat(bob.typingEvents()).isEmpty();
      assertThat(midBurst.typing()).isEmpty();
    }

    @Test
    void goingInvisibleMidBurstStopsTheIndicatorAndSendsNoMore() {
      presence.joinChannel("general", "alice");
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchChannel("general");
      alice.typing("general");

      presence.setStatus("alice", StatusMode.INVISIBLE);
      for (int i = 0; i < 30; i++) {
        alice.typing("general");
        time.advanceMillis(200);
      }

      assertThat(bob.typingKindsOf("alice")).containsExactly(Kind.STARTED, Kind.STOPPED);
    }

    @Test
    void seesItsRealStatusOnItsOwnDevices() {
      DeviceConnection phone = presence.connect("alice", "phone");
      DeviceConnection laptop = presence.connect("alice", "laptop");
      presence.setStatus("alice", StatusMode.INVISIBLE, "hiding", null);
      phone.setIdle(true);
      laptop.setIdle(true);

      UserPresence own = presence.viewAs("alice").get("alice");
      assertThat(own.state()).isEqualTo(PresenceState.IDLE);
      assertThat(own.customText()).isEqualTo("hiding");
      assertThat(presence.viewAs("alice").getAll(List.of("alice"))).containsExactly(own);
      PresenceSnapshot snapshot = presence.subscribe(laptop, new RecordingSink(time)).watchUsers(List.of("alice"));
      assertThat(snapshot.users()).containsExactly(own);
      assertThat(presence.viewAs("bob").get("alice").state()).isEqualTo(PresenceState.OFFLINE);
    }

    @Test
    void showsTheRealStateAgainWhenVisible() {
      DeviceConnection phone = presence.connect("alice", "phone");
      presence.setStatus("alice", StatusMode.INVISIBLE);
      phone.setIdle(true);
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchUsers(List.of("alice"));

      presence.setStatus("alice", StatusMode.AUTO);
      time.advanceSeconds(1);

      assertThat(bob.changes()).extracting(UserPresence::state).containsExactly(PresenceState.IDLE);
    }
  }

  @Nested
  class AnUnauthorisedWatcher {
    /** bob may not see alice; everyone else sees everyone. */
    private final Set<List<String>> asked = ConcurrentHashMap.newKeySet();
    private final Presence presence =
        Fixtures.manual(time)
            .visibilityPolicy((watcher, target) -> {
              asked.add(List.of(watcher, target));
              return !(watcher.equals("bob") && target.equals("alice"));
            })
            .build();

    @AfterEach
    void close() {
      presence.close();
    }

    @Test
    void getsUnknownInSnapshotsAndQueriesAndNoPresenceEvents() {
      DeviceConnection alice = presence.connect("alice", "phone");
      presence.setStatus("alice", StatusMode.DND, "busy", null);
      RecordingSink bob = new RecordingSink(time);
      RecordingSink carol = new RecordingSink(time);
      PresenceSnapshot bobs = presence.subscribe("bob", bob).watchUsers(List.of("alice", "dave"));
      presence.subscribe("carol", carol).watchUsers(List.of("alice"));

      alice.setIdle(true);
      presence.setStatus("alice", StatusMode.AUTO);
      time.advanceSeconds(5);
      alice.disconnect();
      time.advance(PresenceBuilder.DEFAULT_GRACE.plusSeconds(2));
      presence.connect("dave", "phone");
      time.advanceSeconds(2);

      assertThat(bobs.users()).containsExactly(UserPresence.unknown("alice"), UserPresence.unknown("dave"));
      assertThat(bob.changes()).extracting(UserPresence::userId).containsOnly("dave");
      assertThat(carol.changes()).isNotEmpty().extracting(UserPresence::userId).containsOnly("alice");
      assertThat(presence.viewAs("bob").get("alice")).isEqualTo(UserPresence.unknown("alice"));
      assertThat(presence.viewAs("bob").getAll(List.of("alice", "dave")))
          .containsExactly(UserPresence.unknown("alice"), presence.get("dave"));
      assertThat(presence.viewAs("carol").get("alice").lastSeen()).as("a control: carol sees it").isNotNull();
    }

    @Test
    void seesNeitherTheMembersPresenceNorItsTypingThroughAChannel() {
      presence.joinChannel("general", "alice");
      presence.joinChannel("general", "carol");
      DeviceConnection alice = presence.connect("alice", "phone");
      alice.typing("general");
      RecordingSink bob = new RecordingSink(time);
      RecordingSink erin = new RecordingSink(time);
      PresenceSnapshot bobs = presence.subscribe("bob", bob).watchChannel("general");
      presence.subscribe("erin", erin).watchChannel("general");

      for (int i = 0; i < 24; i++) { // 6 s: past the refresh interval, one refresh
        alice.typing("general");
        time.advanceMillis(250);
      }
      alice.messageSent("general"); // input, so before the client reports idle
      alice.setIdle(true);
      presence.connect("carol", "phone");
      time.advanceSeconds(2);

      assertThat(bobs.users()).contains(UserPresence.unknown("alice"));
      assertThat(bobs.typing()).isEmpty();
      assertThat(bob.typingEvents()).isEmpty();
      assertThat(bob.changes()).extracting(UserPresence::userId).containsOnly("carol");
      assertThat(erin.typingKindsOf("alice")).contains(Kind.REFRESHED).endsWith(Kind.STOPPED);
      assertThat(erin.changes()).extracting(UserPresence::userId).contains("alice");
    }

    @Test
    void seesNothingOfAHiddenMemberWhoJoinsAWatchedChannel() {
      presence.connect("alice", "phone");
      RecordingSink bob = new RecordingSink(time);
      presence.subscribe("bob", bob).watchChannel("general");

      presence.joinChannel("general", "alice");
      time.advanceSeconds(2);
      presence.setStatus("alice", StatusMode.DND);
      time.advanceSeconds(2);

      assertThat(bob.isUntouched()).isTrue();
    }

    @Test
    void isNeverAskedAboutItselfAndAlwaysSeesItself() {
      presence.connect("bob", "phone");
      presence.connect("alice", "phone");

      assertThat(presence.viewAs("bob").get("bob").state()).isEqualTo(PresenceState.ONLINE);
      assertThat(presence.viewAs("bob").getAll(List.of("bob", "alice")))
          .extracting(UserPresence::state).containsExactly(PresenceState.ONLINE, PresenceState.OFFLINE);
      assertThat(asked).isNotEmpty().noneMatch(pair -> pair.get(0).equals(pair.get(1)));
    }
  }

  @Test
  void aVisibilityPolicyThatThrowsHidesTheTarget() {
    try (Presence presence =
        Fixtures.manual(time)
            .visibilityPolicy((watcher, target) -> {
              throw new IllegalStateException("policy backend down");
            })
            .build()) {
      presence.joinChannel("general", "alice");
      DeviceConnection alice = presence.connect("alice", "phone");
      RecordingSink bob = new RecordingSink(time);
      Subscriber subscriber = presence.subscribe("bob", bob);
      PresenceSnapshot snapshot = subscriber.watchUsers(List.of("alice"));
      subscriber.watchChannel("general");

      alice.typing("general");
      alice.setIdle(true);
      time.advanceSeconds(2);

      assertThat(snapshot.users()).containsExactly(UserPresence.unknown("alice"));
      assertThat(presence.viewAs("bob").get("alice")).isEqualTo(UserPresence.unknown("alice"));
      assertThat(bob.isUntouched()).isTrue();
    }
  }
}
