package dev.presence.redis.testing;

import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Resolves {@link RedisServer} and {@link RedisCluster} parameters for {@link RedisTest} classes.
 *
 * <p>Servers live in a JUnit extension store: the test class's store for {@link RedisTest.Scope#CLASS},
 * the root store for {@link RedisTest.Scope#JVM}. JUnit closes {@link AutoCloseable} store values when
 * their context ends, also after failures; {@link LiveServers} covers the JVM exiting early.
 */
public final class RedisExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(RedisExtension.class);

  /** Creates the extension; JUnit does this for {@link RedisTest} classes. */
  public RedisExtension() {}

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == RedisServer.class || type == RedisCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    ExtensionContext owner = scope(context) == RedisTest.Scope.JVM ? context.getRoot() : classContext(context);
    if (type == RedisServer.class) {
      return owner.getStore(NAMESPACE).computeIfAbsent(RedisServer.class, k -> RedisServer.start(), RedisServer.class);
    }
    return owner.getStore(NAMESPACE).computeIfAbsent(RedisCluster.class, k -> RedisCluster.start(), RedisCluster.class);
  }

  // ---- internals

  /** The scope of the nearest {@link RedisTest}, looking outwards from a {@code @Nested} class. */
  private static RedisTest.Scope scope(ExtensionContext context) {
    for (Optional<Class<?>> c = context.getTestClass(); c.isPresent(); c = c.map(Class::getEnclosingClass)) {
      Optional<RedisTest> annotation = AnnotationSupport.findAnnotation(c.get(), RedisTest.class);
      if (annotation.isPresent()) {
        return annotation.get().scope();
      }
    }
    return RedisTest.Scope.CLASS;
  }

  /** The context of the test class: a method's parent, or the context itself for class-level callbacks. */
  private static ExtensionContext classContext(ExtensionContext context) {
    ExtensionContext c = context;
    while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
      c = c.getParent().get();
    }
    return c;
  }
}
