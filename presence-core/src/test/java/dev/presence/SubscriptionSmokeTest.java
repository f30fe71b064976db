package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubscriptionSmokeTest {
  static final class RecordingSink implements PresenceSink {
    final List<List<UserPresence>> batches = new ArrayList<>();
    final List<TypingEvent> typing = new ArrayList<>();

    @Override
    public synchronized void onPresence(List<UserPresence> changes) {
      batches.add(changes);
    }

    @Override
    public synchronized void onTyping(List<TypingEvent> events) {
      typing.addAll(events);
    }
  }

  @Test
  void aContactSeesOnlineThenIdleBatchedAndTyping() {
    ManualTime time = new ManualTime();
    try (Presence presence =
        Presence.builder().ticker(time).clock(time).scheduler(time).deliveryExecutor(Runnable::run).build()) {
      DeviceConnection bob = presence.connect("bob", "laptop");
      RecordingSink sink = new RecordingSink();
      Subscriber sub = presence.subscribe(bob, sink);
      PresenceSnapshot snap = sub.watchUsers(List.of("alice"));
      assertThat(snap.users()).extracting(UserPresence::state).containsExactly(PresenceState.OFFLINE);
      DeviceConnection alice = presence.connect("alice", "phone");
      time.advanceMillis(999);
      assertThat(sink.batches).isEmpty();
      time.advanceMillis(1);
      assertThat(sink.batches).hasSize(1);
      assertThat(sink.batches.get(0)).extracting(UserPresence::state).containsExactly(PresenceState.ONLINE);
      alice.setIdle(true);
      alice.setIdle(false);
      time.advanceSeconds(2);
      assertThat(sink.batches).hasSize(1);

      presence.joinChannel("general", "alice");
      presence.joinChannel("general", "bob");
      sub.watchChannel("general");
      alice.typing("general");
      alice.typing("general");
      assertThat(sink.typing).extracting(TypingEvent::kind).containsExactly(TypingEvent.Kind.STARTED);
      time.advanceSeconds(6);
      assertThat(sink.typing).extracting(TypingEvent::kind)
          .containsExactly(TypingEvent.Kind.STARTED, TypingEvent.Kind.STOPPED);
      bob.disconnect();
      assertThat(sub.isOpen()).isFalse();
    }
  }
}
