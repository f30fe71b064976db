package dev.presence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * A hash table of engine objects keyed by an id, or by a pair of ids, that holds the objects
 * themselves: no map node per entry, and no key object per lookup, so {@code heartbeat(userId,
 * deviceId)} is one probe into one array, and a user costs one array slot instead of a {@code
 * ConcurrentHashMap} node.
 *
 * <p>Open addressing with linear probing, in {@code 2^SEGMENT_BITS} segments. Reads take no lock: a
 * slot is read with acquire semantics and its object's key fields are final. Writes take the monitor
 * of one segment. An entry never moves while readers may probe for it: a removal leaves a tombstone,
 * and a segment whose live entries and tombstones fill half its array is rebuilt into a fresh array,
 * published whole. A reader still on the old array sees the table as it was before the writes that
 * followed the rebuild, which is what a read racing those writes may see anyway.
 *
 * <p>Beside each slot a one-byte tag holds 8 bits of its entry's hash that neither the segment nor
 * the slot index uses, so a probe skips 255 of 256 other entries without loading them: at a million
 * entries each entry load is a cache miss, and the floor ({@code ConcurrentHashMap.get}) loads only
 * the one it returns. The tag costs one byte per slot. Keys are compared (identity, then {@code
 * equals}) once the tag matches; {@link #hashOf} is asked only by writes and rebuilds, so an entry
 * need not keep its hash.
 *
 * @param <V> the entries
 */
abstract class IdTable<V> {
  private static final int SEGMENT_BITS = 5;
  private static final int MIN_CAPACITY = 8;
  private static final Object TOMBSTONE = new Object();
  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);

  private final Segment[] segments = new Segment[1 << SEGMENT_BITS];

  IdTable() {
    for (int i = 0; i < segments.length; i++) {
      segments[i] = new Segment();
    }
  }

  // ---- keys

  /** The spread hash of an entry's key: {@link #hash(String)} or {@link #hash(String, String)} of its ids. */
  abstract int hashOf(V value);

  /** The entry's first id (the user's). */
  abstract String first(V value);

  /** The entry's second id (the device's), or null for a table keyed by one id. */
  abstract String second(V value);

  /** The hash of a one-id key. */
  static int hash(String id) {
    return spread(id.hashCode());
  }

  /**
   * The hash of a two-id key. The first id's hash is multiplied by the golden-ratio constant, not 31,
   * so pairs whose hashes differ in a small, structured way (one id's hash up by one, the other's
   * down by 31) do not collide before {@link #spread} mixes them.
   */
  static int hash(String first, String second) {
    return spread(first.hashCode() * 0x9E3779B9 + second.hashCode());
  }

  /** Murmur3's finaliser: the high bits pick the segment and the low bits the slot, so both must mix. */
  private static int spread(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  /** Hash bits 19..26: not the segment's (27..31); the slot index's only in a segment past 2^19 slots. */
  private static byte tag(int hash) {
    return (byte) (hash >>> 19);
  }

  // ---- reads, lock-free

  /**
   * The entry with this key, or null; no lock, no allocation.
   *
   * @param hash {@link #hash(String)} or {@link #hash(String, String)} of the key
   * @param second the second id, or null for a table keyed by one id
   */
  @SuppressWarnings("unchecked")
  final V get(int hash, String first, String second) {
    Slots slots = segmentOf(hash).slots;
    Object[] table = slots.entries;
    byte[] tags = slots.tags;
    byte tag = tag(hash);
    int mask = table.length - 1;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      Object slot = SLOT.getAcquire(table, i);
      if (slot == null) {
        return null; // a segment's array is never more than half full, so every probe ends
      }
      // Read after the slot's acquire: a slot's tag is written before the slot, so it is the tag of
      // this very entry (a tombstone's tag may be stale, and a tombstone is skipped anyway).
      if (tags[i] == tag && slot != TOMBSTONE) {
        V value = (V) slot;
        if (hasKey(value, first, second)) { // a tag matches another entry 1 time in 256
          return value;
        }
      }
    }
  }

  /** Every entry, as seen segment by segment (weakly consistent, like a concurrent map's view). */
  @SuppressWarnings("unchecked")
  final List<V> values() {
    List<V> values = new ArrayList<>();
    for (Segment segment : segments) {
      Object[] table = segment.slots.entries;
      for (int i = 0; i < table.length; i++) {
        Object slot = SLOT.getAcquire(table, i);
        if (slot != null && slot != TOMBSTONE) {
          values.add((V) slot);
        }
      }
    }
    return values;
  }

  /** The number of entries (a sum of per-segment counts, each read without its lock). */
  final int size() {
    int size = 0;
    for (Segment segment : segments) {
      size += segment.size;
    }
    return size;
  }

  // ---- writes, under a segment's monitor

  /**
   * Adds {@code value}; an entry with the same key is replaced if {@code replace}, else kept.
   *
   * @return the entry with the same key that was there, or null
   */
  @SuppressWarnings("unchecked")
  final V put(V value, boolean replace) {
    int hash = hashOf(value);
    String first = first(value);
    String second = second(value);
    Segment segment = segmentOf(hash);
    synchronized (segment) {
      Slots slots = segment.slots;
      Object[] table = slots.entries;
      int mask = table.length - 1;
      int free = -1;
      int i = hash & mask;
      for (; ; i = (i + 1) & mask) {
        Object slot = table[i];
        if (slot == null) {
          break;
        }
        if (slot == TOMBSTONE) {
          if (free < 0) {
            free = i;
          }
        } else if (hashOf((V) slot) == hash && hasKey((V) slot, first, second)) {
          if (replace) {
            SLOT.setRelease(table, i, value);
          }
          return (V) slot;
        }
      }
      if (free < 0) {
        free = i;
        segment.used++;
      }
      slots.tags[free] = tag(hash); // before the release below, which publishes it
      SLOT.setRelease(table, free, value);
      segment.size++;
      if (segment.used * 2 > table.length) {
        segment.rebuild(this);
      }
      return null;
    }
  }

  /** Removes this very entry (not another one with its key); returns whether it was there. */
  final boolean remove(V value) {
    int hash = hashOf(value);
    Segment segment = segmentOf(hash);
    synchronized (segment) {
      Object[] table = segment.slots.entries;
      int mask = table.length - 1;
      for (int i = hash & mask; ; i = (i + 1) & mask) {
        Object slot = table[i];
        if (slot == null) {
          return false;
        }
        if (slot == value) {
          SLOT.setRelease(table, i, TOMBSTONE);
          segment.size--;
          return true;
        }
      }
    }
  }

  // ---- internals

  private Segment segmentOf(int hash) {
    return segments[hash >>> (32 - SEGMENT_BITS)];
  }

  /** Device id first: it is the shorter compare and, for a device table, the likelier to differ. */
  private boolean hasKey(V value, String first, String second) {
    String b = second(value);
    if (b != second && (b == null || !b.equals(second))) {
      return false;
    }
    String a = first(value);
    return a == first || a.equals(first);
  }

  /** A segment's entry array and its parallel tag array, replaced together by a rebuild. */
  private static final class Slots {
    /** Slots written with release semantics under the segment's monitor. */
    final Object[] entries;
    /** {@code tags[i]} is {@link #tag} of {@code entries[i]}'s hash, written before {@code entries[i]}. */
    final byte[] tags;

    Slots(int capacity) {
      entries = new Object[capacity];
      tags = new byte[capacity];
    }
  }

  private static final class Segment {
    /** Replaced whole by {@link #rebuild}. */
    volatile Slots slots = new Slots(MIN_CAPACITY);
    /** Live entries; written under this monitor, read anywhere. */
    volatile int size;
    /** Guarded by this: slots that are not null (live entries and tombstones). */
    int used;

    /** Under this monitor: copies the live entries into an array that is at most a third full. */
    @SuppressWarnings("unchecked")
    <V> void rebuild(IdTable<V> owner) {
      int capacity = MIN_CAPACITY;
      while (capacity < size * 3) {
        capacity <<= 1;
      }
      Object[] old = slots.entries;
      Slots fresh = new Slots(capacity);
      int mask = capacity - 1;
      for (Object slot : old) {
        if (slot != null && slot != TOMBSTONE) {
          int hash = owner.hashOf((V) slot);
          int i = hash & mask;
          while (fresh.entries[i] != null) {
            i = (i + 1) & mask;
          }
          fresh.entries[i] = slot;
          fresh.tags[i] = tag(hash);
        }
      }
      used = size;
      slots = fresh; // volatile write: readers see the filled arrays
    }
  }
}
