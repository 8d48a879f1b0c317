package io.beamsuite.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * The aggregation as a single-threaded plain Java loop over the same payloads: parse (same reader
 * as {@link StrictParser}), drop repeated event ids (a {@code HashMap} of id to event time kept for
 * the whole run; the benchmarks check that the totals equal the other sides'), and sum per key and
 * tumbling window into a {@code HashMap}; results go to {@link ResultSink}.
 */
final class PlainJavaSide {
  private PlainJavaSide() {}

  /** Runs over every installed record; returns the number of records read. */
  static long run(View view) {
    StrictParser parser = new StrictParser(view.type);
    Map<String, Long> seen = new HashMap<>();
    Map<String, long[]> sums = new HashMap<>();
    int n = BenchEvents.size();
    for (int i = 0; i < n; i++) {
      Object event = parser.parse(BenchEvents.payload(i));
      if (event == null || seen.putIfAbsent(view.eventId(event), BenchEvents.eventTime(i)) != null) {
        continue;
      }
      String window = view.key(event) + '|' + view.windowStart(BenchEvents.eventTime(i));
      sums.computeIfAbsent(window, w -> new long[1])[0] += view.value(event);
    }
    for (Map.Entry<String, long[]> e : sums.entrySet()) {
      String w = e.getKey();
      int bar = w.lastIndexOf('|');
      ResultSink.record(w.substring(0, bar), Long.parseLong(w.substring(bar + 1)), e.getValue()[0]);
    }
    return n;
  }
}
