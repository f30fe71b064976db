package dev.presence.redis;

import dev.presence.Platform;
import dev.presence.PresenceState;
import dev.presence.StatusMode;
import dev.presence.UserPresence;
import dev.presence.spi.DeviceActivity;
import dev.presence.spi.DeviceRecord;
import dev.presence.spi.UserRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the hash {@code u:{U}} (layout in {@code record.lua}) into a {@link UserRecord} and back. The
 * hash keeps a sequence number per device, because Redis's hashtable encoding does not keep insertion
 * order and the devices' order is part of the record. Stateless.
 */
final class RecordCodec {
  private RecordCodec() {}

  /** A hash as read: its fields and the devices' sequence numbers. */
  record Stored(UserRecord record, long revision, long lastSeq, Map<String, Long> seqByDevice) {}

  /** Decodes a flat {@code HGETALL} reply (field, value, field, value...). */
  static Stored decode(String userId, List<?> flat, long versionBase) {
    Map<String, String> hash = new HashMap<>(flat.size());
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      hash.put((String) flat.get(i), (String) flat.get(i + 1));
    }
    return decode(userId, hash, versionBase);
  }

  /** Decodes a hash; an empty one is the record of a user never recorded. */
  static Stored decode(String userId, Map<String, String> hash, long versionBase) {
    if (hash.isEmpty()) {
      return new Stored(UserRecord.empty(userId, versionBase), 0, 0, Map.of());
    }
    record Seq(long seq, DeviceRecord device) {}
    List<Seq> devices = new ArrayList<>();
    for (Map.Entry<String, String> field : hash.entrySet()) {
      if (field.getKey().startsWith("d:")) {
        String[] parts = field.getValue().split("\\|", 5);
        devices.add(
            new Seq(
                Long.parseLong(parts[0]),
                new DeviceRecord(
                    field.getKey().substring(2),
                    parts[4],
                    parts[1].equals("A") ? DeviceActivity.ACTIVE : DeviceActivity.IDLE,
                    Platform.valueOf(parts[2]),
                    Long.parseLong(parts[3]))));
      }
    }
    devices.sort((a, b) -> Long.compare(a.seq, b.seq));
    Map<String, Long> seqs = new HashMap<>();
    List<DeviceRecord> ordered = new ArrayList<>(devices.size());
    for (Seq s : devices) {
      ordered.add(s.device);
      seqs.put(s.device.deviceId(), s.seq);
    }
    String lastSeen = hash.get("ls");
    UserPresence presence =
        new UserPresence(
            userId,
            PresenceState.valueOf(hash.get("st")),
            hash.get("tx"),
            lastSeen == null ? UserPresence.NEVER_SEEN : Long.parseLong(lastSeen),
            Long.parseLong(hash.get("v")));
    UserRecord record =
        new UserRecord(
            userId,
            ordered,
            StatusMode.valueOf(hash.get("m")),
            hash.get("ct"),
            Long.parseLong(hash.get("ex")),
            Long.parseLong(hash.get("sa")),
            PresenceState.valueOf(hash.get("ss")),
            presence,
            Long.parseLong(hash.get("ll")));
    return new Stored(record, Long.parseLong(hash.get("r")), Long.parseLong(hash.get("sq")), seqs);
  }

  /**
   * Encodes {@code record} as the fields of a whole hash that replaces {@code stored} (for the CAS
   * script): devices already stored keep their sequence number, new ones get the next ones.
   */
  static List<String> encode(UserRecord record, Stored stored) {
    List<String> fields = new ArrayList<>(32);
    long seq = stored.lastSeq();
    List<String> devices = new ArrayList<>();
    for (DeviceRecord device : record.devices()) {
      Long known = stored.seqByDevice().get(device.deviceId());
      long deviceSeq = known != null ? known : ++seq;
      devices.add("d:" + device.deviceId());
      devices.add(packDevice(deviceSeq, device));
    }
    add(fields, "v", record.version());
    add(fields, "r", stored.revision() + 1);
    fields.add("st");
    fields.add(record.presence().state().name());
    if (record.presence().customText() != null) {
      fields.add("tx");
      fields.add(record.presence().customText());
    }
    if (record.presence().lastSeenMillis() != UserPresence.NEVER_SEEN) {
      add(fields, "ls", record.presence().lastSeenMillis());
    }
    fields.add("ss");
    fields.add(record.selfState().name());
    fields.add("m");
    fields.add(record.mode().name());
    if (record.customText() != null) {
      fields.add("ct");
      fields.add(record.customText());
    }
    add(fields, "ex", record.statusExpiresAtMillis());
    add(fields, "sa", record.statusSetAtMillis());
    add(fields, "ll", record.lastLeftMillis());
    add(fields, "sq", seq);
    fields.addAll(devices);
    return fields;
  }

  /** The activity letter a device is stored with. */
  static String activity(DeviceActivity activity) {
    return activity == DeviceActivity.ACTIVE ? "A" : "I";
  }

  private static String packDevice(long seq, DeviceRecord device) {
    return seq + "|" + activity(device.activity()) + "|" + device.platform().name() + "|" + device.sinceMillis()
        + "|" + device.nodeId();
  }

  private static void add(List<String> fields, String name, long value) {
    fields.add(name);
    fields.add(Long.toString(value));
  }
}
