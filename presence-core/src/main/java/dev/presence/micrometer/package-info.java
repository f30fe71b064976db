/**
 * Micrometer metrics for a presence engine: {@link dev.presence.micrometer.PresenceMetrics}. Needs
 * {@code io.micrometer:micrometer-core}, an optional dependency of presence-core; no other package of
 * the engine uses it.
 */
@NullMarked
package dev.presence.micrometer;

import org.jspecify.annotations.NullMarked;
