/**
 * The presence engine: devices, aggregation, grace, heartbeats, subscriptions, typing. Exports the
 * API ({@code dev.presence}), the service provider interface ({@code dev.presence.spi}) and the
 * optional Micrometer metrics ({@code dev.presence.micrometer}).
 *
 * <p>Needs only SLF4J at run time. The JSpecify annotations are read by compilers and IDEs and are
 * part of the API's signatures, hence {@code static transitive}; Micrometer is needed only by an
 * application that binds the metrics, hence {@code static}.
 */
// Micrometer 1.17 has no module-info, only an automatic module name.
@SuppressWarnings("requires-automatic")
module dev.presence {
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static micrometer.core;

  exports dev.presence;
  exports dev.presence.spi;
  exports dev.presence.micrometer;
}
