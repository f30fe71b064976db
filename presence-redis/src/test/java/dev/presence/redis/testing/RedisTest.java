package dev.presence.redis.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class real Redis servers: declare a {@link RedisServer} (standalone) or {@link
 * RedisCluster} (3 masters) parameter on a test, lifecycle method or constructor.
 *
 * <pre>{@code
 * @RedisTest
 * class SomethingTest {
 *   @Test
 *   void works(RedisServer redis) {
 *     RedisClient client = RedisClient.create(redis.uri());
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>Every parameter of one type in one class gets the same server, started on first use. With
 * {@link Scope#CLASS} (the default) it is stopped when the class ends, so the class may kill,
 * restart, flush or migrate at will. With {@link Scope#JVM} it is shared with every other {@code
 * JVM}-scoped class and stopped when the test run ends; such classes must leave the servers running
 * and unflushed. Either way, tests isolate themselves by key prefix, never by flushing a shared server.
 */
@Documented
@Inherited
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RedisExtension.class)
public @interface RedisTest {
  /**
   * How long the servers live and who shares them.
   *
   * @return {@link Scope#CLASS} unless the class leaves its servers as it found them
   */
  Scope scope() default Scope.CLASS;

  /** Lifetimes of test servers. */
  enum Scope {
    /** Started for this class alone, stopped when it ends; the class may disrupt them. */
    CLASS,
    /** Shared by every JVM-scoped class, stopped at the end of the run; must not be disrupted. */
    JVM
  }
}
