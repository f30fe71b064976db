package dev.presence.examples.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The engine's settings, bound from {@code presence.*} in {@code application.properties} (or the
 * command line: {@code --presence.grace=3s}). The defaults are the Javalin demo's.
 *
 * @param grace how long a closed tab still counts before its user goes offline
 * @param ttl a tab that sends no heartbeat for this long is gone
 * @param idle a user shows idle after this long without input
 * @param flush each page gets at most one presence batch per this interval; 0 sends at once
 * @param channelsPerSocket channels one socket may subscribe to
 */
@ConfigurationProperties("presence")
public record PresenceProperties(
    @DefaultValue("10s") Duration grace,
    @DefaultValue("45s") Duration ttl,
    @DefaultValue("2m") Duration idle,
    @DefaultValue("1s") Duration flush,
    @DefaultValue("100") int channelsPerSocket) {}
