package io.beamsuite.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The headline work as a single-threaded plain Java loop: for each view, read the topic's
 * JSON-lines files, parse each line ({@link StrictParser}: what {@code ParseJson} accepts), drop
 * repeated event ids (a {@code HashSet} of every id, kept for the whole run: a bounded input needs
 * no retention), sum per key and tumbling event-time window in a {@code HashMap}, then write the
 * rows with {@link ViewRowsWriter} (the same upserts into the same tables as {@code lambda-batch}).
 */
final class PlainJavaSide {
  private PlainJavaSide() {}

  /** Runs both views over the master dataset {@code events}; returns the number of lines read. */
  static long run(Path events, String jdbcUrl) throws Exception {
    ViewRowsWriter.createTables(jdbcUrl);
    long lines = 0;
    for (View view : View.values()) {
      lines += run(view, events, jdbcUrl);
    }
    return lines;
  }

  private static long run(View view, Path events, String jdbcUrl) throws Exception {
    StrictParser parser = new StrictParser(view.type);
    Set<String> seen = new HashSet<>();
    Map<String, Map<Long, long[]>> sums = new HashMap<>();
    long[] lines = {0};
    for (Path file : HeadlineWorkload.files(events, view.topic)) {
      HeadlineWorkload.forEachLine(
          file,
          payload -> {
            lines[0]++;
            Object event = parser.parse(payload);
            if (event == null || !seen.add(view.eventId(event))) {
              return;
            }
            long windowStart = view.windowStart(view.eventTimeMillis(event));
            sums.computeIfAbsent(view.key(event), k -> new HashMap<>())
                    .computeIfAbsent(windowStart, w -> new long[1])[0] +=
                view.value(event);
          });
    }
    try (ViewRowsWriter rows = new ViewRowsWriter(jdbcUrl, view)) {
      for (Map.Entry<String, Map<Long, long[]>> key : sums.entrySet()) {
        for (Map.Entry<Long, long[]> window : key.getValue().entrySet()) {
          rows.write(key.getKey(), window.getKey(), window.getValue()[0]);
        }
      }
    }
    return lines[0];
  }
}
