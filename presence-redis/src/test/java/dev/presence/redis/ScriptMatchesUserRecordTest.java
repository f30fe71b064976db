package dev.presence.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.presence.LimitExceededException;
import dev.presence.Platform;
import dev.presence.StatusMode;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import dev.presence.spi.AggregationPolicy;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.StoreMutation;
import dev.presence.spi.StoreUpdate;
import dev.presence.spi.UserRecord;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test: random mutation sequences go through the store (the Lua script for the standard
 * policy, the CAS path for any other) and through {@link UserRecord#apply}, and every record before
 * and after must be equal field by field (records are Java records: equals compares every field).
 * Small pools of ids, times and texts make collisions, equal times, evictions, limits and re-asserts
 * frequent; ids and texts carry the characters the encoding must survive ({@code | : { } %}, Unicode).
 */
@RedisTest
class ScriptMatchesUserRecordTest {
  private static final long T0 = 1_767_225_600_000L;
  private static final List<String> DEVICES = List.of("phone", "lap|top", "d:{x}%", "żółw");
  private static final List<String> NODES = List.of("n1", "n|2", "n:{3}");
  private static final List<String> TEXTS = java.util.Arrays.asList(null, "", "lunch", "a|b", "😀 ünï");
  /** The standard policy's rule, but not the singleton: the store takes the CAS path for it. */
  private static final AggregationPolicy CUSTOM_STANDARD =
      (mode, devices) -> AggregationPolicy.standard().aggregate(mode, devices);

  private static RedisPresenceStore store;

  @BeforeAll
  static void connect(RedisServer redis) {
    store = RedisPresenceStore.builder().uri(redis.uri()).build();
  }

  @AfterAll
  static void close() {
    store.close();
  }

  @Test
  void theScriptDoesWhatUserRecordApplyDoes() {
    runSequences(AggregationPolicy.standard(), 40, 60);
  }

  @Test
  void theCasPathForOtherPoliciesDoesWhatUserRecordApplyDoes() {
    runSequences(CUSTOM_STANDARD, 15, 60);
  }

  @Test
  void aReplayedOpIsAnsweredAsItWasFirstAndNotAppliedAgain() {
    String alice = "replay-" + UUID.randomUUID();
    DeviceRecord phone = new DeviceRecord("phone", "n1", DeviceActivity.ACTIVE, Platform.WEB, T0);
    StoreMutation put = new StoreMutation.PutDevice(phone, 8, T0);
    StoreUpdate first = store.applyAsOp(alice, put, AggregationPolicy.standard(), 1_000_001, "n1").toCompletableFuture().join();
    // the phone then reconnects through n2, which claims it
    DeviceRecord moved = new DeviceRecord("phone", "n2", DeviceActivity.ACTIVE, Platform.WEB, T0 + 1);
    UserRecord afterMove = store.apply(alice, new StoreMutation.PutDevice(moved, 8, T0 + 1), AggregationPolicy.standard()).current();

    StoreUpdate replay = store.applyAsOp(alice, put, AggregationPolicy.standard(), 1_000_001, "n1").toCompletableFuture().join();

    assertThat(replay.previous()).isEqualTo(first.previous());
    assertThat(replay.presenceChanged()).isTrue();
    assertThat(replay.current()).as("answered with the record as it is now").isEqualTo(afterMove);
    assertThat(store.get(alice).devices()).as("the replay did not take the phone back to n1").containsExactly(moved);
  }

  private void runSequences(AggregationPolicy policy, int sequences, int steps) {
    Random random = new Random(42);
    for (int s = 0; s < sequences; s++) {
      String user = "diff-" + UUID.randomUUID() + "-" + s;
      UserRecord model = UserRecord.empty(user);
      for (int i = 0; i < steps; i++) {
        StoreMutation mutation = randomMutation(random);
        String step = "sequence " + s + " step " + i + ": " + mutation;
        UserRecord expected;
        try {
          expected = model.apply(mutation, AggregationPolicy.standard());
        } catch (LimitExceededException e) {
          assertThatThrownBy(() -> store.apply(user, mutation, policy))
              .as(step)
              .isInstanceOf(LimitExceededException.class)
              .hasMessage(e.getMessage());
          assertThat(store.get(user)).as(step).isEqualTo(model);
          continue;
        }
        StoreUpdate update = store.apply(user, mutation, policy);
        assertThat(update.previous()).as("previous, " + step).isEqualTo(model);
        assertThat(update.current()).as("current, " + step).isEqualTo(expected);
        assertThat(update.presenceChanged()).as(step).isEqualTo(expected.version() != model.version());
        model = expected;
      }
      assertThat(store.get(user)).isEqualTo(model);
    }
  }

  private static StoreMutation randomMutation(Random random) {
    long at = T0 + random.nextInt(6) * 1_000L;
    switch (random.nextInt(9)) {
      case 0, 1, 2, 3 -> {
        DeviceRecord device =
            new DeviceRecord(
                pick(random, DEVICES),
                pick(random, NODES),
                random.nextBoolean() ? DeviceActivity.ACTIVE : DeviceActivity.IDLE,
                Platform.values()[random.nextInt(Platform.values().length)],
                T0 + random.nextInt(3) * 1_000L);
        String evict = random.nextInt(4) == 0 ? pick(random, DEVICES) : null;
        return new StoreMutation.PutDevice(device, 1 + random.nextInt(4), random.nextInt(3) > 0, at, evict);
      }
      case 4, 5 -> {
        return new StoreMutation.RemoveDevice(pick(random, DEVICES), pick(random, NODES), at);
      }
      case 6 -> {
        return new StoreMutation.RemoveNode(pick(random, NODES), at);
      }
      case 7 -> {
        StatusMode mode = StatusMode.values()[random.nextInt(StatusMode.values().length)];
        long expiry = random.nextBoolean() ? 0 : T0 + random.nextInt(2) * 60_000L + 60_000L;
        return new StoreMutation.SetStatus(mode, pick(random, TEXTS), expiry, at, random.nextInt(3) == 0);
      }
      default -> {
        return new StoreMutation.ClearExpiredStatus(random.nextBoolean() ? 0 : T0 + random.nextInt(2) * 60_000L + 60_000L, at);
      }
    }
  }

  private static <T> T pick(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }
}
