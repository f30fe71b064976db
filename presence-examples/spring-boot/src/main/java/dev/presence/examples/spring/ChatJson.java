package dev.presence.examples.spring;

import dev.presence.PresenceSnapshot;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import dev.presence.spi.UserRecord;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import tools.jackson.core.json.JsonWriteFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The frames of the chat protocol (the Javalin demo's, written down in presence-examples' README), as
 * JSON text. Non-ASCII is escaped, so a frame's length in characters is its length in bytes.
 * Thread-safe.
 */
final class ChatJson {
  private final JsonMapper json = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

  /** Parses a client frame; null if it is not JSON. */
  JsonNode parse(String text) {
    try {
      return json.readTree(text);
    } catch (RuntimeException e) {
      return null;
    }
  }

  String presence(List<UserPresence> changes) {
    ObjectNode out = json.createObjectNode();
    out.put("type", "presence");
    ArrayNode users = out.putArray("users");
    changes.forEach(p -> users.add(presenceEntry(p)));
    return write(out);
  }

  String typing(TypingEvent event) {
    return write(typingEntry(event));
  }

  String error(String message) {
    ObjectNode out = json.createObjectNode();
    out.put("type", "error");
    out.put("message", message);
    return write(out);
  }

  String self(String userId, UserRecord record) {
    return write(selfEntry(userId, record));
  }

  ObjectNode message(long id, String channelId, String userId, String text, long at) {
    ObjectNode out = json.createObjectNode();
    out.put("type", "message");
    out.put("id", id);
    out.put("channelId", channelId);
    out.put("userId", userId);
    out.put("text", text);
    out.put("at", at);
    return out;
  }

  /** The answer to {@code subscribe}: everything the page shows for the channel. */
  String snapshot(
      String channelId,
      PresenceSnapshot snapshot,
      Collection<ObjectNode> messages,
      String userId,
      String deviceId,
      UserRecord you,
      PresenceProperties settings) {
    ObjectNode out = json.createObjectNode();
    out.put("type", "snapshot");
    out.put("channelId", channelId);
    out.put("serverTime", System.currentTimeMillis());
    ObjectNode self = selfEntry(userId, you);
    self.remove("type");
    self.put("deviceId", deviceId);
    out.set("you", self);
    ArrayNode users = out.putArray("users");
    snapshot.users().forEach(p -> users.add(presenceEntry(p)));
    ArrayNode typing = out.putArray("typing");
    snapshot.typing().forEach(event -> typing.add(typingEntry(event)));
    ArrayNode history = out.putArray("messages");
    messages.forEach(history::add);
    ObjectNode timing = out.putObject("settings");
    long idleMs = settings.idle().toMillis();
    timing.put("idleMs", idleMs);
    timing.put("heartbeatMs", Math.min(15_000, settings.ttl().toMillis() / 3));
    timing.put("activityMs", Math.max(250, Math.min(10_000, idleMs / 4)));
    timing.put("graceMs", settings.grace().toMillis());
    timing.put("flushMs", settings.flush().toMillis());
    return write(out);
  }

  String write(JsonNode node) {
    return json.writeValueAsString(node);
  }

  private ObjectNode selfEntry(String userId, UserRecord record) {
    ObjectNode out = json.createObjectNode();
    out.put("type", "self");
    out.put("userId", userId);
    out.put("mode", record.mode().name().toLowerCase(Locale.ROOT));
    out.put("text", record.customText());
    return out;
  }

  private ObjectNode presenceEntry(UserPresence p) {
    ObjectNode out = json.createObjectNode();
    out.put("userId", p.userId());
    out.put("state", p.state().name().toLowerCase(Locale.ROOT));
    out.put("text", p.customText());
    if (p.lastSeenMillis() == UserPresence.NEVER_SEEN) {
      out.putNull("lastSeen");
    } else {
      out.put("lastSeen", p.lastSeenMillis());
    }
    out.put("version", p.version());
    return out;
  }

  private ObjectNode typingEntry(TypingEvent event) {
    ObjectNode out = json.createObjectNode();
    out.put("type", event.kind() == TypingEvent.Kind.STOPPED ? "typing-stopped" : "typing");
    out.put("channelId", event.channelId());
    out.put("userId", event.userId());
    if (event.expiresAt() != null) {
      out.put("expiresAt", event.expiresAt().toEpochMilli());
    }
    return out;
  }
}
