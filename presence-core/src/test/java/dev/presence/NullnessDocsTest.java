package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API's javadoc and its JSpecify annotations agree: a parameter, record component or return
 * value whose javadoc says it may be null is {@code @Nullable}, and a {@code @Nullable} one says so in
 * its javadoc. Reads the sources of the public types in {@code src/main/java}, since javadoc is not in
 * the class files.
 */
class NullnessDocsTest {
  private static final Path SOURCES =
      Path.of(System.getProperty("basedir", "."), "src", "main", "java", "dev", "presence");
  private static final Pattern JAVADOC_THEN_DECLARATION =
      Pattern.compile("/\\*\\*(.*?)\\*/\\s*([^;{]*)[;{]", Pattern.DOTALL);
  /** A block tag's text runs to the next block tag; an inline tag such as {@code {@code null}} does not end it. */
  private static final String TO_NEXT_TAG = "(.*?)(?=(?<!\\{)@\\w+\\s|$)";
  private static final Pattern PARAM = Pattern.compile("@param\\s+(\\w+)\\s+" + TO_NEXT_TAG, Pattern.DOTALL);
  private static final Pattern RETURN = Pattern.compile("@return\\s+" + TO_NEXT_TAG, Pattern.DOTALL);
  /** An annotation other than @Nullable, with its arguments: it would only confuse the parsing. */
  private static final Pattern OTHER_ANNOTATION = Pattern.compile("@(?!Nullable\\b)[\\w.]+(\\([^)]*\\))?");

  @Test
  void everyParameterAndReturnValueTheJavadocCallsNullableIsAnnotatedAndNoOther() {
    List<String> disagreements = new ArrayList<>();
    int checked = 0;
    for (Path file : publicApiSources()) {
      String source = read(file);
      Matcher m = JAVADOC_THEN_DECLARATION.matcher(source);
      while (m.find()) {
        String doc = m.group(1).replaceAll("(?m)^\\s*\\*", " ");
        String declaration = OTHER_ANNOTATION.matcher(m.group(2)).replaceAll(" ").trim();
        int open = declaration.indexOf('(');
        if (open < 0) {
          continue; // a type, field or enum constant: nothing to compare
        }
        String where = file.getFileName() + ": " + declaration.substring(0, open).trim();
        List<String> params = parameters(declaration.substring(open + 1));
        Matcher p = PARAM.matcher(doc);
        while (p.find()) {
          String declared = params.stream().filter(d -> nameOf(d).equals(p.group(1))).findFirst().orElse(null);
          if (declared == null) {
            continue; // a @param of a compact constructor's record, checked at the record
          }
          checked++;
          if (saysNull(p.group(2)) != declared.contains("@Nullable")) {
            disagreements.add(where + " parameter " + p.group(1) + ": javadoc \"" + squeeze(p.group(2)) + "\", declared \"" + declared + "\"");
          }
        }
        Matcher r = RETURN.matcher(doc);
        if (r.find()) {
          checked++;
          String beforeName = declaration.substring(0, open);
          boolean annotated = beforeName.replaceAll("<[^>]*>", "").contains("@Nullable");
          if (saysNull(r.group(1)) != annotated) {
            disagreements.add(where + " return: javadoc \"" + squeeze(r.group(1)) + "\", declared \"" + beforeName.trim() + "\"");
          }
        }
      }
    }
    assertThat(checked).as("parameters and return values checked").isGreaterThan(200);
    assertThat(disagreements).isEmpty();
  }

  @Test
  void theCheckSeesANullableParameterThatItsJavadocDoesNotMention() {
    String declaration = "void f(@Nullable String a, String b)";
    List<String> params = parameters(declaration.substring(declaration.indexOf('(') + 1));
    assertThat(params).containsExactly("@Nullable String a", "String b");
    assertThat(saysNull("the text, or null")).isTrue();
    assertThat(saysNull("the change; never null")).isFalse();
    assertThat(saysNull("the text, or {@code null} if none")).isTrue();
    assertThat(saysNull("the text")).isFalse();
    Matcher p = PARAM.matcher(" @param a its text, or {@code null} if none\n @return the b ");
    assertThat(p.find()).isTrue();
    assertThat(saysNull(p.group(2))).isTrue();
  }

  private static boolean saysNull(String text) {
    String t = text.replaceAll("never null|not null|non-null", "");
    return t.matches("(?s).*\\bnull\\b.*");
  }

  /** The parameters between the opening parenthesis (excluded) and its closing one. */
  private static List<String> parameters(String afterOpen) {
    List<String> params = new ArrayList<>();
    int depth = 0;
    StringBuilder current = new StringBuilder();
    for (char c : afterOpen.toCharArray()) {
      if (c == ')' && depth == 0) {
        break;
      }
      if (c == '<' || c == '(') {
        depth++;
      } else if (c == '>' || c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        params.add(squeeze(current.toString()));
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    if (!current.toString().isBlank()) {
      params.add(squeeze(current.toString()));
    }
    return params;
  }

  private static String nameOf(String parameter) {
    String[] words = parameter.split("\\s+");
    return words[words.length - 1];
  }

  private static String squeeze(String s) {
    return s.replaceAll("\\s+", " ").trim();
  }

  private static List<Path> publicApiSources() {
    try (Stream<Path> files = Files.walk(SOURCES)) {
      List<Path> api =
          files
              .filter(f -> f.toString().endsWith(".java") && !f.endsWith("package-info.java"))
              .filter(f -> read(f).contains("\npublic "))
              .sorted()
              .toList();
      assertThat(api).as("public API sources under " + SOURCES.toAbsolutePath()).hasSizeGreaterThan(30);
      return api;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
