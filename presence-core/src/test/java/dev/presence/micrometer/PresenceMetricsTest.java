package dev.presence.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.DeviceConnection;
import dev.presence.LimitExceededException;
import dev.presence.Presence;
import dev.presence.PresenceSink;
import dev.presence.PresenceStats;
import dev.presence.StatusMode;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.testkit.ForwardingPresenceStore;
import dev.presence.testkit.ManualTime;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine's stats as Micrometer meters, on the fake clock. */
class PresenceMetricsTest {
  private final ManualTime time = new ManualTime();
  /** Time that passes inside store writes, on top of the manual time: 4 ms each. */
  private final AtomicLong storeTime = new AtomicLong();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Presence presence =
      Presence.builder()
          .ticker(() -> time.read() + storeTime.get())
          .clock(time)
          .scheduler(time)
          .storeExecutor(Runnable::run)
          .deliveryExecutor(Runnable::run)
          .flushInterval(Duration.ofSeconds(1))
          .maxSubscriptionsPerSubscriber(2)
          .store(
              new ForwardingPresenceStore(new InMemoryPresenceStore(time)) {
                @Override
                public CompletionStage<StoreUpdate> applyAsync(
                    String userId, StoreMutation mutation, AggregationPolicy policy) {
                  storeTime.addAndGet(TimeUnit.MILLISECONDS.toNanos(4));
                  return super.applyAsync(userId, mutation, policy);
                }
              })
          .listener(change -> {})
          .build();

  @AfterEach
  void close() {
    presence.close();
  }

  @Test
  void everyMeterIsRegisteredWithTheGivenTags() {
    PresenceMetrics.monitor(registry, presence, "node", "a");

    assertThat(registry.getMeters())
        .extracting(meter -> meter.getId().getName() + tagsOf(meter))
        .containsExactlyInAnyOrder(
            "presence.devices[node=a, state=connected]",
            "presence.devices[node=a, state=grace]",
            "presence.users[node=a, state=online]",
            "presence.users[node=a, state=idle]",
            "presence.users[node=a, state=dnd]",
            "presence.subscribers[node=a]",
            "presence.connects[node=a]",
            "presence.disconnects[node=a]",
            "presence.reconnects.absorbed[node=a]",
            "presence.expiries[node=a]",
            "presence.failures[kind=listener, node=a]",
            "presence.failures[kind=sink, node=a]",
            "presence.failures[kind=visibility, node=a]",
            "presence.failures[kind=bus, node=a]",
            "presence.failures[kind=store, node=a]",
            "presence.deliveries[node=a]",
            "presence.coalesced[node=a]",
            "presence.limit.rejections[node=a]",
            "presence.store.calls[node=a]",
            "presence.store.calls.max[node=a]");
    assertThat(registry.get("presence.devices").tag("state", "connected").gauge().value()).isZero();
    assertThat(registry.get("presence.connects").functionCounter().count()).isZero();
  }

  @Test
  void gaugesAndCountersFollowTheEngine() {
    new PresenceMetrics(presence, Tags.empty()).bindTo(registry);
    DeviceConnection alice = presence.connect("alice", "phone");
    DeviceConnection carol = presence.connect("carol", "phone");
    presence.connect("dave", "phone");
    presence.setStatus("dave", StatusMode.DND);
    PresenceSink failing =
        new PresenceSink() {
          @Override
          public void onPresence(List<UserPresence> changes) {
            throw new IllegalStateException("a broken sink");
          }

          @Override
          public void onTyping(List<TypingEvent> events) {}
        };
    var watcher = presence.subscribe("bob", failing);
    watcher.watchUsers(List.of("alice", "carol"));
    assertThatThrownBy(() -> watcher.watchUsers(List.of("dave"))).isInstanceOf(LimitExceededException.class);

    alice.setIdle(true);
    alice.setIdle(false); // changed back within the window: coalesced away
    carol.setIdle(true);
    time.advanceSeconds(1); // one batch (carol) to the failing sink
    alice.disconnect();
    time.advanceSeconds(2);
    presence.connect("alice", "phone"); // back within grace: absorbed

    assertThat(gauge("presence.devices", "state", "connected")).isEqualTo(3);
    assertThat(gauge("presence.devices", "state", "grace")).isZero();
    assertThat(gauge("presence.users", "state", "online")).isEqualTo(1);
    assertThat(gauge("presence.users", "state", "idle")).isEqualTo(1);
    assertThat(gauge("presence.users", "state", "dnd")).isEqualTo(1);
    assertThat(registry.get("presence.subscribers").gauge().value()).isEqualTo(1);
    assertThat(counter("presence.connects")).isEqualTo(4);
    assertThat(counter("presence.disconnects")).isEqualTo(1);
    assertThat(counter("presence.reconnects.absorbed")).isEqualTo(1);
    assertThat(counter("presence.deliveries")).isEqualTo(1);
    assertThat(counter("presence.coalesced")).isEqualTo(2);
    assertThat(counter("presence.limit.rejections")).isEqualTo(1);
    assertThat(registry.get("presence.failures").tag("kind", "sink").functionCounter().count()).isEqualTo(1);
    assertThat(registry.get("presence.failures").tag("kind", "store").functionCounter().count()).isZero();

    time.advanceSeconds(60); // nobody heartbeats: every device expires
    assertThat(counter("presence.expiries")).isEqualTo(3);
    assertThat(gauge("presence.devices", "state", "connected")).isZero();
    assertMetersMatch(presence.stats());
  }

  @Test
  void storeWritesAreAFunctionTimerWithTheirLongestAsATimeGauge() {
    PresenceMetrics.monitor(registry, presence);
    presence.connect("alice", "phone");
    presence.setStatus("alice", StatusMode.DND, "focus", null);
    presence.setStatus("bob", StatusMode.DND);

    FunctionTimer timer = registry.get("presence.store.calls").functionTimer();
    assertThat(timer.count()).isEqualTo(3);
    assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12);
    assertThat(timer.mean(TimeUnit.MILLISECONDS)).isEqualTo(4);
    assertThat(registry.get("presence.store.calls.max").timeGauge().value(TimeUnit.MILLISECONDS)).isEqualTo(4);
  }

  private void assertMetersMatch(PresenceStats stats) {
    assertThat(counter("presence.connects")).isEqualTo(stats.connects());
    assertThat(counter("presence.disconnects")).isEqualTo(stats.disconnects());
    assertThat(counter("presence.expiries")).isEqualTo(stats.expiries());
    assertThat(counter("presence.deliveries")).isEqualTo(stats.deliveries());
    assertThat(registry.get("presence.store.calls").functionTimer().count()).isEqualTo(stats.storeCalls());
  }

  private double gauge(String name, String tag, String value) {
    return registry.get(name).tag(tag, value).gauge().value();
  }

  private double counter(String name) {
    return registry.get(name).functionCounter().count();
  }

  private static String tagsOf(Meter meter) {
    return meter.getId().getTags().toString().replace("tag(", "").replace(")", "");
  }
}
