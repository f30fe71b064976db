/**
 * Micrometer metrics for the Redis store and bus. Only this package uses Micrometer, an optional
 * dependency: an application that does not use it needs no Micrometer jar.
 */
@NullMarked
package dev.presence.redis.micrometer;

import org.jspecify.annotations.NullMarked;
