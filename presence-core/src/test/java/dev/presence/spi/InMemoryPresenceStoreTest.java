package dev.presence.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.presence.testkit.PresenceStoreContract;
import org.junit.jupiter.api.Test;

/** The in-memory store passes the store compatibility kit. */
class InMemoryPresenceStoreTest extends PresenceStoreContract {

  @Override
  protected PresenceStore newStore() {
    return new InMemoryPresenceStore();
  }

  @Test
  void aMutationThatChangesNothingForAnUnknownUserRecordsNoUser() {
    InMemoryPresenceStore memory = (InMemoryPresenceStore) store;

    memory.apply(user("ghost"), new StoreMutation.RemoveNode("n1", T0), POLICY);
    memory.apply(user("ghost"), new StoreMutation.ClearExpiredStatus(5, T0), POLICY);

    assertThat(memory.size()).isZero();
  }

  @Test
  void aUserStaysRecordedAfterGoingOfflineSoVersionsSurvive() {
    InMemoryPresenceStore memory = (InMemoryPresenceStore) store;
    put(user("alice"), "phone", "n1", DeviceActivity.ACTIVE, T0);
    memory.apply(user("alice"), new StoreMutation.RemoveNode("n1", T0 + 1), POLICY);

    assertThat(memory.size()).isEqualTo(1);
    assertThat(memory.get(user("alice")).version()).isEqualTo(2);
    assertThat(memory.toString()).contains("users=1");
  }
}
