package dev.presence.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default store: a concurrent map of user id to record, in this JVM. Several engines in one JVM
 * may share one instance to act as several nodes.
 *
 * <p>Thread-safe; {@link #apply} is atomic per user and never blocks other users. It keeps one record
 * per user ever seen, so that last seen and versions survive the user going offline.
 */
public final class InMemoryPresenceStore implements PresenceStore {
  private final ConcurrentHashMap<String, UserRecord> records = new ConcurrentHashMap<>();

  /** Creates an empty store. */
  public InMemoryPresenceStore() {}

  @Override
  public StoreUpdate apply(String userId, StoreMutation mutation, AggregationPolicy policy) {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(mutation, "mutation");
    Objects.requireNonNull(policy, "policy");
    UserRecord[] before = new UserRecord[1];
    UserRecord after =
        records.compute(
            userId,
            (id, old) -> {
              UserRecord previous = old == null ? UserRecord.empty(id) : old;
              before[0] = previous;
              UserRecord next = previous.apply(mutation, policy);
              return next == previous && old == null ? null : next;
            });
    return new StoreUpdate(before[0], after == null ? before[0] : after);
  }

  @Override
  public UserRecord get(String userId) {
    UserRecord record = records.get(Objects.requireNonNull(userId, "userId"));
    return record == null ? UserRecord.empty(userId) : record;
  }

  @Override
  public List<UserRecord> getAll(List<String> userIds) {
    List<UserRecord> result = new ArrayList<>(userIds.size());
    for (String userId : userIds) {
      result.add(get(userId));
    }
    return result;
  }

  /** The number of users recorded. */
  public int size() {
    return records.size();
  }

  @Override
  public String toString() {
    return "InMemoryPresenceStore{users=" + records.size() + "}";
  }
}
