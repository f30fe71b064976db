package dev.presence;

import dev.presence.spi.PresenceStore;
import dev.presence.spi.UserRecord;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * {@link Presence#viewAs}: presence as one viewer may see it, through the visibility policy. Bulk
 * reads share {@link #readAll} with {@link Presence#getAll}: ids are validated lazily (only the ones
 * the store does not know). {@link Presence#getAll} answers with {@link PresenceList}, an unmodifiable
 * view over the records; a view answers with an unmodifiable list, asking the policy once per user.
 */
final class RealPresenceView implements PresenceView {
  private final String viewerUserId;
  private final PresenceStore store;
  private final Visibility visibility;
  private final RunState run;

  RealPresenceView(String viewerUserId, PresenceStore store, Visibility visibility, RunState run) {
    this.viewerUserId = viewerUserId;
    this.store = store;
    this.visibility = visibility;
    this.run = run;
  }

  @Override
  public String viewerUserId() {
    return viewerUserId;
  }

  @Override
  public UserPresence get(String userId) {
    Ids.check("userId", userId);
    run.checkOpen();
    return visibility.viewOf(viewerUserId, store.get(userId));
  }

  @Override
  public List<UserPresence> getAll(Collection<String> userIds) {
    List<UserRecord> records = readAll(userIds, store, run);
    UserPresence[] views = new UserPresence[records.size()];
    for (int i = 0; i < views.length; i++) {
      views[i] = visibility.viewOf(viewerUserId, records.get(i)); // the policy is asked once per user
    }
    return List.of(views);
  }

  /**
   * Reads the records of {@code userIds}, in order. Cheap checks first, so a huge id never reaches the
   * store; a recorded user's id passed validation when it was recorded, so only unknown ones (version
   * 0) are validated in full, after the read.
   */
  static List<UserRecord> readAll(Collection<String> userIds, PresenceStore store, RunState run) {
    Objects.requireNonNull(userIds, "userIds");
    List<String> ids = userIds instanceof List<String> list ? list : new ArrayList<>(userIds);
    for (String id : ids) {
      if (id == null || id.length() > Ids.MAX_ID_BYTES) {
        Ids.check("userId", id); // throws
      }
    }
    run.checkOpen();
    List<UserRecord> records = store.getAll(ids);
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).version() == 0) {
        Ids.check("userId", ids.get(i));
      }
    }
    return records;
  }

  /** The presences of records, as an unmodifiable view: a bulk query copies nothing. */
  static final class PresenceList extends AbstractList<UserPresence> implements RandomAccess {
    private final List<UserRecord> records;

    PresenceList(List<UserRecord> records) {
      this.records = records;
    }

    @Override
    public UserPresence get(int index) {
      return records.get(index).presence();
    }

    @Override
    public int size() {
      return records.size();
    }
  }
}
