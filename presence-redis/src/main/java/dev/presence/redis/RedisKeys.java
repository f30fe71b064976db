package dev.presence.redis;

import io.lettuce.core.cluster.SlotHash;

/**
 * The names of every key and shard channel one application uses, all under its prefix.
 *
 * <p>Layout (after {@code <app>:}; {@code U}, {@code C}, {@code N} are ids encoded by {@link
 * IdEncoding}, {@code T} is the {@link SlotTags tag} of a slot):
 *
 * <ul>
 *   <li>{@code u:{U}}: the user's record; {@code c:{U}}: the shard channel of the user's changes. Both
 *       carry the hash tag {@code {U}}, so a script that changes the user can also publish, in one slot.
 *   <li>{@code t:{C}}: the shard channel of typing in channel {@code C}. A different kind letter keeps
 *       channel ids and user ids apart even when they are the same string.
 *   <li>{@code ni:{T}:N}: node {@code N}'s users in slot {@code T}, and {@code ep:{T}}: the epoch
 *       sentinel of that slot. They share a slot with the users they describe, so one script keeps them.
 *   <li>{@code {L}nodes} and {@code {L}node:N}: the node leases, all in one slot (the tag {@code L}) so
 *       that claiming a lease is one script.
 * </ul>
 *
 * <p>The prefix is an application name of 1 to 64 characters from {@code [A-Za-z0-9._-]}, followed by
 * a {@code :} that this class adds. With no {@code :} in the name, the first {@code :} of a key ends the
 * name, so two applications with different names can never produce the same key, and with no braces
 * in the name, a key's hash tag is always the one this class put there.
 *
 * <p>This is the model of {@code distribution.md} (c); the store and bus may add kinds, each with its
 * own letters.
 */
final class RedisKeys {
  static final String DEFAULT_APPLICATION = "presence";
  static final int MAX_APPLICATION_CHARS = 64;
  private static final String LEASE_TAG = "{L}";

  private final String prefix;

  private RedisKeys(String prefix) {
    this.prefix = prefix;
  }

  // ---- API

  /**
   * The keys of one application.
   *
   * @param application the application's name: 1 to 64 characters of {@code [A-Za-z0-9._-]}
   * @return its keys, all starting with {@code application + ":"}
   * @throws IllegalArgumentException if the name is null, empty, too long or has another character
   */
  static RedisKeys of(String application) {
    return new RedisKeys(checkApplication(application) + ":");
  }

  /** The prefix every key of this application starts with: the name and a {@code :}. */
  String prefix() {
    return prefix;
  }

  /** The user's record: {@code <app>:u:{U}}. */
  String user(String userId) {
    return tagged("u:", IdEncoding.encode("user id", userId));
  }

  /**
   * The last operation of each writer on the user, so a command Lettuce sends again after a reconnect
   * is answered instead of run twice: {@code <app>:o:{U}}, in the user's slot.
   */
  String ops(String userId) {
    return tagged("o:", IdEncoding.encode("user id", userId));
  }

  /** The shard channel of the user's changes, in the user's slot: {@code <app>:c:{U}}. */
  String userChanges(String userId) {
    return tagged("c:", IdEncoding.encode("user id", userId));
  }

  /** The shard channel of typing in a channel: {@code <app>:t:{C}}. */
  String typing(String channelId) {
    return tagged("t:", IdEncoding.encode("channel id", channelId));
  }

  /** A node's users in one slot: {@code <app>:ni:{T}:N}, in that slot. */
  String nodeIndex(int slot, String nodeId) {
    return prefix + "ni:{" + SlotTags.of(slot) + "}:" + IdEncoding.encode("node id", nodeId);
  }

  /** The epoch sentinel of one slot: {@code <app>:ep:{T}}, in that slot. */
  String epoch(int slot) {
    return prefix + "ep:{" + SlotTags.of(slot) + "}";
  }

  /** The sorted set of node lease deadlines: {@code <app>:{L}nodes}. */
  String leases() {
    return prefix + LEASE_TAG + "nodes";
  }

  /**
   * The store's epoch: the version base of users never recorded since the store last lost its data,
   * {@code <app>:{L}epoch}, in the slot of {@link #leases()}.
   */
  String epoch() {
    return prefix + LEASE_TAG + "epoch";
  }

  /**
   * The slots in which one life of a node may have indexed users, so a sweep reads only those indexes:
   * {@code <app>:{L}ns:N:life}, in the slot of {@link #leases()}.
   */
  String nodeSlots(String nodeId, String life) {
    return prefix + LEASE_TAG + "ns:" + IdEncoding.encode("node id", nodeId) + ":" + life;
  }

  /** The lease details of every node (a hash by node id): {@code <app>:{L}info}. */
  String leaseDetails() {
    return prefix + LEASE_TAG + "info";
  }

  /** The claimed nodes whose sweep is under way (a sorted set): {@code <app>:{L}sweeping}. */
  String sweeping() {
    return prefix + LEASE_TAG + "sweeping";
  }

  /** The server run id last seen by a sweep, and until when sweeps wait after it changed: {@code <app>:{L}restart}. */
  String restartGuard() {
    return prefix + LEASE_TAG + "restart";
  }

  /** One node's lease: {@code <app>:{L}node:N}, in the slot of {@link #leases()}. */
  String lease(String nodeId) {
    return prefix + LEASE_TAG + "node:" + IdEncoding.encode("node id", nodeId);
  }

  /**
   * The cluster slot of every key of a user.
   *
   * @param userId a valid user id
   * @return the slot, 0 to 16,383, as Lettuce and Redis compute it
   */
  static int slotOfUser(String userId) {
    return SlotHash.getSlot(IdEncoding.encode("user id", userId));
  }

  @Override
  public String toString() {
    return "RedisKeys[" + prefix + "]";
  }

  // ---- internals

  private String tagged(String kind, String encodedId) {
    return prefix + kind + "{" + encodedId + "}";
  }

  private static String checkApplication(String application) {
    if (application == null) {
      throw new IllegalArgumentException("application name must not be null");
    }
    if (application.isEmpty() || application.length() > MAX_APPLICATION_CHARS) {
      throw new IllegalArgumentException(
          "application name " + IdEncoding.shown(application) + " must be 1 to " + MAX_APPLICATION_CHARS
              + " characters long but is " + application.length());
    }
    for (int i = 0; i < application.length(); i++) {
      char c = application.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || c == '.' || c == '_' || c == '-';
      if (!ok) {
        throw new IllegalArgumentException(
            "application name " + IdEncoding.shown(application) + " may only have [A-Za-z0-9._-] but has '"
                + c + "' at index " + i);
      }
    }
    return application;
  }
}
