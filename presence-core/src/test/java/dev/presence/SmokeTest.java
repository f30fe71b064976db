package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.ManualTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void aDeviceGoesOnlineThenOfflineAfterGrace() {
    ManualTime time = new ManualTime();
    List<PresenceChange> changes = new ArrayList<>();
    try (Presence presence =
        Presence.builder().ticker(time).clock(time).scheduler(time).listener(changes::add).build()) {
      DeviceConnection phone = presence.connect("alice", "phone");
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
      time.advanceSeconds(5);
      phone.disconnect();
      time.advanceMillis(9_999);
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.ONLINE);
      time.advanceMillis(1);
      assertThat(presence.get("alice").state()).isEqualTo(PresenceState.OFFLINE);
      assertThat(presence.get("alice").lastSeen()).isEqualTo(time.instant().minusSeconds(10));
      assertThat(changes).hasSize(2);
    }
  }
}
