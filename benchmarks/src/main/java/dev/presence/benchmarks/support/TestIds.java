package dev.presence.benchmarks.support;

/**
 * User and device ids as an application would hold them. Ids are owned by the application and are
 * created before anything is measured; lookups use separate copies with equal contents, as ids
 * parsed from a network message would be, so an id lookup pays for a real {@code equals}.
 */
public final class TestIds {
  private TestIds() {}

  /** {@code user-0000000}, {@code user-0000001}, ...: 12 characters. */
  public static String[] users(int n) {
    String[] ids = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = user(i);
    }
    return ids;
  }

  /** The id of user {@code i}. */
  public static String user(int i) {
    StringBuilder s = new StringBuilder("user-");
    String digits = Integer.toString(i);
    for (int pad = digits.length(); pad < 7; pad++) {
      s.append('0');
    }
    return s.append(digits).toString();
  }

  /** The index of a user id made by {@link #user}, without allocating. */
  public static int indexOf(String userId) {
    int value = 0;
    for (int i = 5; i < userId.length(); i++) {
      value = value * 10 + (userId.charAt(i) - '0');
    }
    return value;
  }

  /** Copies with equal contents and distinct identity (and distinct character arrays). */
  public static String[] copies(String[] ids) {
    String[] copies = new String[ids.length];
    for (int i = 0; i < ids.length; i++) {
      copies[i] = new String(ids[i].toCharArray());
    }
    return copies;
  }

  /** Device ids for users with {@code perUser} devices: phone, laptop, tablet, ... */
  public static String device(int j) {
    return switch (j) {
      case 0 -> "phone";
      case 1 -> "laptop";
      default -> "device-" + j;
    };
  }
}
