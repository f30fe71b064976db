package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every collection the API hands out is unmodifiable, and snapshots come in the order asked. */
class ReturnedCollectionsTest {
  private final ManualTime time = new ManualTime();
  private final Presence presence = Fixtures.manual(time).build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void bulkQueriesReturnUnmodifiableLists() {
    presence.connect("alice", "phone");

    assertUnmodifiable(presence.getAll(List.of("alice", "bob")));
    assertUnmodifiable(presence.viewAs("carol").getAll(List.of("alice", "bob")));
    assertUnmodifiable(presence.viewAs("carol").getAll(List.of()));
  }

  @Test
  void snapshotsChannelMembersAndSinkBatchesAreUnmodifiable() {
    presence.joinChannel("general", "alice");
    presence.joinChannel("general", "bob");
    DeviceConnection alice = presence.connect("alice", "phone");
    alice.typing("general");
    List<List<UserPresence>> batches = new ArrayList<>();
    List<List<TypingEvent>> typing = new ArrayList<>();
    Subscriber subscriber =
        presence.subscribe(
            "bob",
            new PresenceSink() {
              @Override
              public void onPresence(List<UserPresence> changes) {
                batches.add(changes);
              }

              @Override
              public void onTyping(List<TypingEvent> events) {
                typing.add(events);
              }
            });

    PresenceSnapshot snapshot = subscriber.watchChannel("general");
    assertUnmodifiable(snapshot.users());
    assertUnmodifiable(snapshot.typing());
    assertUnmodifiable(subscriber.watchUsers(List.of("carol")).users());
    assertThatThrownBy(() -> presence.channelMembers("general").add("mallory"))
        .isInstanceOf(UnsupportedOperationException.class);

    presence.connect("carol", "phone");
    presence.connect("dave", "phone");
    subscriber.watchUsers(List.of("dave"));
    presence.setStatus("dave", StatusMode.DND);
    alice.stopTyping("general");
    time.advanceSeconds(1);

    assertThat(batches).isNotEmpty().allSatisfy(ReturnedCollectionsTest::assertUnmodifiable);
    assertThat(batches).anySatisfy(batch -> assertThat(batch).hasSizeGreaterThan(1));
    assertThat(typing).isNotEmpty().allSatisfy(ReturnedCollectionsTest::assertUnmodifiable);
  }

  @Test
  void watchUsersAnswersOneEntryPerDistinctIdInTheOrderFirstAsked() {
    presence.connect("bob", "phone");
    Subscriber subscriber = presence.subscribe("alice", new RecordingSink(time));

    PresenceSnapshot snapshot = subscriber.watchUsers(List.of("carol", "bob", "carol", "ann", "bob"));

    assertThat(snapshot.users()).extracting(UserPresence::userId).containsExactly("carol", "bob", "ann");
    assertThat(snapshot.users().get(1).state()).isEqualTo(PresenceState.ONLINE);
  }

  private static void assertUnmodifiable(Collection<?> collection) {
    assertThatThrownBy(() -> collection.add(null)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(collection::clear)
        .as("clear, even when empty")
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
