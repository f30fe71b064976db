/**
 * Micrometer metrics for a presence engine. Only this package uses Micrometer, an optional dependency:
 * an application that does not use it needs no Micrometer jar.
 */
@NullMarked
package dev.presence.micrometer;

import org.jspecify.annotations.NullMarked;
