package dev.presence.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The chat demo on Spring Boot: the Javalin demo's page and JSON protocol, served by Spring MVC and
 * Spring WebSocket, with the presence engine as a bean configured from {@code application.properties}
 * ({@link PresenceProperties}) and its metrics under {@code /actuator/metrics}.
 */
@SpringBootApplication
public class PresenceExampleApplication {

  /** Made by Spring Boot, as its configuration class. */
  public PresenceExampleApplication() {}

  /**
   * Starts the application.
   *
   * @param args Spring Boot's command line, e.g. {@code --server.port=9090 --presence.grace=3s}
   */
  public static void main(String[] args) {
    SpringApplication.run(PresenceExampleApplication.class, args);
  }
}
