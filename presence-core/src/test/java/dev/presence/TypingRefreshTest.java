package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.TypingEvent.Kind;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.testkit.FaultyPresenceBus;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How often a burst is refreshed to receivers, and the expiry each event carries: a refresh goes out
 * only when the expiry receivers hold would lapse before a later keystroke's refresh could reach them,
 * so a steady 20 s burst is 5 events, the indicator never lapses while the burst is on, and a stale
 * one (its typist's node crashed) goes within timeout + refresh interval + margin.
 */
class TypingRefreshTest {
  private static final Duration TIMEOUT = PresenceBuilder.DEFAULT_TYPING_TIMEOUT;
  private static final Duration REFRESH = PresenceBuilder.DEFAULT_TYPING_REFRESH_INTERVAL;
  private static final Duration TICK = PresenceBuilder.DEFAULT_TIMER_RESOLUTION;
  /** What a refresh may take to arrive: flush interval, one tick and the slack. */
  private static final Duration MARGIN =
      PresenceBuilder.DEFAULT_FLUSH_INTERVAL.plus(TICK).plusNanos(Typing.DELIVERY_SLACK_NANOS);
  /** The longest an event keeps the indicator on at a receiver that hears nothing more. */
  private static final Duration EXPIRY = TIMEOUT.plus(REFRESH).plus(MARGIN);

  private final ManualTime time = new ManualTime();
  private final Instant origin = time.instant();
  private final InMemoryPresenceStore store = new InMemoryPresenceStore();
  private final LocalPresenceBus local = new LocalPresenceBus();
  /** Node B's way to the bus: losing everything from the crash on, as if node A were gone. */
  private final FaultyPresenceBus busOfB = new FaultyPresenceBus(local);
  private final Presence nodeA = node("node-a", local);
  private final Presence nodeB = node("node-b", busOfB);
  private DeviceConnection alice;
  private RecordingSink bobOnA;
  private RecordingSink carolOnB;

  /** A node whose devices live through minutes of typing without heartbeats. */
  private Presence node(String id, dev.presence.spi.PresenceBus bus) {
    Duration day = Duration.ofDays(1);
    return Fixtures.manual(time).store(store).bus(bus).nodeId(id).heartbeatTtl(day).idleAfter(day).build();
  }

  @BeforeEach
  void aliceTypesOnNodeAWatchedByBobOnNodeAAndCarolOnNodeB() {
    for (Presence node : List.of(nodeA, nodeB)) {
      for (String user : List.of("alice", "bob", "carol")) {
        node.joinChannel("general", user);
      }
    }
    alice = nodeA.connect("alice", "phone");
    bobOnA = new RecordingSink(time);
    nodeA.subscribe(nodeA.connect("bob", "laptop"), bobOnA).watchChannel("general");
    carolOnB = new RecordingSink(time);
    nodeB.subscribe(nodeB.connect("carol", "laptop"), carolOnB).watchChannel("general");
  }

  @AfterEach
  void close() {
    nodeA.close();
    nodeB.close();
    local.close();
  }

  @Test
  void theDefaultsGiveElevenPointSixSecondsOfExpiryPerEvent() {
    assertThat(EXPIRY).isEqualTo(Duration.ofMillis(11_600));
  }

  @Test
  void aSteadyTwentySecondBurstIsFiveEventsToEachReceiverOnEitherNode() {
    Duration last = steadyBurst(Duration.ofSeconds(20), Duration.ofMillis(150));
    time.advanceSeconds(10);

    for (RecordingSink receiver : List.of(bobOnA, carolOnB)) {
      assertThat(receiver.typingKindsOf("alice"))
          .containsExactly(Kind.STARTED, Kind.REFRESHED, Kind.REFRESHED, Kind.REFRESHED, Kind.STOPPED)
          .hasSizeLessThanOrEqualTo(6);
      List<RecordingSink.Typed> typed = receiver.typed();
      assertThat(typed.get(4).at()).as("the stop, one timeout after the last keystroke")
          .isBetween(last.plus(TIMEOUT), last.plus(TIMEOUT).plus(TICK));
    }
    assertThat(carolOnB.typingEvents()).as("the same events across the bus").isEqualTo(bobOnA.typingEvents());
  }

  @Test
  void eachEventsExpiryLiesBeyondTheNextEventPlusTheMarginDuringASteadyBurst() {
    steadyBurst(Duration.ofSeconds(60), Duration.ofMillis(150));
    time.advanceSeconds(10);

    assertEachExpiryCoversTheNextEvent(bobOnA.typed());
    assertThat(bobOnA.typingKindsOf("alice")).as("a start, a refresh every 5.1 s (11), a stop")
        .hasSize(13);
  }

  @Test
  void theIndicatorNeverLapsesWhenKeystrokesPauseForUpToTheTimeout() {
    Random random = new Random(11);
    Duration end = Duration.ofSeconds(120);
    while (time.elapsed().compareTo(end) < 0) {
      assertThat(alice.typing("general")).isTrue();
      Instant expiry = latestExpiry(bobOnA);
      assertThat(expiry).as("after the keystroke at %s", time.elapsed())
          .isAfterOrEqualTo(time.instant().plus(TIMEOUT).plus(MARGIN));
      // Pauses up to just under the timeout: the burst stays on, refreshes must keep up.
      time.advanceMillis(random.nextBoolean() ? 100 + random.nextInt(200) : random.nextInt(4_900));
    }
    time.advanceSeconds(10);

    List<RecordingSink.Typed> typed = bobOnA.typed();
    assertThat(typed).extracting(t -> t.event().kind()).containsOnlyOnce(Kind.STARTED, Kind.STOPPED);
    assertEachExpiryCoversTheNextEvent(typed);
  }

  @Test
  void whenTheTypistGoesSilentTheStopComesOneTimeoutLaterAndTheExpiryCoversIt() {
    alice.typing("general");
    time.advanceMillis(300);
    alice.typing("general");
    Duration silentFrom = time.elapsed();
    time.advanceSeconds(20);

    List<RecordingSink.Typed> typed = bobOnA.typed();
    assertThat(typed).extracting(t -> t.event().kind()).containsExactly(Kind.STARTED, Kind.STOPPED);
    assertThat(typed.get(1).at()).isBetween(silentFrom.plus(TIMEOUT), silentFrom.plus(TIMEOUT).plus(TICK));
    assertThat(typed.get(0).event().expiresAt()).isEqualTo(origin.plus(EXPIRY));
  }

  @Test
  void aStaleIndicatorGoesWithinTheExpiryAfterTheTypistsNodeCrashes() {
    steadyBurst(Duration.ofSeconds(12), Duration.ofMillis(150));
    Instant crash = time.instant();
    busOfB.losing(true); // node A is gone for node B: no refresh, no stop reaches carol
    steadyBurst(Duration.ofSeconds(8), Duration.ofMillis(150));
    time.advanceSeconds(10);

    List<TypingEvent> heard = carolOnB.typingEvents();
    assertThat(heard).extracting(TypingEvent::kind).doesNotContain(Kind.STOPPED);
    Instant dropAt = heard.get(heard.size() - 1).expiresAt();
    assertThat(dropAt).as("still shown at the crash").isAfter(crash);
    assertThat(Duration.between(crash, dropAt)).as("gone within the expiry of one event")
        .isLessThanOrEqualTo(EXPIRY);
    assertThat(bobOnA.typingKindsOf("alice")).as("on the typist's own node the burst goes on")
        .endsWith(Kind.STOPPED);
  }

  @Test
  void aSnapshotMidBurstCarriesTheExpiryTheOtherReceiversHold() {
    steadyBurst(Duration.ofSeconds(7), Duration.ofMillis(150));

    PresenceSnapshot snapshot = nodeA.subscribe("dave", new RecordingSink(time)).watchChannel("general");

    assertThat(snapshot.typing()).singleElement().satisfies(event -> {
      assertThat(event.kind()).isEqualTo(Kind.STARTED);
      assertThat(event.expiresAt()).isEqualTo(latestExpiry(bobOnA));
    });
  }

  /** Alice types every {@code every} for {@code length}; returns when she hit the last key. */
  private Duration steadyBurst(Duration length, Duration every) {
    Duration end = time.elapsed().plus(length);
    Duration last = time.elapsed();
    while (time.elapsed().compareTo(end) < 0) {
      assertThat(alice.typing("general")).isTrue();
      last = time.elapsed();
      time.advance(every);
    }
    return last;
  }

  private static Instant latestExpiry(RecordingSink receiver) {
    List<TypingEvent> events = receiver.typingEvents();
    return events.get(events.size() - 1).expiresAt();
  }

  /** Every start or refresh expires no sooner than the next event's arrival plus the margin. */
  private void assertEachExpiryCoversTheNextEvent(List<RecordingSink.Typed> typed) {
    assertThat(typed).hasSizeGreaterThan(2);
    for (int i = 0; i + 1 < typed.size(); i++) {
      Instant next = origin.plus(typed.get(i + 1).at());
      assertThat(typed.get(i).event().expiresAt()).as("event %d of %s", i, typed)
          .isAfterOrEqualTo(next.plus(MARGIN));
    }
  }
}
