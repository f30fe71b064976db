package dev.presence.examples.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Real headless Chromium for the browser tests, from the system's own binaries: nothing is
 * downloaded (no Selenium Manager). Without Chromium the tests are skipped, unless {@code
 * -Dpresence.browser=required}, which turns a missing browser into a failure.
 */
public final class Browsers {
  /** The system property that makes the browser tests mandatory when set to {@code required}. */
  public static final String REQUIRED = "presence.browser";

  private static final Path CHROMIUM = Path.of(System.getProperty("presence.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("presence.chromedriver", "/usr/bin/chromedriver"));
  /** Where screenshots go: presence-examples/javalin/target/screenshots. */
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private Browsers() {}

  /**
   * Skips the calling test (class) when Chromium or chromedriver is missing, or fails it when the
   * browser is required.
   */
  public static void assumeAvailable() {
    List<String> missing = new ArrayList<>();
    if (!Files.isExecutable(CHROMIUM)) {
      missing.add(CHROMIUM.toString());
    }
    if (!Files.isExecutable(CHROMEDRIVER)) {
      missing.add(CHROMEDRIVER.toString());
    }
    if (missing.isEmpty()) {
      return;
    }
    String message =
        "the browser tests need Chromium and chromedriver, but "
            + String.join(" and ", missing)
            + (missing.size() == 1 ? " is" : " are")
            + " missing; install them with: apt-get install -y chromium chromium-driver";
    if ("required".equals(System.getProperty(REQUIRED))) {
      fail(message + " (-D" + REQUIRED + "=required makes this a failure)");
    }
    String skipped = message + " (skipped; -D" + REQUIRED + "=required makes this a failure)";
    System.err.println("[presence-examples] " + skipped); // a skip reason surefire would not print
    Assumptions.abort(skipped);
  }

  /** One browser session: its own Chromium process and its own fresh profile. */
  public static final class Session implements AutoCloseable {
    private final Path profile;
    private final ChromeDriverService service;
    /** The driver. */
    public final ChromeDriver driver;

    Session(Path profile, ChromeDriverService service, ChromeDriver driver) {
      this.profile = profile;
      this.service = service;
      this.driver = driver;
    }

    /** Saves a PNG of the current window to target/screenshots/{name}.png. */
    public Path screenshot(String name) {
      try {
        Files.createDirectories(SCREENSHOTS);
        File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path target = SCREENSHOTS.resolve(name + ".png");
        Files.copy(png.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(png.toPath());
        return target;
      } catch (IOException e) {
        throw new IllegalStateException("cannot save screenshot " + name, e);
      }
    }

    /**
     * Makes the page's viewport exactly {@code width} by {@code height} CSS pixels (DevTools device
     * metrics), as a window of that size would have; the page lays itself out again.
     */
    public void viewport(int width, int height) {
      driver.executeCdpCommand(
          "Emulation.setDeviceMetricsOverride",
          Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
    }

    /**
     * Saves a PNG of the whole page, not only the viewport, to target/screenshots/{name}.png (DevTools
     * {@code Page.captureScreenshot} beyond the viewport).
     */
    public Path fullPageScreenshot(String name) {
      Object width = js(driver, "return document.documentElement.scrollWidth");
      Object height = js(driver, "return document.documentElement.scrollHeight");
      Map<String, Object> shot =
          driver.executeCdpCommand(
              "Page.captureScreenshot",
              Map.of(
                  "format", "png",
                  "captureBeyondViewport", true,
                  "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
      try {
        Files.createDirectories(SCREENSHOTS);
        Path target = SCREENSHOTS.resolve(name + ".png");
        Files.write(target, Base64.getDecoder().decode((String) shot.get("data")));
        return target;
      } catch (IOException e) {
        throw new IllegalStateException("cannot save screenshot " + name, e);
      }
    }

    /** The browser console's messages since the last call (errors such as a 404 included). */
    public List<String> consoleMessages() {
      List<String> messages = new ArrayList<>();
      for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
        messages.add(entry.getLevel() + " " + entry.getMessage());
      }
      return messages;
    }

    @Override
    public void close() {
      try {
        driver.quit();
      } finally {
        service.stop();
        deleteTree(profile);
      }
    }
  }

  /** Starts headless Chromium with a fresh profile in a temporary directory. */
  public static Session start() {
    Path profile;
    try {
      profile = Files.createTempDirectory("presence-chromium-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a profile directory", e);
    }
    Path log = Path.of("target", "chromedriver.log");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(log.toFile())
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toString());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1180,760",
        "--user-data-dir=" + profile.toAbsolutePath());
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
      driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
      return new Session(profile, service, driver);
    } catch (RuntimeException e) {
      service.stop();
      deleteTree(profile);
      throw e;
    }
  }

  /** Runs a script in the page and returns its result. */
  public static Object js(WebDriver driver, String script, Object... args) {
    return ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(script, args);
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the OS cleans it up eventually
    }
  }
}
