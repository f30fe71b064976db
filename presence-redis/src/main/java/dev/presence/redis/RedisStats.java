package dev.presence.redis;

/**
 * A snapshot of the counters of a {@link RedisPresenceStore} or a {@link RedisPresenceBus}, read by
 * their {@code stats()} and published by {@code RedisPresenceMetrics}. Counters grow from the store's
 * or bus's creation.
 *
 * <p>Immutable and thread-safe.
 *
 * @param commands Redis commands sent (a script call is one command; an SSUBSCRIBE per slot is one)
 * @param reconnects connections of the Lettuce client made again after they were lost (on a cluster,
 *     one per node connection; with an application's own client, its other connections count too)
 * @param resyncs bus only: times the engine was asked to read watched users again, after a reconnect
 *     or a subscription that failed and was retried
 * @param leaseSweeps store only: lives of nodes whose devices this store's node removed (a dead
 *     node's, or its own previous life's)
 */
public record RedisStats(long commands, long reconnects, long resyncs, long leaseSweeps) {}
