package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.testkit.ManualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** After {@code close()} every subscriber and connection is closed, sinks are told, and calls throw. */
class EngineCloseTest {
  private final ManualTime time = new ManualTime();

  @Test
  void closingClosesEverySubscriberAndConnectionAndTellsTheSinks() {
    Presence presence = Fixtures.manual(time).build();
    presence.joinChannel("general", "bob");
    DeviceConnection phone = presence.connect("alice", "phone");
    ConnectionCloseTest.ClosingSink bound = new ConnectionCloseTest.ClosingSink();
    ConnectionCloseTest.ClosingSink app = new ConnectionCloseTest.ClosingSink();
    Subscriber onPhone = presence.subscribe(phone, bound);
    onPhone.watchUsers(List.of("bob"));
    Subscriber appSubscriber = presence.subscribe("carol", app);
    appSubscriber.watchChannel("general");
    presence.connect("bob", "laptop").disconnect();
    assertThat(presence.stats().subscribers()).isEqualTo(2);

    presence.close();

    assertThat(onPhone.isOpen()).isFalse();
    assertThat(appSubscriber.isOpen()).isFalse();
    assertThat(bound.reasons).containsExactly(CloseReason.ENGINE_CLOSED);
    assertThat(app.reasons).containsExactly(CloseReason.ENGINE_CLOSED);
    assertThat(phone.isOpen()).isFalse();
    assertThat(phone.closeReason()).isEqualTo(CloseReason.ENGINE_CLOSED);
    PresenceStats stats = presence.stats();
    assertThat(stats.subscribers()).isZero();
    assertThat(stats.devicesConnected()).isZero();
    assertThat(stats.devicesInGrace()).isZero();
    assertThat(stats.usersOnline()).isZero();
    assertThat(stats.connects()).isEqualTo(2);
    assertThatThrownBy(() -> onPhone.watchUsers(List.of("dave"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> appSubscriber.watchChannel("random")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void everyCallAfterCloseThrowsIllegalStateException() {
    Presence presence = Fixtures.manual(time).build();
    DeviceConnection phone = presence.connect("alice", "phone");
    PresenceView view = presence.viewAs("bob");
    presence.close();

    List<ThrowingCallable> calls =
        List.of(
            () -> presence.connect("alice", "laptop"),
            () -> presence.connect("alice", "laptop", DeviceInfo.UNKNOWN, (c, r) -> {}),
            () -> presence.heartbeat("alice", "phone"),
            () -> presence.activity("alice", "phone"),
            () -> presence.setIdle("alice", "phone", true),
            () -> presence.setVisible("alice", "phone", true),
            () -> presence.disconnect("alice", "phone"),
            () -> presence.setStatus("alice", StatusMode.DND),
            () -> presence.get("alice"),
            () -> presence.getAll(List.of("alice")),
            () -> presence.subscribe("bob", new RecordingSink(time)),
            () -> presence.subscribe(phone, new RecordingSink(time)),
            () -> presence.joinChannel("general", "alice"),
            () -> presence.leaveChannel("general", "alice"),
            () -> presence.channelMembers("general"),
            () -> presence.typing("alice", "phone", "general"),
            () -> presence.stopTyping("alice", "phone", "general"),
            () -> presence.messageSent("alice", "phone", "general"),
            () -> presence.viewAs("bob"),
            () -> presence.visibilityChanged("alice"),
            () -> presence.visibilityChanged("bob", "alice"),
            () -> view.get("alice"),
            () -> view.getAll(List.of("alice")),
            () -> phone.setStatus(StatusMode.DND, null, null));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
    // handles stay harmless: they report closed instead of throwing, as DeviceConnection documents
    assertThat(phone.heartbeat()).isFalse();
    assertThat(phone.typing("general")).isFalse();
    assertThat(phone.disconnect()).isFalse();
    assertThat(presence.nodeId()).isNotBlank();
  }

  @Test
  void theDevicesStayInTheStoreForCrashCleanup() {
    InMemoryPresenceStore store = new InMemoryPresenceStore();
    Presence presence = Fixtures.manual(time).store(store).build();
    presence.connect("alice", "phone");

    presence.close();
    time.advance(Duration.ofMinutes(5));

    assertThat(store.get("alice").devices()).hasSize(1);
  }

  @Test
  @Timeout(30)
  void onTheRealDeliveryPoolEverySinkIsToldAfterItsCallInFlight() throws Exception {
    Presence presence = Fixtures.manualWithDeliveryPool(time).flushInterval(Duration.ZERO).build();
    java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.LinkedBlockingQueue<String> calls = new java.util.concurrent.LinkedBlockingQueue<>();
    PresenceSink busy =
        new PresenceSink() {
          @Override
          public void onPresence(List<UserPresence> changes) {
            calls.add("presence");
            entered.countDown();
            try {
              release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            calls.add("presence returned");
          }

          @Override
          public void onTyping(List<TypingEvent> events) {}

          @Override
          public void onClosed(CloseReason reason) {
            calls.add("closed " + reason);
          }
        };
    ConnectionCloseTest.ClosingSink idle = new ConnectionCloseTest.ClosingSink();
    presence.subscribe("bob", busy).watchUsers(List.of("alice"));
    presence.subscribe(presence.connect("carol", "phone"), idle);
    presence.connect("alice", "phone");
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    presence.close();
    release.countDown();

    assertThat(calls.poll(10, TimeUnit.SECONDS)).isEqualTo("presence");
    assertThat(calls.poll(10, TimeUnit.SECONDS)).isEqualTo("presence returned");
    assertThat(calls.poll(10, TimeUnit.SECONDS)).isEqualTo("closed ENGINE_CLOSED");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (idle.reasons.isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(idle.reasons).containsExactly(CloseReason.ENGINE_CLOSED);
  }
}
