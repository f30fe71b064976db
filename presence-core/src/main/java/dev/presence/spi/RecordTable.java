package dev.presence.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The in-memory store's user id → record map: the records themselves in open-addressing arrays, keyed
 * by {@link UserRecord#userId()}, so a user costs the store one array slot (about 10 B) instead of a
 * {@code ConcurrentHashMap} node and its share of the table (about 42 B). The engine's own user
 * and device indexes ({@code dev.presence.IdTable}) work the same way.
 *
 * <p>Reads take no lock (acquire reads of the slots; records are immutable). Writes take the monitor
 * of one of {@link #SEGMENTS} segments, chosen by the user's hash, so {@link #update} is atomic per
 * user and blocks only writers of the same segment. Linear probing; a record is never removed alone
 * (the store keeps every user it has seen), only all at once by {@link #clear}, so there are no
 * tombstones. A segment whose array is half full is copied into one twice the size, published whole.
 */
final class RecordTable {
  private static final int SEGMENTS = 64;
  private static final int MIN_CAPACITY = 8;
  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(UserRecord[].class);

  private final Segment[] segments = new Segment[SEGMENTS];

  RecordTable() {
    for (int i = 0; i < SEGMENTS; i++) {
      segments[i] = new Segment();
    }
  }

  /** The user's record, or null if it has none; no lock. */
  UserRecord get(String userId) {
    int hash = hash(userId);
    UserRecord[] table = segmentOf(hash).table;
    int mask = table.length - 1;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      UserRecord record = (UserRecord) SLOT.getAcquire(table, i);
      if (record == null || record.userId().equals(userId)) {
        return record;
      }
    }
  }

  /**
   * Atomically replaces the user's record (null if it has none) with {@code change}'s result; a null
   * or identical result leaves the table as it was. What {@code change} throws propagates, and
   * nothing changes then.
   *
   * @return the record now in the table, or null
   */
  UserRecord update(String userId, UnaryOperator<UserRecord> change) {
    int hash = hash(userId);
    Segment segment = segmentOf(hash);
    synchronized (segment) {
      UserRecord[] table = segment.table;
      int mask = table.length - 1;
      int i = hash & mask;
      UserRecord old;
      while ((old = table[i]) != null && !old.userId().equals(userId)) {
        i = (i + 1) & mask;
      }
      UserRecord next = change.apply(old);
      if (next == null || next == old) {
        return old;
      }
      SLOT.setRelease(table, i, next);
      if (old == null && ++segment.size * 2 > table.length) {
        segment.grow();
      }
      return next;
    }
  }

  /** Every record, segment by segment (weakly consistent). */
  List<UserRecord> values() {
    List<UserRecord> values = new ArrayList<>();
    for (Segment segment : segments) {
      UserRecord[] table = segment.table;
      for (int i = 0; i < table.length; i++) {
        UserRecord record = (UserRecord) SLOT.getAcquire(table, i);
        if (record != null) {
          values.add(record);
        }
      }
    }
    return values;
  }

  /** Drops every record. */
  void clear() {
    for (Segment segment : segments) {
      synchronized (segment) {
        segment.table = new UserRecord[MIN_CAPACITY];
        segment.size = 0;
      }
    }
  }

  /** The number of users with a record. */
  int size() {
    int size = 0;
    for (Segment segment : segments) {
      size += segment.size;
    }
    return size;
  }

  private Segment segmentOf(int hash) {
    return segments[hash >>> 26]; // the top 6 bits: SEGMENTS = 64
  }

  /** Murmur3's finaliser: the high bits pick the segment and the low bits the slot, so both must mix. */
  private static int hash(String userId) {
    int h = userId.hashCode();
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  private static final class Segment {
    /** Replaced whole by {@link #grow} and {@link #clear}; slots written with release semantics under this monitor. */
    volatile UserRecord[] table = new UserRecord[MIN_CAPACITY];
    /** Records in {@link #table}; written under this monitor, read anywhere. */
    volatile int size;

    /** Under this monitor: copies the records into an array twice the size. */
    void grow() {
      UserRecord[] old = table;
      UserRecord[] fresh = new UserRecord[old.length * 2];
      int mask = fresh.length - 1;
      for (UserRecord record : old) {
        if (record != null) {
          int i = hash(record.userId()) & mask;
          while (fresh[i] != null) {
            i = (i + 1) & mask;
          }
          fresh[i] = record;
        }
      }
      table = fresh; // volatile write: readers see the filled array
    }
  }
}
