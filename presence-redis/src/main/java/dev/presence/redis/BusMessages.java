package dev.presence.redis;

import dev.presence.PresenceChange;
import dev.presence.PresenceState;
import dev.presence.TypingEvent;
import dev.presence.UserPresence;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The text of bus messages: length-prefixed fields ({@code <UTF-8 byte length>:<value>}, {@code -} for
 * null), so any id or status text survives; byte lengths, because the store's Lua script writes the
 * same messages and Lua counts bytes. The first field is the kind ({@code P} presence, {@code T}
 * typing), the second the origin node, so a node drops its own messages. Times are epoch
 * milliseconds. Stateless.
 */
final class BusMessages {
  private BusMessages() {}

  /** A decoded message: the origin node and a change or a typing event. */
  record Message(String origin, PresenceChange change, TypingEvent typing) {}

  static String presence(String origin, PresenceChange change) {
    StringBuilder out = new StringBuilder(128);
    field(out, "P");
    field(out, origin);
    presence(out, change.previous());
    presence(out, change.current());
    return out.toString();
  }

  static String typing(String origin, TypingEvent event) {
    StringBuilder out = new StringBuilder(96);
    field(out, "T");
    field(out, origin);
    field(out, event.channelId());
    field(out, event.userId());
    field(out, event.kind().name());
    field(out, event.expiresAt() == null ? null : Long.toString(event.expiresAt().toEpochMilli()));
    return out.toString();
  }

  /**
   * Decodes a message.
   *
   * @throws IllegalArgumentException if it is not one this class wrote
   */
  static Message decode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    List<String> fields = new ArrayList<>(12);
    int i = 0;
    while (i < bytes.length) {
      if (bytes[i] == '-') {
        fields.add(null);
        i++;
        continue;
      }
      int length = 0;
      for (; i < bytes.length && bytes[i] != ':'; i++) {
        if (bytes[i] < '0' || bytes[i] > '9') {
          throw new IllegalArgumentException("not a bus message");
        }
        length = length * 10 + (bytes[i] - '0');
      }
      if (i >= bytes.length || i + 1 + length > bytes.length) {
        throw new IllegalArgumentException("not a bus message");
      }
      fields.add(new String(bytes, i + 1, length, StandardCharsets.UTF_8));
      i = i + 1 + length;
    }
    if (fields.size() < 2) {
      throw new IllegalArgumentException("not a bus message");
    }
    String origin = fields.get(1);
    if ("P".equals(fields.get(0))) {
      return new Message(origin, new PresenceChange(presence(fields, 2), presence(fields, 7)), null);
    }
    if ("T".equals(fields.get(0))) {
      String expires = fields.get(5);
      return new Message(
          origin,
          null,
          new TypingEvent(
              fields.get(2),
              fields.get(3),
              TypingEvent.Kind.valueOf(fields.get(4)),
              expires == null ? null : Instant.ofEpochMilli(Long.parseLong(expires))));
    }
    throw new IllegalArgumentException("unknown bus message kind " + fields.get(0));
  }

  private static void presence(StringBuilder out, UserPresence presence) {
    field(out, presence.userId());
    field(out, presence.state().name());
    field(out, presence.customText());
    field(out, presence.lastSeenMillis() == UserPresence.NEVER_SEEN ? null : Long.toString(presence.lastSeenMillis()));
    field(out, Long.toString(presence.version()));
  }

  private static UserPresence presence(List<String> fields, int from) {
    String lastSeen = fields.get(from + 3);
    return new UserPresence(
        fields.get(from),
        PresenceState.valueOf(fields.get(from + 1)),
        fields.get(from + 2),
        lastSeen == null ? UserPresence.NEVER_SEEN : Long.parseLong(lastSeen),
        Long.parseLong(fields.get(from + 4)));
  }

  private static int utf8Length(String value) {
    return value.getBytes(StandardCharsets.UTF_8).length; // as Lettuce sends it, so as Lua would count it
  }

  private static void field(StringBuilder out, String value) {
    if (value == null) {
      out.append('-');
    } else {
      out.append(utf8Length(value)).append(':').append(value);
    }
  }
}
