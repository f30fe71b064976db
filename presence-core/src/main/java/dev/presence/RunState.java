package dev.presence;

/** Whether the engine is closed, shared by the engine's parts; set once by {@link PresenceEngine#close()}. */
final class RunState {
  volatile boolean closed;

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this presence engine is closed");
    }
  }
}
