package dev.presence;

/**
 * A snapshot of one engine's counters, like Caffeine's {@code CacheStats}.
 *
 * <p>Immutable and thread-safe. Gauges describe this node: its devices, and its users with at least
 * one device here, by the aggregate this node last applied, in the user's own view (an invisible
 * user counts by its real state: it is here, just not shown). Counters grow from the engine's start.
 *
 * @param devicesConnected devices connected to this node
 * @param devicesInGrace devices disconnected from this node and still in grace
 * @param usersOnline users with a device here whose aggregate is ONLINE
 * @param usersIdle users with a device here whose aggregate is IDLE
 * @param usersDnd users with a device here whose aggregate is DND
 * @param connects device connections accepted
 * @param disconnects device disconnections (each starts a grace period)
 * @param reconnectsAbsorbed connects that ended a grace period before it ran out, so nobody saw a flicker
 * @param expiries devices gone because they stopped heartbeating (TTL)
 * @param listenerFailures listener calls that threw
 * @param subscribers open subscribers on this node
 * @param sinkFailures sink calls that threw
 * @param visibilityFailures visibility policy calls that threw (each hid its target: the policy fails
 *     closed)
 * @param busFailures bus calls that threw (publishing a change or typing, watching or unwatching)
 * @param storeFailures store calls that failed for a store reason and will be tried again: every
 *     attempt of a queued write (claims, idle changes, removals, statuses, status expiries,
 *     re-asserts), lease renewals and sweeps; a read made for a caller that fails is thrown to that
 *     caller instead
 * @param deliveries presence entries and typing events handed to sinks (one per entry of a batch)
 * @param coalesced presence changes coalesced away before delivery: replaced by a newer change to the
 *     same user within a flush window, or changed back to what the subscriber last got; counted when
 *     the subscriber's next batch is made (or it closes), or, for a user's direct watchers, when a
 *     change replaces one still waiting for the window's end (one per watcher then)
 * @param limitRejections calls refused with a {@link LimitExceededException} (devices per user,
 *     status changes, typing channels, subscriptions)
 * @param storeCalls store writes sent, each attempt counted (see {@link #storeFailures()})
 * @param storeCallNanos the total time of those writes from call to completion, in nanoseconds of the
 *     engine's ticker
 * @param storeCallMaxNanos the longest of those writes since the engine started, in nanoseconds
 */
public record PresenceStats(
    long devicesConnected,
    long devicesInGrace,
    long usersOnline,
    long usersIdle,
    long usersDnd,
    long connects,
    long disconnects,
    long reconnectsAbsorbed,
    long expiries,
    long listenerFailures,
    long subscribers,
    long sinkFailures,
    long visibilityFailures,
    long busFailures,
    long storeFailures,
    long deliveries,
    long coalesced,
    long limitRejections,
    long storeCalls,
    long storeCallNanos,
    long storeCallMaxNanos) {}
