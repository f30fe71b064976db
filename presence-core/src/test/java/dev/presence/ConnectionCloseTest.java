package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The socket layer is told at once, with the reason, when a connection closes, above all when the
 * engine ended it; so are the sinks of the subscribers bound to it.
 */
class ConnectionCloseTest {
  private final ManualTime time = new ManualTime();
  private final Presence presence =
      Fixtures.manual(time).maxDevicesPerUser(2).deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE).build();
  private final List<String> told = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    presence.close();
  }

  private ConnectionListener recorder() {
    return (connection, reason) -> {
      assertThat(connection.isOpen()).as("closed before it is told").isFalse();
      told.add(connection.userId() + "/" + connection.deviceId() + " " + reason);
    };
  }

  @Test
  void aDisconnectIsReportedOnceAsDisconnected() {
    DeviceConnection phone = presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder());

    phone.disconnect();
    phone.disconnect();
    time.advanceSeconds(30); // grace ends: the device goes, the connection was already closed

    assertThat(told).containsExactly("alice/phone DISCONNECTED");
    assertThat(phone.closeReason()).isEqualTo(CloseReason.DISCONNECTED);
  }

  @Test
  void aSilentConnectionIsReportedExpiredTheMomentItsTtlRunsOut() {
    DeviceConnection phone = presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder());

    time.advance(PresenceBuilder.DEFAULT_HEARTBEAT_TTL.minusMillis(100));
    assertThat(told).isEmpty();
    assertThat(phone.closeReason()).isNull();
    time.advanceMillis(100);

    assertThat(told).containsExactly("alice/phone EXPIRED");
  }

  @Test
  void anOlderSocketOfTheSameDeviceIsReportedTakenOverWhenTheDeviceConnectsAgain() {
    DeviceConnection old = presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder());

    DeviceConnection fresh = presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder());

    assertThat(told).containsExactly("alice/phone TAKEN_OVER");
    assertThat(old.closeReason()).isEqualTo(CloseReason.TAKEN_OVER);
    assertThat(fresh.isOpen()).isTrue();
  }

  @Test
  void aReconnectFromGraceTellsNothingMore() {
    presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder()).disconnect();
    time.advanceSeconds(3);

    presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder());

    assertThat(told).containsExactly("alice/phone DISCONNECTED");
  }

  @Test
  void aReplacedDeviceIsReportedReplaced() {
    presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder());
    time.advanceSeconds(1);
    presence.connect("alice", "laptop", DeviceInfo.UNKNOWN, recorder());

    presence.connect("alice", "tablet", DeviceInfo.UNKNOWN, recorder());

    assertThat(told).containsExactly("alice/phone REPLACED");
  }

  @Test
  void closingTheEngineReportsEveryOpenConnectionOnce() {
    presence.connect("alice", "phone", DeviceInfo.UNKNOWN, recorder());
    presence.connect("bob", "laptop", DeviceInfo.UNKNOWN, recorder()).disconnect();

    presence.close();
    presence.close();

    assertThat(told).containsExactlyInAnyOrder("bob/laptop DISCONNECTED", "alice/phone ENGINE_CLOSED");
  }

  @Test
  void theSinksOfBoundSubscribersAreToldTheConnectionsReasonButNotWhenTheAppClosedThem() {
    DeviceConnection phone = presence.connect("alice", "phone");
    ClosingSink bound = new ClosingSink();
    ClosingSink closedByApp = new ClosingSink();
    presence.subscribe(phone, bound).watchUsers(List.of("bob"));
    presence.subscribe(phone, closedByApp).close();

    time.advance(PresenceBuilder.DEFAULT_HEARTBEAT_TTL);

    assertThat(bound.reasons).containsExactly(CloseReason.EXPIRED);
    assertThat(closedByApp.reasons).isEmpty();
  }

  @Test
  void aListenerMayCallBackIntoTheEngineAndOneThatThrowsIsCountedAndIsolated() {
    presence.connect("alice", "phone", DeviceInfo.UNKNOWN, (connection, reason) -> {
      throw new IllegalStateException("socket layer bug");
    });
    DeviceConnection laptop =
        presence.connect("bob", "laptop", DeviceInfo.UNKNOWN, (connection, reason) -> {
          // the engine holds no lock: reconnecting from the listener works
          told.add(presence.connect("bob", "laptop2").isOpen() + " " + presence.get("bob").state());
        });

    time.advance(PresenceBuilder.DEFAULT_HEARTBEAT_TTL.plusSeconds(1));

    assertThat(presence.stats().listenerFailures()).isEqualTo(1);
    assertThat(told).containsExactly("true ONLINE");
    assertThat(laptop.closeReason()).isEqualTo(CloseReason.EXPIRED);
  }

  @Test
  void aConnectionWithoutAListenerStillKnowsItsReason() {
    DeviceConnection phone = presence.connect("alice", "phone");
    presence.connect("alice", "phone");
    assertThat(phone.closeReason()).isEqualTo(CloseReason.TAKEN_OVER);
  }

  /** Records what the sink is told when its subscriber closes. */
  static final class ClosingSink implements PresenceSink {
    final List<CloseReason> reasons = new CopyOnWriteArrayList<>();

    @Override
    public void onPresence(List<UserPresence> changes) {}

    @Override
    public void onTyping(List<TypingEvent> events) {}

    @Override
    public void onClosed(CloseReason reason) {
      reasons.add(reason);
    }
  }
}
