package io.beamsuite.pipelines.wiring;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.JdbcUpsertSink;
import io.beamsuite.pipelines.model.Event;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.windowing.LateRecord;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes the records a view refused as late to the {@code late_records} table, one row per view,
 * event and missed window (keyed, so a replay rewrites the same rows). Returns the rows the table
 * refused, as dead letters.
 *
 * <pre>{@code
 * views.lateRecords().apply("LatePageViews",
 *     LateRecordSink.<Click>to(db, "page_views_per_minute"));
 * }</pre>
 */
public final class LateRecordSink<T extends Event>
    extends PTransform<PCollection<LateRecord<T>>, PCollection<DeadLetter>> {
  /** The table name. */
  public static final String TABLE = "late_records";

  private final JdbcConnectionSpec database;
  private final String view;

  private LateRecordSink(JdbcConnectionSpec database, String view) {
    this.database = database;
    this.view = view;
  }

  /** Late records of {@code view} (the result table's name). */
  public static <T extends Event> LateRecordSink<T> to(JdbcConnectionSpec database, String view) {
    return new LateRecordSink<>(database, view);
  }

  @Override
  public PCollection<DeadLetter> expand(PCollection<LateRecord<T>> input) {
    String viewName = view;
    return input
        .apply(
            "WriteLateRecords",
            JdbcUpsertSink.<LateRecord<T>>to(database, TABLE)
                .withColumn("view", "text", r -> viewName)
                .withColumn("event_id", "text", r -> r.value().eventId())
                .withColumn("window_start", "timestamptz", LateRecord::windowStart)
                .withColumn("window_end", "timestamptz", LateRecord::windowEnd)
                .withColumn("event_time", "timestamptz", LateRecord::eventTime)
                .withColumn("watermark", "timestamptz", LateRecord::watermark)
                .withColumn("reason", "text", LateRecord::reason)
                .withColumn("record", "text", r -> String.valueOf(r.value()))
                .withKey("view", "event_id", "window_start")
                .withStage("late-records-" + view))
        .failures();
  }
}
