package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.LocalPresenceBus;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The builder: null and double set are rejected at once; build() reports every bad value. */
class BuilderTest {

  static Stream<Arguments> setters() {
    ManualTime time = new ManualTime();
    return Stream.of(
        setter("ticker", b -> b.ticker(time), b -> b.ticker(null)),
        setter("clock", b -> b.clock(time), b -> b.clock(null)),
        setter("scheduler", b -> b.scheduler(time), b -> b.scheduler(null)),
        setter("grace", b -> b.grace(Duration.ofSeconds(1)), b -> b.grace(null)),
        setter("heartbeatTtl", b -> b.heartbeatTtl(Duration.ofSeconds(1)), b -> b.heartbeatTtl(null)),
        setter("idleAfter", b -> b.idleAfter(Duration.ofSeconds(1)), b -> b.idleAfter(null)),
        setter(
            "timerResolution",
            b -> b.timerResolution(Duration.ofMillis(10)),
            b -> b.timerResolution(null)),
        setter(
            "aggregationPolicy",
            b -> b.aggregationPolicy(AggregationPolicy.standard()),
            b -> b.aggregationPolicy(null)),
        setter("store", b -> b.store(new InMemoryPresenceStore()), b -> b.store(null)),
        setter("bus", b -> b.bus(new LocalPresenceBus()), b -> b.bus(null)),
        setter("nodeId", b -> b.nodeId("node-1"), b -> b.nodeId(null)),
        setter("storeTimeout", b -> b.storeTimeout(Duration.ofSeconds(1)), b -> b.storeTimeout(null)),
        setter("maxDevicesPerUser", b -> b.maxDevicesPerUser(4), null));
  }

  private static Arguments setter(
      String name, Consumer<PresenceBuilder> set, Consumer<PresenceBuilder> setNull) {
    return Arguments.of(name, set, setNull);
  }

  static Stream<Arguments> nullableSetters() {
    return setters().filter(arguments -> arguments.get()[2] != null); // an int cannot be null
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nullableSetters")
  void aNullSettingIsANullPointerExceptionNamingIt(
      String name, Consumer<PresenceBuilder> set, Consumer<PresenceBuilder> setNull) {
    assertThatThrownBy(() -> setNull.accept(Presence.builder()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage(name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("setters")
  void settingASettingTwiceIsAnIllegalStateExceptionNamingIt(
      String name, Consumer<PresenceBuilder> set, Consumer<PresenceBuilder> setNull) {
    PresenceBuilder builder = Presence.builder();
    set.accept(builder);

    assertThatThrownBy(() -> set.accept(builder))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(name + " was already set to ");
  }

  @Test
  void aNullListenerIsRejectedAndListenersMayBeAddedManyTimes() {
    ManualTime time = new ManualTime();
    List<PresenceChange> first = new java.util.ArrayList<>();
    List<PresenceChange> second = new java.util.ArrayList<>();
    PresenceBuilder builder = Presence.builder().ticker(time).clock(time).scheduler(time);

    assertThatThrownBy(() -> builder.listener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener");
    try (Presence presence = builder.listener(first::add).listener(second::add).build()) {
      presence.connect("alice", "phone");
    }
    assertThat(first).hasSize(1).isEqualTo(second);
  }

  @Test
  void buildReportsEveryBadValueInOneMessage() {
    PresenceBuilder builder =
        Presence.builder()
            .grace(Duration.ofSeconds(-1))
            .heartbeatTtl(Duration.ZERO)
            .idleAfter(Duration.ofMinutes(-5))
            .timerResolution(Duration.ofNanos(999_999))
            .maxDevicesPerUser(0)
            .nodeId("bad\nnode");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid presence settings: ")
        .hasMessageContaining("grace must not be negative but was PT-1S")
        .hasMessageContaining("heartbeatTtl must be positive but was PT0S")
        .hasMessageContaining("idleAfter must be positive but was PT-5M")
        .hasMessageContaining("timerResolution must be between PT0.001S and PT1S but was PT0.000999999S")
        .hasMessageContaining("maxDevicesPerUser must be between 1 and 1024 but was 0")
        .hasMessageContaining("nodeId 'bad\\u000anode' contains the control character U+000A");
  }

  @Test
  void buildRejectsValuesJustOutsideTheirRanges() {
    assertThatThrownBy(() -> Presence.builder().timerResolution(Duration.ofMillis(1_001)).build())
        .hasMessageContaining("timerResolution must be between");
    assertThatThrownBy(() -> Presence.builder().maxDevicesPerUser(1_025).build())
        .hasMessageContaining("maxDevicesPerUser must be between 1 and 1024 but was 1025");
    assertThatThrownBy(() -> Presence.builder().nodeId("").build())
        .hasMessageContaining("nodeId must not be empty");
  }

  @Test
  void valuesAtTheEdgesOfTheirRangesAreAccepted() {
    ManualTime time = new ManualTime();
    try (Presence presence =
        Presence.builder()
            .ticker(time)
            .clock(time)
            .scheduler(time)
            .grace(Duration.ZERO)
            .heartbeatTtl(Duration.ofMillis(1))
            .idleAfter(Duration.ofMillis(1))
            .timerResolution(Duration.ofMillis(1))
            .maxDevicesPerUser(1024)
            .build()) {
      assertThat(presence.connect("alice", "phone").isOpen()).isTrue();
    }
    try (Presence presence =
        Presence.builder()
            .ticker(time)
            .clock(time)
            .scheduler(time)
            .timerResolution(Duration.ofSeconds(1))
            .maxDevicesPerUser(1)
            .build()) {
      assertThat(presence.connect("alice", "phone").isOpen()).isTrue();
    }
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    assertThat(PresenceBuilder.DEFAULT_GRACE).isEqualTo(Duration.ofSeconds(10));
    assertThat(PresenceBuilder.DEFAULT_HEARTBEAT_TTL).isEqualTo(Duration.ofSeconds(45));
    assertThat(PresenceBuilder.DEFAULT_IDLE_AFTER).isEqualTo(Duration.ofMinutes(5));
    assertThat(PresenceBuilder.DEFAULT_TIMER_RESOLUTION).isEqualTo(Duration.ofMillis(100));
    assertThat(PresenceBuilder.DEFAULT_MAX_DEVICES_PER_USER).isEqualTo(32);
  }

  @Test
  void anEngineWithEveryDefaultWorksOnTheSystemClock() {
    try (Presence presence = Presence.builder().build()) {
      presence.connect("alice", "phone");
      UserPresence alice = presence.get("alice");
      assertThat(alice.state()).isEqualTo(PresenceState.ONLINE);
      assertThat(alice.lastSeen()).isBetween(
          InstantSource.system().instant().minusSeconds(60), InstantSource.system().instant());
      assertThat(presence.nodeId()).startsWith("node-");
    }
  }

  @Test
  void theDefaultMaxDevicesPerUserIsEnforced() {
    try (Harness h = Harness.start()) {
      for (int i = 0; i < PresenceBuilder.DEFAULT_MAX_DEVICES_PER_USER; i++) {
        h.presence.connect("alice", "device-" + i);
      }
      assertThatThrownBy(() -> h.presence.connect("alice", "one-too-many"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is 32");
    }
  }

  @Test
  void aGivenNodeIdIsUsedAndDefaultNodeIdsDiffer() {
    try (Presence named = Presence.builder().nodeId("eu-1").build();
        Presence a = Presence.builder().build();
        Presence b = Presence.builder().build()) {
      assertThat(named.nodeId()).isEqualTo("eu-1");
      assertThat(a.nodeId()).isNotEqualTo(b.nodeId());
      assertThat(named.toString()).contains("eu-1");
    }
  }

  @Test
  void aBuilderCanBuildAFailingConfigurationAgainAfterFixingNothing() {
    PresenceBuilder builder = Presence.builder().grace(Duration.ofSeconds(-1));
    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("grace must not be negative");
  }

  @Test
  void anEngineLeavesAStoreAndBusItWasGivenOpen() {
    ManualTime time = new ManualTime();
    InMemoryPresenceStore store = new InMemoryPresenceStore();
    LocalPresenceBus bus = new LocalPresenceBus();
    Presence first =
        Presence.builder().ticker(time).clock(time).scheduler(time).store(store).bus(bus).nodeId("n1").build();
    first.connect("alice", "phone");
    first.close();

    try (Presence second =
        Presence.builder().ticker(time).clock(time).scheduler(time).store(store).bus(bus).nodeId("n1").build()) {
      // both still work; the restarted node swept what its previous life left before serving
      assertThat(second.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(store.get("alice").devices()).isEmpty();
      second.connect("alice", "phone");
      assertThat(store.get("alice").devices()).hasSize(1);
    }
  }

  @Test
  void toStringListsTheSettingsGivenForStartupLogs() {
    PresenceBuilder builder =
        Presence.builder().nodeId("node-a").grace(Duration.ofSeconds(3)).maxDevicesPerUser(4).listener(change -> {})
            .storeTimeout(Duration.ofMillis(500));

    assertThat(builder.toString())
        .isEqualTo("PresenceBuilder{nodeId=node-a, grace=PT3S, maxDevicesPerUser=4, storeTimeout=PT0.5S, listeners=1}");
    assertThat(Presence.builder().toString()).isEqualTo("PresenceBuilder{}");
  }

  @Test
  void leaseSettingsAreValidatedTogether() {
    assertThatThrownBy(() -> Presence.builder().lease(Duration.ofSeconds(5)).leaseRenewInterval(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaseRenewInterval must be positive and shorter than lease (PT5S) but was PT5S");
    assertThatThrownBy(() -> Presence.builder().lease(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lease must be positive but was PT0S");
    assertThatThrownBy(() -> Presence.builder().busWatchTimeout(Duration.ofMinutes(2)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("busWatchTimeout must be between PT0.001S and PT1M but was PT2M");
    assertThatThrownBy(() -> Presence.builder().storeTimeout(Duration.ofMinutes(2)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storeTimeout must be between PT0.001S and PT1M but was PT2M");
    assertThatThrownBy(() -> Presence.builder().storeTimeout(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storeTimeout must be between PT0.001S and PT1M but was PT0S");
    assertThatThrownBy(() -> Presence.builder().lease(Duration.ofSeconds(1)).lease(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("lease was already set to PT1S");
  }
}
