package dev.presence.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RecordTableTest {

  @Test
  void findsEveryRecordByAnEqualCopyOfItsIdThroughGrowth() {
    RecordTable table = new RecordTable();
    Map<String, UserRecord> model = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      UserRecord record = UserRecord.empty("user-" + i, i);
      assertThat(table.update(record.userId(), old -> record)).isSameAs(record);
      model.put(record.userId(), record);
    }
    assertThat(table.size()).isEqualTo(model.size());
    assertThat(table.values()).containsExactlyInAnyOrderElementsOf(model.values());
    for (UserRecord record : model.values()) {
      assertThat(table.get(new String(record.userId().toCharArray()))).isSameAs(record);
    }
    assertThat(table.get("user-20000")).isNull();

    table.clear();
    assertThat(table.size()).isZero();
    assertThat(table.get("user-1")).isNull();
  }

  @Test
  void anUpdateSeesTheCurrentRecordAndANullSameOrThrownResultChangesNothing() {
    RecordTable table = new RecordTable();
    UserRecord first = UserRecord.empty("alice", 1);
    UserRecord second = UserRecord.empty("alice", 2);
    table.update("alice", old -> first);

    assertThat(table.update("alice", old -> old == first ? second : null)).isSameAs(second);
    assertThat(table.update("alice", old -> null)).isSameAs(second);
    assertThat(table.update("alice", old -> old)).isSameAs(second);
    assertThatThrownBy(() -> table.update("alice", old -> { throw new IllegalStateException("refused"); }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(table.get("alice")).isSameAs(second);
    assertThat(table.update("bob", old -> null)).isNull();
    assertThat(table.get("bob")).isNull();
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void aReaderAlwaysFindsARecordWhileOthersAreAddedAndSegmentsGrow() throws Exception {
    RecordTable table = new RecordTable();
    List<UserRecord> early = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      UserRecord record = UserRecord.empty("early-" + i);
      early.add(record);
      table.update(record.userId(), old -> record);
    }
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> missed = new AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get() && missed.get() == null) {
                for (UserRecord record : early) {
                  if (table.get(record.userId()) != record) {
                    missed.set(record.userId());
                  }
                }
              }
            });
    reader.start();
    try {
      for (int i = 0; i < 100_000; i++) {
        UserRecord record = UserRecord.empty("late-" + i);
        table.update(record.userId(), old -> record);
      }
    } finally {
      done.set(true);
      reader.join();
    }
    assertThat(missed.get()).isNull();
    assertThat(table.size()).isEqualTo(101_000);
  }
}
