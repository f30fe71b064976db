/**
 * The service provider interface: where presence is stored across nodes ({@link
 * dev.presence.spi.PresenceStore}), how changes travel between nodes ({@link
 * dev.presence.spi.PresenceBus}), how devices make one presence ({@link
 * dev.presence.spi.AggregationPolicy}), with the in-memory defaults for one node.
 *
 * <p>Every type here is {@link org.jspecify.annotations.NullMarked}: a parameter or return value that
 * may be null says so with {@link org.jspecify.annotations.Nullable}; every other one is never null.
 */
@NullMarked
package dev.presence.spi;

import org.jspecify.annotations.NullMarked;
