package dev.presence.redis.micrometer;

// Only so that module-info's "exports dev.presence.redis.micrometer" compiles on the eco-docs branch: javac refuses
// to export a package that holds no type. Delete this file when the Micrometer binder is merged.
final class MergePlaceholder {
  private MergePlaceholder() {}
}
