package dev.presence.examples.chat;

/**
 * The demo's rule for user names, the same as the page's form: 1 to {@value #MAX_CHARS} ASCII
 * letters, digits, dots, underscores or dashes. It keeps out names that only look alike ({@code
 * bob\u200b}, a right-to-left override, Cyrillic letters that look Latin). Stateless and
 * thread-safe.
 */
public final class UserNames {
  /** The longest name, in characters. */
  public static final int MAX_CHARS = 40;

  private UserNames() {}

  /**
   * Returns null if {@code name} is a valid user name, or else why not, in one line naming the first
   * offending character by its code point.
   */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "a name is missing";
    }
    if (name.length() > MAX_CHARS) {
      return "a name has at most " + MAX_CHARS + " characters but this one has " + name.length();
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!allowed(c)) {
        return "a name may contain only ASCII letters, digits, '.', '_' and '-', but has U+"
            + String.format("%04X", (int) c)
            + " at index "
            + i;
      }
    }
    return null;
  }

  private static boolean allowed(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == '-';
  }
}
