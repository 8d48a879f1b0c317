package io.beamsuite.pipelines.launcher;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * The numbers a person wants after a run, summed over steps from the transforms' counters: records
 * in, parsed, duplicates dropped, late records, dead letters, rows written, and throughput.
 *
 * <pre>{@code
 * RunSummary summary = RunSummary.of(result, elapsedMillis, true);
 * summary.print(System.out, "clickstream", result.getState());
 * }</pre>
 */
public final class RunSummary {
  private static final String PARSE_JSON = "io.beamsuite.transforms.json.ParseJson";
  private static final String DEBEZIUM = "io.beamsuite.transforms.cdc.DebeziumJson";
  private static final String DEDUP = "io.beamsuite.transforms.dedup.Dedup";
  private static final String WINDOWED = "io.beamsuite.transforms.windowing.WindowedAggregate";
  private static final String SINK = "io.beamsuite.io.jdbc.JdbcUpsertSink";
  private static final String APPLY_CHANGES = "io.beamsuite.transforms.cdc.ApplyChanges";

  private final long recordsIn;
  private final long parsed;
  private final long duplicates;
  private final long late;
  private final long deadLetters;
  private final long rowsWritten;
  private final long elapsedMillis;

  private RunSummary(MetricQueryResults metrics, long elapsedMillis, boolean committed) {
    this.recordsIn =
        sum(metrics, PARSE_JSON, "records_in", committed)
            + sum(metrics, DEBEZIUM, "records_in", committed);
    this.parsed =
        sum(metrics, PARSE_JSON, "parsed", committed)
            + sum(metrics, DEBEZIUM, "changes", committed);
    this.duplicates =
        sum(metrics, DEDUP, "duplicates_dropped", committed)
            + sum(metrics, APPLY_CHANGES, "duplicate_changes", committed);
    this.late = sum(metrics, WINDOWED, "late_records", committed);
    this.deadLetters =
        sum(metrics, PARSE_JSON, "dead_letters", committed)
            + sum(metrics, DEBEZIUM, "dead_letters", committed)
            + sum(metrics, SINK, "failures", committed);
    this.rowsWritten = sum(metrics, SINK, "rows_written", committed);
    this.elapsedMillis = elapsedMillis;
  }

  /**
   * Reads the counters of {@code result}: committed values when {@code committed} and the runner
   * supports them, attempted ones otherwise.
   */
  public static RunSummary of(PipelineResult result, long elapsedMillis, boolean committed) {
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
    try {
      return new RunSummary(metrics, elapsedMillis, committed);
    } catch (UnsupportedOperationException e) {
      return new RunSummary(metrics, elapsedMillis, false);
    }
  }

  private static long sum(
      MetricQueryResults metrics, String namespace, String name, boolean committed) {
    long total = 0;
    for (MetricResult<Long> counter : metrics.getCounters()) {
      if (counter.getName().getNamespace().equals(namespace)
          && counter.getName().getName().equals(name)) {
        Long value = committed ? counter.getCommitted() : counter.getAttempted();
        total += value == null ? 0 : value;
      }
    }
    return total;
  }

  public long recordsIn() {
    return recordsIn;
  }

  public long parsed() {
    return parsed;
  }

  public long duplicates() {
    return duplicates;
  }

  public long late() {
    return late;
  }

  public long deadLetters() {
    return deadLetters;
  }

  public long rowsWritten() {
    return rowsWritten;
  }

  /** Input records per second of wall time. */
  public double recordsPerSecond() {
    return elapsedMillis == 0 ? 0 : recordsIn * 1000.0 / elapsedMillis;
  }

  /** One line for progress logs. */
  public String progressLine() {
    return String.format(
        Locale.ROOT,
        "in=%d parsed=%d duplicates=%d late=%d dead_letters=%d rows_written=%d (%.0f records/s)",
        recordsIn,
        parsed,
        duplicates,
        late,
        deadLetters,
        rowsWritten,
        recordsPerSecond());
  }

  /** The end-of-run table. */
  public void print(PrintStream out, String pipeline, PipelineResult.State state) {
    out.printf(
        Locale.ROOT, "%n%s finished: %s in %.1f s%n", pipeline, state, elapsedMillis / 1000.0);
    out.printf(
        Locale.ROOT,
        "  %-22s %,12d   (%,.0f records/s)%n",
        "records in",
        recordsIn,
        recordsPerSecond());
    out.printf(Locale.ROOT, "  %-22s %,12d%n", "parsed", parsed);
    out.printf(Locale.ROOT, "  %-22s %,12d%n", "duplicates dropped", duplicates);
    out.printf(
        Locale.ROOT, "  %-22s %,12d   (rows in late_records, per view)%n", "late records", late);
    out.printf(
        Locale.ROOT, "  %-22s %,12d   (rows in dead_letters)%n", "dead letters", deadLetters);
    out.printf(Locale.ROOT, "  %-22s %,12d   (upserts, all tables)%n", "rows written", rowsWritten);
  }
}
