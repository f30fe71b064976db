/**
 * The presence store and bus on Redis (standalone or cluster), through Lettuce. Exports {@code
 * dev.presence.redis} and the optional Micrometer metrics ({@code dev.presence.redis.micrometer}).
 *
 * <p>Lettuce types ({@code RedisURI}, {@code RedisClient}) and the engine's SPI appear in this API,
 * hence {@code transitive}. Micrometer is needed only by an application that binds the metrics.
 */
// Lettuce 7.7 and Micrometer 1.17 have no module-info, only an automatic module name.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.presence.redis {
  requires transitive dev.presence;
  requires transitive lettuce.core;
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static micrometer.core;

  exports dev.presence.redis;
  exports dev.presence.redis.micrometer;
}
