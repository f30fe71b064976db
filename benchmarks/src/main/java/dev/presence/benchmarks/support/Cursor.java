package dev.presence.benchmarks.support;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * A per-thread pseudo-random index source (xorshift64*), so every benchmark picks its next device
 * the same cheap way (a few cycles, no allocation, no shared state) and touches a random one of the
 * N entries, as a real server's traffic would.
 */
@State(Scope.Thread)
public class Cursor {
  private long x = 0x9E3779B97F4A7C15L ^ Thread.currentThread().getId();

  /** A pseudo-random int in [0, bound). */
  public int next(int bound) {
    x ^= x >>> 12;
    x ^= x << 25;
    x ^= x >>> 27;
    long r = (x * 0x2545F4914F6CDD1DL) >>> 32;
    return (int) ((r * bound) >>> 32);
  }
}
