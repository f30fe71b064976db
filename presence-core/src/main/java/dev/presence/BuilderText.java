package dev.presence;

import java.util.StringJoiner;

/** {@link PresenceBuilder#toString()}: the settings given so far, for startup logs. */
final class BuilderText {
  private BuilderText() {}

  static String describe(PresenceBuilder b) {
    StringJoiner out = new StringJoiner(", ", "PresenceBuilder{", "}");
    add(out, "nodeId", b.nodeId);
    add(out, "ticker", b.ticker);
    add(out, "clock", b.clock);
    add(out, "scheduler", b.scheduler);
    add(out, "grace", b.grace);
    add(out, "heartbeatTtl", b.heartbeatTtl);
    add(out, "idleAfter", b.idleAfter);
    add(out, "timerResolution", b.timerResolution);
    add(out, "maxDevicesPerUser", b.maxDevicesPerUser);
    add(out, "deviceOverflow", b.deviceOverflow);
    add(out, "aggregationPolicy", b.aggregationPolicy);
    add(out, "store", b.store);
    add(out, "bus", b.bus);
    add(out, "flushInterval", b.flushInterval);
    add(out, "deliveryExecutor", b.deliveryExecutor);
    add(out, "visibilityPolicy", b.visibilityPolicy);
    add(out, "maxSubscriptionsPerSubscriber", b.maxSubscriptionsPerSubscriber);
    add(out, "statusChangesPerWindow", b.statusChangesPerWindow);
    add(out, "statusChangeWindow", b.statusChangeWindow);
    add(out, "typingTimeout", b.typingTimeout);
    add(out, "typingRefreshInterval", b.typingRefreshInterval);
    add(out, "maxTypingChannelsPerUser", b.maxTypingChannelsPerUser);
    add(out, "lease", b.lease);
    add(out, "leaseRenewInterval", b.leaseRenewInterval);
    add(out, "storeExecutor", b.storeExecutor);
    add(out, "busWatchTimeout", b.busWatchTimeout);
    add(out, "storeTimeout", b.storeTimeout);
    if (!b.listeners.isEmpty()) {
      out.add("listeners=" + b.listeners.size());
    }
    return out.toString();
  }

  private static void add(StringJoiner out, String name, Object value) {
    if (value != null) {
      out.add(name + "=" + value);
    }
  }
}
