package dev.presence.examples.spring;

import dev.presence.DeviceOverflow;
import dev.presence.Presence;
import dev.presence.micrometer.PresenceMetrics;
import dev.presence.spi.InMemoryPresenceStore;
import dev.presence.spi.PresenceStore;
import io.micrometer.core.instrument.Tags;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The engine as a bean, and its meters: Spring Boot binds every {@code MeterBinder} bean to its
 * registry, so the engine's meters appear under {@code /actuator/metrics/presence.*}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PresenceProperties.class)
public class PresenceConfiguration {

  /** Made by Spring, as a configuration class. */
  public PresenceConfiguration() {}

  /**
   * Where presence is kept: in memory, one node. A cluster would use presence-redis's store and bus.
   *
   * @return the store
   */
  @Bean
  public PresenceStore presenceStore() {
    return new InMemoryPresenceStore();
  }

  /**
   * The engine, in memory (one node), closed with the application context.
   *
   * @param properties the {@code presence.*} settings
   * @param store where presence is kept
   * @return the engine
   */
  @Bean(destroyMethod = "close")
  public Presence presence(PresenceProperties properties, PresenceStore store) {
    return Presence.builder()
        .store(store)
        .grace(properties.grace())
        .heartbeatTtl(properties.ttl())
        .idleAfter(properties.idle())
        .flushInterval(properties.flush())
        .maxSubscriptionsPerSubscriber(properties.channelsPerSocket())
        // Whoever opens many tabs under a name replaces the oldest instead of locking it out.
        .deviceOverflow(DeviceOverflow.REPLACE_LEAST_RECENTLY_ACTIVE)
        .build();
  }

  /**
   * The engine's meters (devices, users by state, subscribers, connects, deliveries, store calls…).
   *
   * @param presence the engine
   * @return the binder Spring Boot adds to its meter registry
   */
  @Bean
  public PresenceMetrics presenceMetrics(Presence presence) {
    return new PresenceMetrics(presence, Tags.empty());
  }
}
