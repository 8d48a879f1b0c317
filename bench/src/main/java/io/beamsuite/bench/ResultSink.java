package io.beamsuite.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counting sink every side of a windowed-aggregation comparison writes into (instead of
 * PostgreSQL, so the framework is what is measured): the latest value per key and window, and the
 * number of outputs. Values only grow (accumulating panes of sums of non-negative amounts and
 * counts), so the maximum per window is its final value; {@link #total()} and {@link #windows()}
 * let a benchmark check that every side computed the same result.
 */
public final class ResultSink {
  private static final ConcurrentHashMap<String, Long> WINDOWS = new ConcurrentHashMap<>();
  private static final AtomicLong OUTPUTS = new AtomicLong();

  private ResultSink() {}

  public static void reset() {
    WINDOWS.clear();
    OUTPUTS.set(0);
  }

  public static void record(String key, long windowStartMillis, long value) {
    OUTPUTS.incrementAndGet();
    WINDOWS.merge(key + '|' + windowStartMillis, value, Math::max);
  }

  /** Distinct (key, window) pairs written. */
  public static int windows() {
    return WINDOWS.size();
  }

  /** The sum of every window's final value. */
  public static long total() {
    return WINDOWS.values().stream().mapToLong(Long::longValue).sum();
  }

  public static long outputs() {
    return OUTPUTS.get();
  }
}
