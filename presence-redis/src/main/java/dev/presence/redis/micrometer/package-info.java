/**
 * Micrometer metrics for the Redis store and bus: {@link
 * dev.presence.redis.micrometer.RedisPresenceMetrics}. Needs {@code io.micrometer:micrometer-core}, an
 * optional dependency of presence-redis.
 */
@NullMarked
package dev.presence.redis.micrometer;

import org.jspecify.annotations.NullMarked;
