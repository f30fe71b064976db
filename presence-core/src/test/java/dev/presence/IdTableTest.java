package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class IdTableTest {

  /** A pair-keyed entry, as a device session is. */
  record Entry(String user, String device, int hash) {
    Entry(String user, String device) {
      this(user, device, IdTable.hash(user, device));
    }
  }

  static final class PairTable extends IdTable<Entry> {
    @Override
    int hashOf(Entry entry) {
      return entry.hash();
    }

    @Override
    String first(Entry entry) {
      return entry.user();
    }

    @Override
    String second(Entry entry) {
      return entry.device();
    }

    Entry find(String user, String device) {
      return get(IdTable.hash(user, device), user, device);
    }
  }

  @Test
  void findsEntriesByEqualCopiesOfTheirIdsAndNothingElse() {
    PairTable table = new PairTable();
    Entry phone = new Entry("alice", "phone");
    table.put(phone, true);

    assertThat(table.find(new String("alice".toCharArray()), new String("phone".toCharArray()))).isSameAs(phone);
    assertThat(table.find("alice", "laptop")).isNull();
    assertThat(table.find("phone", "alice")).isNull();
    assertThat(table.find("bob", "phone")).isNull();
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void putReplacesOrKeepsTheEntryWithTheSameKeyAndRemoveTakesOnlyThatVeryEntry() {
    PairTable table = new PairTable();
    Entry first = new Entry("alice", "phone");
    Entry second = new Entry("alice", "phone");

    assertThat(table.put(first, true)).isNull();
    assertThat(table.put(second, false)).isSameAs(first);
    assertThat(table.find("alice", "phone")).isSameAs(first);
    assertThat(table.put(second, true)).isSameAs(first);
    assertThat(table.find("alice", "phone")).isSameAs(second);
    assertThat(table.size()).isEqualTo(1);

    assertThat(table.remove(first)).isFalse();
    assertThat(table.find("alice", "phone")).isSameAs(second);
    assertThat(table.remove(second)).isTrue();
    assertThat(table.find("alice", "phone")).isNull();
    assertThat(table.size()).isZero();
  }

  @Test
  void entriesWithTheSameFullHashAreTellApartByTheirIdsThroughRemovalsAndRebuilds() {
    PairTable table = new PairTable();
    int hash = 0x1234_5678; // same segment, home slot and tag for every entry
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Entry entry = new Entry("user-" + i, "phone", hash);
      entries.add(entry);
      table.put(entry, true);
    }
    for (int i = 0; i < 40; i += 2) {
      assertThat(table.remove(entries.get(i))).isTrue();
    }
    for (int i = 0; i < 40; i++) {
      Entry found = table.get(hash, new String(("user-" + i).toCharArray()), "phone");
      assertThat(found).isSameAs(i % 2 == 0 ? null : entries.get(i));
    }
    assertThat(table.get(hash, "user-1", "laptop")).isNull();
    assertThat(table.get(hash, "user-40", "phone")).isNull();
  }

  @Test
  void pairsWhoseIdHashesOffsetEachOtherByThirtyOneDoNotShareAHash() {
    // "b"/"b" and "c"/"C": 98 * 31 + 98 == 99 * 31 + 67, the collision a first * 31 + second mix had.
    assertThat("b".hashCode() * 31 + "b".hashCode()).isEqualTo("c".hashCode() * 31 + "C".hashCode());
    assertThat(IdTable.hash("b", "b")).isNotEqualTo(IdTable.hash("c", "C"));
  }

  @Test
  void agreesWithAHashMapThroughGrowthTombstonesAndRebuilds() {
    PairTable table = new PairTable();
    Map<String, Entry> model = new HashMap<>();
    Random random = new Random(42);
    for (int step = 0; step < 200_000; step++) {
      String user = "user-" + random.nextInt(5_000);
      String device = "device-" + random.nextInt(3);
      String key = user + "/" + device;
      if (random.nextInt(3) == 0) {
        Entry removed = model.remove(key);
        if (removed != null) {
          assertThat(table.remove(removed)).isTrue();
        }
      } else {
        Entry entry = new Entry(user, device);
        assertThat(table.put(entry, true)).isSameAs(model.put(key, entry));
      }
    }
    assertThat(table.size()).isEqualTo(model.size());
    assertThat(table.values()).containsExactlyInAnyOrderElementsOf(model.values());
    for (Entry entry : model.values()) {
      assertThat(table.find(entry.user(), entry.device())).isSameAs(entry);
    }
    for (int u = 0; u < 5_000; u++) {
      for (int d = 0; d < 3; d++) {
        assertThat(table.find("user-" + u, "device-" + d)).isSameAs(model.get("user-" + u + "/device-" + d));
      }
    }
  }

  @Test
  void aReaderNeverMissesAnEntryThatStaysWhileOthersComeAndGo() throws Exception {
    PairTable table = new PairTable();
    List<Entry> stayers = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      Entry entry = new Entry("stayer-" + i, "phone");
      stayers.add(entry);
      table.put(entry, true);
    }
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> missed = new AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get() && missed.get() == null) {
                for (Entry entry : stayers) {
                  if (table.find(entry.user(), entry.device()) != entry) {
                    missed.set(entry.user());
                  }
                }
              }
            });
    reader.start();
    try {
      // Churn forces growth, tombstones and rebuilds of every segment while the reader probes.
      for (int round = 0; round < 20; round++) {
        List<Entry> churn = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
          Entry entry = new Entry("churn-" + round + "-" + i, "phone");
          churn.add(entry);
          table.put(entry, true);
        }
        churn.forEach(table::remove);
      }
    } finally {
      done.set(true);
      reader.join();
    }
    assertThat(missed.get()).isNull();
    assertThat(table.size()).isEqualTo(stayers.size());
  }
}
