package dev.presence.benchmarks.support;

import java.util.Arrays;

/**
 * Checks of a benchmark's {@code @Param} values, made first thing in its trial set-up: a value the
 * benchmark does not know fails the trial with a message naming the parameter and what it accepts,
 * instead of silently measuring something else ({@code -p impl=flor} once ran the seed).
 */
public final class Params {
  private Params() {}

  /**
   * Returns {@code value} if it is one of {@code choices}.
   *
   * @throws IllegalArgumentException naming the parameter, the value and every accepted one
   */
  public static String oneOf(String name, String value, String... choices) {
    for (String choice : choices) {
      if (choice.equals(value)) {
        return value;
      }
    }
    throw new IllegalArgumentException(
        "unknown value of @Param " + name + ": '" + value + "'; accepted: " + Arrays.toString(choices));
  }

  /**
   * Returns {@code value} if it is at least {@code min}.
   *
   * @throws IllegalArgumentException naming the parameter, the value and the least accepted
   */
  public static int atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException("@Param " + name + " must be at least " + min + " but was " + value);
    }
    return value;
  }
}
