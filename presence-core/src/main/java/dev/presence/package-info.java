/**
 * The presence engine's API: build a {@link dev.presence.Presence} with {@link
 * dev.presence.Presence#builder()}, connect devices, read presence, subscribe to changes, and tell who
 * is typing.
 *
 * <p>Every type here is {@link org.jspecify.annotations.NullMarked}: a parameter or return value that
 * may be null says so with {@link org.jspecify.annotations.Nullable}; every other one is never null.
 */
@NullMarked
package dev.presence;

import org.jspecify.annotations.NullMarked;
