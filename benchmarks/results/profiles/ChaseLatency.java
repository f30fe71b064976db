import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.util.SplittableRandom;

/**
 * Dependent-load latency of this machine: a pointer chase through a random cycle of cache lines
 * (one int per 64 B line, Sattolo's algorithm), so each load's address comes from the previous load.
 * Sizes from L2-resident to far past the TLB's reach; run once with and once without
 * -XX:+UseTransparentHugePages. Waits for /tmp/jmh.lock like JMH.
 * Usage: java -Xms3g -Xmx3g ChaseLatency.java [MB...]
 */
public class ChaseLatency {
  public static void main(String[] args) throws Exception {
    int[] sizesMb = args.length > 0 ? java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray() : new int[] {1, 8, 64, 512, 2048};
    try (FileChannel ch = new RandomAccessFile("/tmp/jmh.lock", "rw").getChannel(); FileLock lock = ch.lock()) {
      for (int mb : sizesMb) {
        int lines = (int) ((long) mb * 1024 * 1024 / 64);
        int[] a = new int[lines * 16];
        int[] order = new int[lines];
        for (int i = 0; i < lines; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(42);
        for (int i = lines - 1; i > 0; i--) { int j = r.nextInt(i); int t = order[i]; order[i] = order[j]; order[j] = t; }
        for (int i = 0; i < lines; i++) a[order[i] * 16] = order[(i + 1) % lines] * 16;
        order = null;
        long steps = 20_000_000L;
        int p = 0;
        for (int w = 0; w < 2; w++) { for (long s = 0; s < steps / 4; s++) p = a[p]; }
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 5; rep++) {
          long t0 = System.nanoTime();
          for (long s = 0; s < steps; s++) p = a[p];
          long t1 = System.nanoTime();
          best = Math.min(best, (t1 - t0) / (double) steps);
        }
        System.out.printf("%6d MB: %6.1f ns per dependent load (best of 5 x %d) [%d]%n", mb, best, steps, p & 1);
      }
    }
  }
}
