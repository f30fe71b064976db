package dev.presence.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One Lua script from this package's resources, run by EVALSHA and sent whole (EVAL) only when the
 * server answers NOSCRIPT (a restarted or flushed server, or a new cluster master). Thread-safe and
 * immutable.
 */
final class LuaScript {
  private final String name;
  private final String source;
  private final String sha;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  /**
   * Loads {@code names} from this package's resources and joins them, in order, into one script.
   *
   * @throws UncheckedIOException if a resource is missing
   */
  static LuaScript load(String... names) {
    StringBuilder source = new StringBuilder();
    for (String name : names) {
      try (InputStream in = LuaScript.class.getResourceAsStream(name)) {
        if (in == null) {
          throw new UncheckedIOException(new IOException("missing script resource " + name));
        }
        source.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new LuaScript(names[names.length - 1], source.toString());
  }

  /** The script's SHA-1, as SCRIPT LOAD would answer it. */
  String sha() {
    return sha;
  }

  /**
   * Runs the script on the server of {@code keys[0]}'s slot; the stage completes on a Lettuce I/O
   * thread with the script's reply (lists, strings and longs).
   */
  <T> CompletionStage<T> run(RedisClusterAsyncCommands<String, String> redis, String[] keys, String... args) {
    CompletableFuture<T> bySha = redis.<T>evalsha(sha, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
    return bySha.exceptionallyCompose(
        failure -> {
          Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
          if (cause instanceof RedisNoScriptException) {
            return redis.<T>eval(source, ScriptOutputType.MULTI, keys, args);
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  @Override
  public String toString() {
    return "LuaScript[" + name + ", " + sha + "]";
  }

  private static String sha1(String source) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }
}
