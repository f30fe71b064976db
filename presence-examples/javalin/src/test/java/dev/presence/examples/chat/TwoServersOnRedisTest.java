package dev.presence.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.presence.examples.support.TestSocket;
import dev.presence.redis.testing.RedisServer;
import dev.presence.redis.testing.RedisTest;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Two demo servers on one real Redis ({@code --redis}), as the README shows them: alice on one, bob
 * on the other, in the same room; each sees the other online, and typing crosses servers too. Real
 * WebSocket clients; waiting is a bounded poll.
 */
@RedisTest
class TwoServersOnRedisTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(15);

  @Test
  void aliceOnOneServerAndBobOnTheOtherSeeEachOtherOnlineAndTyping(RedisServer redis) {
    DemoOptions options = new DemoOptions(0, Duration.ofMillis(400), Duration.ofMinutes(1), Duration.ofMillis(50),
        Duration.ofSeconds(10)).withRedis("redis://127.0.0.1:" + redis.port());
    List<AutoCloseable> closing = new ArrayList<>();
    try {
      PresenceBackend backend1 = PresenceBackend.redis(options.redis());
      closing.add(backend1);
      ChatServer server1 = ChatServer.start(options, backend1);
      closing.add(0, server1::close);
      PresenceBackend backend2 = PresenceBackend.redis(options.redis());
      closing.add(0, backend2);
      ChatServer server2 = ChatServer.start(options, backend2);
      closing.add(0, server2::close);
      assertThat(server1.readsFramesOnSelector()).as("on Redis a handler may wait: frames go to the pool").isFalse();

      TestSocket alice = TestSocket.connect(URI.create("ws://127.0.0.1:" + server1.port() + "/ws?user=alice&device=tab"));
      closing.add(0, alice::close);
      alice.send("{\"type\":\"subscribe\",\"channelId\":\"room\"}");
      alice.await(type("snapshot"), WAIT, "alice's snapshot");

      TestSocket bob = TestSocket.connect(URI.create("ws://127.0.0.1:" + server2.port() + "/ws?user=bob&device=tab"));
      closing.add(0, bob::close);
      bob.send("{\"type\":\"subscribe\",\"channelId\":\"room\"}");
      JsonNode bobsSnapshot = json(bob.await(type("snapshot"), WAIT, "bob's snapshot"));
      assertThat(bobsSnapshot.toString()).as("bob's snapshot lists alice, from the other server")
          .contains("\"userId\":\"alice\",\"state\":\"online\"");

      alice.await(presence("bob", "online"), WAIT, "bob online on alice's server");

      bob.send("{\"type\":\"typing-start\",\"channelId\":\"room\"}");
      alice.await(text -> json(text).path("type").asText().equals("typing")
          && text.contains("\"bob\""), WAIT, "bob typing on alice's server");
    } finally {
      for (AutoCloseable c : closing) {
        try {
          c.close();
        } catch (Exception e) {
          // the next one still closes
        }
      }
    }
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private static Predicate<String> type(String type) {
    return text -> json(text).path("type").asText().equals(type);
  }

  private static Predicate<String> presence(String user, String state) {
    return text -> {
      JsonNode node = json(text);
      if (!node.path("type").asText().equals("presence")) {
        return false;
      }
      for (JsonNode p : node.path("users")) {
        if (p.path("userId").asText().equals(user) && p.path("state").asText().equals(state)) {
          return true;
        }
      }
      return false;
    };
  }
}
