package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bad input is rejected with a clear message and changes nothing. */
class BadInputTest {
  private final Harness h = Harness.start(b -> b.maxDevicesPerUser(2));
  private DeviceConnection phone;
  private PresenceStats statsBefore;
  private UserPresence aliceBefore;

  @BeforeEach
  void connectAlice() {
    phone = h.presence.connect("alice", "phone");
    h.presence.setStatus("alice", StatusMode.AUTO, "around", null);
    statsBefore = h.stats();
    aliceBefore = h.get("alice");
  }

  @AfterEach
  void close() {
    h.close();
  }

  static Stream<Arguments> badIds() {
    return Stream.of(
        Arguments.of(null, "must not be null"),
        Arguments.of("", "must not be empty"),
        Arguments.of("a".repeat(257), "is 257 UTF-8 bytes long, the limit is 256"),
        Arguments.of("é".repeat(129), "is 258 UTF-8 bytes long, the limit is 256"),
        Arguments.of("€".repeat(86), "is 258 UTF-8 bytes long, the limit is 256"),
        Arguments.of("😀".repeat(65), "is 260 UTF-8 bytes long, the limit is 256"),
        Arguments.of("al\u0000ice", "contains the control character U+0000 at index 2"),
        Arguments.of("alice\n", "contains the control character U+000A at index 5"),
        Arguments.of("\tbob", "contains the control character U+0009 at index 0"),
        Arguments.of("a\u001fb", "contains the control character U+001F"),
        Arguments.of("a\u007fb", "contains the control character U+007F"),
        Arguments.of("a\u0085b", "contains the control character U+0085"),
        Arguments.of("a\u009fb", "contains the control character U+009F"),
        // unpaired surrogates encode to the same UTF-8 bytes ('?'), so a byte-keyed store would merge them
        Arguments.of("a\uD800", "contains an unpaired surrogate U+D800 at index 1"),
        Arguments.of("a\uDBFF", "contains an unpaired surrogate U+DBFF at index 1"),
        Arguments.of("\uDC00b", "contains an unpaired surrogate U+DC00 at index 0"),
        Arguments.of("a\uDC00\uD800", "contains an unpaired surrogate U+DC00 at index 1"),
        // format characters (Cf): invisible or reordering, so one id could pass for another
        Arguments.of("\u202Eecila", "contains the format character U+202E at index 0"),
        Arguments.of("bob\u200B", "contains the format character U+200B at index 3"),
        Arguments.of("b\u200Dob", "contains the format character U+200D at index 1"),
        Arguments.of("\uFEFFbob", "contains the format character U+FEFF at index 0"),
        Arguments.of("a\uDB40\uDC01", "contains the format character U+E0001 at index 1"),
        // noncharacters are reserved for internal use and never valid in interchange
        Arguments.of("a\uFFFE", "contains the noncharacter U+FFFE at index 1"),
        Arguments.of("a\uFDD0", "contains the noncharacter U+FDD0 at index 1"),
        Arguments.of("a\uD83F\uDFFF", "contains the noncharacter U+1FFFF at index 1"));
  }

  @ParameterizedTest
  @MethodSource("badIds")
  void aBadUserIdIsRejectedByEveryCallWithAMessageAndChangesNothing(String bad, String message) {
    List<ThrowingCallable> calls =
        List.of(
            () -> h.presence.connect(bad, "phone"),
            () -> h.presence.connect(bad, "phone", DeviceInfo.of(Platform.WEB)),
            () -> h.presence.heartbeat(bad, "phone"),
            () -> h.presence.activity(bad, "phone"),
            () -> h.presence.setIdle(bad, "phone", true),
            () -> h.presence.setVisible(bad, "phone", false),
            () -> h.presence.disconnect(bad, "phone"),
            () -> h.presence.setStatus(bad, StatusMode.DND),
            () -> h.presence.setStatus(bad, StatusMode.DND, "x", Duration.ofMinutes(1)),
            () -> h.presence.get(bad),
            () -> h.presence.getAll(listOf("alice", bad)));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("userId")
          .hasMessageContaining(message);
    }
    assertNothingChanged();
  }

  @ParameterizedTest
  @MethodSource("badIds")
  void aBadDeviceIdIsRejectedByEveryCallWithAMessageAndChangesNothing(String bad, String message) {
    List<ThrowingCallable> calls =
        List.of(
            () -> h.presence.connect("alice", bad),
            () -> h.presence.connect("bob", bad, DeviceInfo.of(Platform.WEB)),
            () -> h.presence.heartbeat("alice", bad),
            () -> h.presence.activity("alice", bad),
            () -> h.presence.setIdle("alice", bad, true),
            () -> h.presence.setVisible("alice", bad, false),
            () -> h.presence.disconnect("alice", bad));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("deviceId")
          .hasMessageContaining(message);
    }
    assertNothingChanged();
    assertThat(h.get("bob")).isEqualTo(UserPresence.unknown("bob"));
  }

  @Test
  void idsAtTheByteLimitAreAccepted() {
    List<String> atLimit =
        List.of("a".repeat(256), "é".repeat(128), "€".repeat(85), "😀".repeat(64), "a" + "😀".repeat(63) + "é");
    for (String id : atLimit) {
      assertThat(id.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(256);
      DeviceConnection device = h.presence.connect(id, id);
      assertThat(device.isOpen()).isTrue();
      assertThat(h.state(id)).isEqualTo(PresenceState.ONLINE);
    }
  }

  @Test
  void theByteLimitCountsUtf8BytesExactlyForAnyWellFormedId() {
    Random random = new Random(7);
    int[] pool = {'a', 'Z', '0', ':', '{', '}', 'é', 'ß', 'Ж', '€', '中', 0x1F600, 0x10348};
    for (int round = 0; round < 2_000; round++) {
      StringBuilder id = new StringBuilder();
      int length = 40 + random.nextInt(100);
      for (int i = 0; i < length; i++) {
        id.appendCodePoint(pool[random.nextInt(pool.length)]);
      }
      String candidate = id.toString();
      int bytes = candidate.getBytes(StandardCharsets.UTF_8).length;
      if (bytes <= 256) {
        assertThat(h.get(candidate).version()).isZero();
      } else {
        assertThatThrownBy(() -> h.get(candidate))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("is " + bytes + " UTF-8 bytes long");
      }
    }
  }

  @Test
  void aHugeIdIsCutInTheMessage() {
    String huge = "x".repeat(100_000);
    assertThatThrownBy(() -> h.presence.connect(huge, "phone"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(100000 chars)")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(200));
  }

  @Test
  void idsAreComparedExactlyAsGivenWithoutNormalisation() {
    h.presence.connect("\u00e9mile", "phone"); // é precomposed
    h.presence.connect("e\u0301mile", "phone"); // e + combining acute: looks the same, another user
    h.presence.connect("\u0430lice", "phone"); // Cyrillic а: the engine does not judge look-alikes

    assertThat(h.stats().devicesConnected()).isEqualTo(4);
    assertThat(h.state("e\u0301mile")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.get("\u0430lice").version()).isEqualTo(1);
    assertThat(h.get("alice")).isEqualTo(aliceBefore);
  }

  @Test
  void wellFormedSurrogatePairsAndOtherScriptsAreAccepted() {
    for (String id : List.of("\uD83D\uDE00", "a\uD800\uDC00b", "\u4E2D\u6587", "\u05E9\u05DC\u05D5\u05DD", "\uFFFD")) {
      assertThat(h.presence.connect(id, "d").isOpen()).isTrue();
    }
  }

  @Test
  void customTextWithAnUnpairedSurrogateIsRejected() {
    assertThatThrownBy(() -> h.presence.setStatus("alice", StatusMode.DND, "out \uD800", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate U+D800");
    assertNothingChanged();
  }

  @Test
  void idsWithSeparatorCharactersAreOrdinaryIds() {
    h.presence.connect("a:b", "{x}");
    h.presence.connect("a", "b:{x}");

    assertThat(h.state("a:b")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.state("a")).isEqualTo(PresenceState.ONLINE);
    assertThat(h.state("a:b:{x}")).isEqualTo(PresenceState.OFFLINE);
    assertThat(h.stats().devicesConnected()).isEqualTo(3);
  }

  @Test
  void customTextOver128CharactersIsRejectedAndChangesNothing() {
    assertThatThrownBy(() -> h.presence.setStatus("alice", StatusMode.DND, "x".repeat(129), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is 129 characters long, the limit is 128");
    assertNothingChanged();
  }

  @Test
  void customTextOf128CharactersIsAcceptedCountingCodePoints() {
    h.presence.setStatus("alice", StatusMode.AUTO, "x".repeat(128), null);
    assertThat(h.get("alice").customText()).hasSize(128);

    String emoji = "😀".repeat(128);
    h.presence.setStatus("alice", StatusMode.AUTO, emoji, null);
    assertThat(h.get("alice").customText()).isEqualTo(emoji);

    assertThatThrownBy(() -> h.presence.setStatus("alice", StatusMode.AUTO, "😀".repeat(129), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is 129 characters long, the limit is 128");
  }

  @Test
  void customTextIsMeasuredAfterStrippingSurroundingBlanks() {
    h.presence.setStatus("alice", StatusMode.AUTO, "   " + "x".repeat(128) + "   ", null);
    assertThat(h.get("alice").customText()).isEqualTo("x".repeat(128));
  }

  @ParameterizedTest
  @ValueSource(strings = {"line\nbreak", "tab\there", "bell\u0007", "del\u007f"})
  void customTextWithControlCharactersIsRejectedAndChangesNothing(String text) {
    assertThatThrownBy(() -> h.presence.setStatus("alice", StatusMode.DND, text, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contains a control character");
    assertNothingChanged();
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, -60_000})
  void aStatusExpiryThatIsNotPositiveIsRejectedAndChangesNothing(long millis) {
    assertThatThrownBy(
            () -> h.presence.setStatus("alice", StatusMode.DND, null, Duration.ofMillis(millis)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expiresAfter must be positive");
    assertNothingChanged();
  }

  @Test
  void aStatusExpiryCenturiesAheadIsAcceptedAndDoesNotFireSoon() {
    UserPresence dnd =
        h.presence.setStatus("alice", StatusMode.DND, "sabbatical", Duration.ofDays(365L * 1_000));
    h.advanceWithHeartbeats(Duration.ofMinutes(10), phone);

    assertThat(dnd.state()).isEqualTo(PresenceState.DND);
    assertThat(h.get("alice").state()).isEqualTo(PresenceState.DND);
    assertThat(h.get("alice").customText()).isEqualTo("sabbatical");
    assertThat(h.changes).extracting(PresenceChange::version).containsExactly(1L, 2L, 3L);

    h.presence.setStatus("alice", StatusMode.AUTO, "forever", Duration.ofSeconds(Long.MAX_VALUE));
    assertThat(h.get("alice").customText()).isEqualTo("forever");
    assertThat(h.changes).hasSize(4);
  }

  @Test
  void nullModeOrInfoIsANullPointerExceptionAndChangesNothing() {
    assertThatThrownBy(() -> h.presence.setStatus("alice", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("mode");
    assertThatThrownBy(() -> h.presence.connect("alice", "laptop", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("info");
    assertNothingChanged();
  }

  @Test
  void moreDevicesThanTheLimitIsRejectedNamingTheValueAndTheLimitAndChangesNothing() {
    h.presence.connect("alice", "laptop");
    PresenceStats before = h.stats();
    UserPresence alice = h.get("alice");
    var devicesBefore = h.engine().store.get("alice").devices();

    assertThatThrownBy(() -> h.presence.connect("alice", "tablet"))
        .isInstanceOf(LimitExceededException.class)
        .hasMessageContaining("'alice'")
        .hasMessageContaining("already has 2 devices")
        .hasMessageContaining("maxDevicesPerUser")
        .hasMessageContaining("is 2");

    // nothing changed but the count of rejections
    assertThat(h.stats()).usingRecursiveComparison().ignoringFields("limitRejections").isEqualTo(before);
    assertThat(h.stats().limitRejections()).isEqualTo(before.limitRejections() + 1);
    assertThat(h.get("alice")).isEqualTo(alice);
    assertThat(h.engine().store.get("alice").devices()).isEqualTo(devicesBefore);
    assertThat(h.presence.heartbeat("alice", "tablet")).isFalse();
    assertThat(h.changes).hasSize(2);
  }

  @Test
  void aDeviceInGraceStillCountsAgainstTheLimit() {
    h.presence.connect("alice", "laptop").disconnect();

    assertThatThrownBy(() -> h.presence.connect("alice", "tablet"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already has 2 devices");

    h.advanceSeconds(10);
    assertThat(h.presence.connect("alice", "tablet").isOpen()).isTrue();
  }

  @Test
  void aKnownDeviceMayReconnectAtTheLimit() {
    h.presence.connect("alice", "laptop");

    DeviceConnection again = h.presence.connect("alice", "phone");

    assertThat(again.isOpen()).isTrue();
    assertThat(phone.isOpen()).isFalse();
    assertThat(h.stats().devicesConnected()).isEqualTo(2);
  }

  @Test
  void aRejectedFirstDeviceLeavesNoTraceOfTheUser() {
    try (Harness one = Harness.start(b -> b.maxDevicesPerUser(1))) {
      one.presence.connect("carol", "phone");
      assertThatThrownBy(() -> one.presence.connect("carol", "laptop"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the limit (maxDevicesPerUser) is 1");
      assertThat(one.stats().connects()).isEqualTo(1);
      assertThat(one.stats().devicesConnected()).isEqualTo(1);
    }
  }

  @Test
  void callsAfterCloseAreRejectedAndCloseIsIdempotent() {
    h.presence.close();
    h.presence.close();

    assertThatThrownBy(() -> h.presence.connect("alice", "laptop"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> h.presence.get("alice")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> h.presence.heartbeat("alice", "phone"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> h.presence.setStatus("alice", StatusMode.DND))
        .isInstanceOf(IllegalStateException.class);
    assertThatCode(() -> phone.disconnect()).doesNotThrowAnyException();
  }

  private void assertNothingChanged() {
    assertThat(h.stats()).isEqualTo(statsBefore);
    assertThat(h.get("alice")).isEqualTo(aliceBefore);
    assertThat(phone.isOpen()).isTrue();
    assertThat(h.changes).hasSize(2);
    assertThat(h.engine().users.ids()).containsExactly("alice");
  }

  private static List<String> listOf(String... ids) {
    List<String> list = new ArrayList<>();
    for (String id : ids) {
      list.add(id);
    }
    return list;
  }
}
