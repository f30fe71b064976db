/**
 * The presence store and bus on Redis, standalone or cluster, through Lettuce: {@link
 * dev.presence.redis.RedisPresenceStore} and {@link dev.presence.redis.RedisPresenceBus}.
 *
 * <p>Every type here is {@link org.jspecify.annotations.NullMarked}: a parameter or return value that
 * may be null says so with {@link org.jspecify.annotations.Nullable}; every other one is never null.
 */
@NullMarked
package dev.presence.redis;

import org.jspecify.annotations.NullMarked;
