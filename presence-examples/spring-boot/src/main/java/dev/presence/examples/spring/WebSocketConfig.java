package dev.presence.examples.spring;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;
import org.springframework.context.annotation.Bean;

/**
 * The chat's one WebSocket endpoint, {@code /ws?user=NAME&device=ID}. With no allowed origins set,
 * Spring accepts a browser's WebSocket only from the page's own origin (cross-site WebSocket
 * hijacking is refused with 403); clients that send no {@code Origin} (not browsers) get through,
 * as in the Javalin demo.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
public class WebSocketConfig implements WebSocketConfigurer {
  private final ChatHandler handler;

  /**
   * The configuration of the chat endpoint.
   *
   * @param handler the handler of every chat socket
   */
  public WebSocketConfig(ChatHandler handler) {
    this.handler = handler;
  }

  /**
   * Maps {@code /ws} to the chat handler.
   *
   * @param registry Spring's registry of WebSocket handlers
   */
  @Override
  public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
    registry.addHandler(handler, "/ws");
  }

  /**
   * The servlet container's WebSocket limits: a chat message is at most 2,000 characters, 6 bytes
   * each when escaped; pages heartbeat far more often than the idle timeout.
   *
   * @return the container settings
   */
  @Bean
  public ServletServerContainerFactoryBean webSocketContainer() {
    ServletServerContainerFactoryBean container = new ServletServerContainerFactoryBean();
    container.setMaxTextMessageBufferSize(16 * 1024);
    container.setMaxBinaryMessageBufferSize(1024);
    container.setMaxSessionIdleTimeout(120_000L);
    return container;
  }
}
