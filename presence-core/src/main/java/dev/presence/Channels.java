package dev.presence;

import dev.presence.spi.PresenceStore;
import dev.presence.spi.UserRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Channels on this node: membership (managed by the application), the subscribers watching each
 * channel, and releasing a channel nothing uses any more.
 *
 * <p>Locks: a channel's monitor guards its members, watchers and typing; under it this class takes a
 * subscriber's monitor (lock order: user lock, channel monitor, subscriber monitor). The bus is told
 * of a channel's first watcher and its last under the channel's monitor. A retired channel has left
 * the map; a thread that finds one retired after locking it starts over with a fresh one.
 */
final class Channels {
  /** Channel id → its members, watchers and typing here; package-private for tests. */
  final ConcurrentHashMap<String, Channel> byId = new ConcurrentHashMap<>();
  /** User id → channels it is a member of. */
  private final ConcurrentHashMap<String, Set<String>> memberships = new ConcurrentHashMap<>();
  private final PresenceStore store;
  private final GuardedBus bus;
  private final Visibility visibility;

  /** Re-reads users once the bus confirms their watch; see {@link SubscriptionHub#resyncWhenConfirmed}. */
  private final java.util.function.Consumer<java.util.Collection<String>> resyncWhenConfirmed;

  Channels(
      PresenceStore store,
      GuardedBus bus,
      Visibility visibility,
      java.util.function.Consumer<java.util.Collection<String>> resyncWhenConfirmed) {
    this.resyncWhenConfirmed = resyncWhenConfirmed;
    this.store = store;
    this.bus = bus;
    this.visibility = visibility;
  }

  // ---- membership

  /**
   * Makes a user a member. Watchers that did not know her get a baseline read from the store; if that
   * read fails the join is undone, so no watcher is left without a baseline.
   */
  void join(String channelId, String userId, Typing typing) {
    List<RealSubscriber> needBaseline = new ArrayList<>();
    while (true) {
      Channel channel = channelFor(channelId);
      synchronized (channel) {
        if (channel.retired) {
          continue;
        }
        if (!channel.members.add(userId)) {
          return;
        }
        SubscriptionHub.addTo(memberships, userId, channelId);
        for (RealSubscriber watcher : channel.watchers) {
          watcher.memberJoined(userId);
          if (watcher.needsBaseline(userId)) {
            needBaseline.add(watcher);
          }
        }
        break;
      }
    }
    if (needBaseline.isEmpty()) {
      return;
    }
    resyncWhenConfirmed.accept(List.of(userId)); // a new member's watch may not be confirmed yet
    UserRecord record;
    try {
      record = store.get(userId); // with no lock held: the store may be remote
    } catch (RuntimeException e) {
      leave(channelId, userId, typing); // with no baseline its watchers would never see it: undo
      throw e;
    }
    for (RealSubscriber watcher : needBaseline) {
      // A watcher that stopped watching (or a member that left) meanwhile has no edge: nothing happens.
      if (watcher.watcherUserId().equals(userId) || visibility.canSee(watcher.watcherUserId(), userId)) {
        watcher.memberBaseline(visibility.viewOf(watcher.watcherUserId(), record));
      } else {
        watcher.memberBaseline(UserPresence.unknown(userId));
      }
    }
  }

  /** Ends a membership; the member's typing in the channel stops. */
  void leave(String channelId, String userId, Typing typing) {
    Channel channel = byId.get(channelId);
    if (channel == null) {
      return;
    }
    synchronized (channel) {
      if (!removeMember(channel, userId)) {
        return;
      }
      TypingBurst burst = channel.typing.get(userId);
      if (burst != null) {
        typing.endBurst(burst);
      }
      retireIfUnused(channel);
    }
  }

  /** Under the channel's monitor: removes a member and its watchers' edges; whether it was one. */
  private boolean removeMember(Channel channel, String userId) {
    if (!channel.members.remove(userId)) {
      return false;
    }
    memberships.computeIfPresent(
        userId,
        (id, set) -> {
          set.remove(channel.id);
          return set.isEmpty() ? null : set;
        });
    for (RealSubscriber watcher : channel.watchers) {
      watcher.memberLeft(userId);
    }
    return true;
  }

  /** Whether the user is a member of the channel on this node. */
  boolean isMember(String userId, String channelId) {
    Set<String> memberOf = memberships.get(userId);
    return memberOf != null && memberOf.contains(channelId);
  }

  /** The channels a user is a member of here (a live set), or null. */
  Set<String> membershipsOf(String userId) {
    return memberships.get(userId);
  }

  Set<String> members(String channelId) {
    Channel channel = byId.get(channelId);
    return channel == null ? Set.of() : Set.copyOf(channel.members);
  }

  // ---- watchers

  /** Adds a watcher to a channel; returns the members it now sees. */
  List<String> addWatcher(String channelId, RealSubscriber subscriber) {
    while (true) {
      Channel channel = channelFor(channelId);
      synchronized (channel) {
        if (channel.retired) {
          continue;
        }
        List<String> members = List.copyOf(channel.members);
        boolean added;
        try {
          added = subscriber.channelWatched(channelId, members);
        } catch (RuntimeException e) {
          retireIfUnused(channel); // a rejected watch must not leave an empty channel behind
          throw e;
        }
        if (added) {
          if (channel.watchers.isEmpty()) {
            bus.watchChannel(channelId);
          }
          channel.watchers.add(subscriber);
          channel.watchersChanged();
        } else {
          retireIfUnused(channel); // the subscriber closed meanwhile: leave no empty channel behind
        }
        return members;
      }
    }
  }

  void removeWatcher(String channelId, RealSubscriber subscriber) {
    Channel channel = byId.get(channelId);
    if (channel == null) {
      return;
    }
    synchronized (channel) {
      if (channel.watchers.remove(subscriber)) {
        channel.watchersChanged();
        subscriber.channelUnwatched(channelId, List.copyOf(channel.members));
        if (channel.watchers.isEmpty()) {
          bus.unwatchChannel(channelId);
        }
        retireIfUnused(channel);
      }
    }
  }

  // ---- the channel map

  /** The channel, or null; no lock. */
  Channel get(String channelId) {
    return byId.get(channelId);
  }

  /** The channel, made if needed; the caller locks it and starts over if it is retired. */
  Channel channelFor(String channelId) {
    Channel channel = byId.get(channelId);
    return channel != null ? channel : byId.computeIfAbsent(channelId, Channel::new);
  }

  /** Under the channel's monitor. */
  void retireIfUnused(Channel channel) {
    if (channel.isUnused()) {
      channel.retired = true;
      byId.remove(channel.id, channel);
    }
  }

  /** Whether no channel or membership is held. For tests. */
  boolean isEmpty() {
    return byId.isEmpty() && memberships.isEmpty();
  }
}
