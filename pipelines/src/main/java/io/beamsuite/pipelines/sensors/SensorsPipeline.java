package io.beamsuite.pipelines.sensors;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.JdbcUpsertSink;
import io.beamsuite.pipelines.model.SensorReading;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.wiring.DeadLetterOutput;
import io.beamsuite.pipelines.wiring.EventSource;
import io.beamsuite.pipelines.wiring.LateRecordSink;
import io.beamsuite.pipelines.wiring.UniqueEvents;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.windowing.WindowSpec;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * {@code sensors}: unique sensor readings → per {@code (sensor_id, metric)} count, mean and
 * population standard deviation over sliding windows ({@code --windowMinutes} every {@code
 * --periodMinutes}, accumulating, allowed lateness from the options) → each window scored against
 * the window one period earlier (docs/pipelines.md) → upserted into {@code sensor_anomalies} keyed
 * by {@code (sensor_id, metric, window_start)}, so late data that changes a score rewrites its row.
 * Malformed readings go to the dead letters, late ones to {@code late_records}.
 *
 * <p>The series key is the pair {@code (sensor_id, metric)} rather than the joined string {@link
 * SensorReading#seriesKey()}: ids may contain its {@code /} separator, which would merge distinct
 * series and make the key impossible to split back into the two columns.
 *
 * <pre>{@code
 * Pipeline p = Pipeline.create(options);
 * SensorsPipeline.build(p, options.as(SensorsOptions.class));
 * p.run().waitUntilFinish();
 * }</pre>
 */
public final class SensorsPipeline {
  public static final String SENSOR_ANOMALIES = "sensor_anomalies";

  private static final Coder<KV<String, String>> SERIES_CODER =
      KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());

  private SensorsPipeline() {}

  /**
   * Throws {@link IllegalArgumentException} naming the first bad option; returns the parsed
   * settings.
   */
  public static PipelineSettings validate(SensorsOptions options) {
    PipelineSettings settings = OptionsValidation.validate(options);
    OptionsValidation.requireNonBlank("--readingsTopic", options.getReadingsTopic());
    OptionsValidation.requireAtLeast("--windowMinutes", options.getWindowMinutes(), 1);
    OptionsValidation.requireAtLeast("--periodMinutes", options.getPeriodMinutes(), 1);
    if (options.getWindowMinutes() % options.getPeriodMinutes() != 0) {
      throw new IllegalArgumentException(
          "--periodMinutes: must divide --windowMinutes ("
              + options.getWindowMinutes()
              + "), got "
              + options.getPeriodMinutes());
    }
    double z = options.getzThreshold();
    if (!(z > 0) || Double.isInfinite(z)) {
      throw new IllegalArgumentException("--zThreshold: must be a number > 0, got " + z);
    }
    return settings;
  }

  /** Adds the sensors steps to {@code pipeline}. */
  public static void build(Pipeline pipeline, SensorsOptions options) {
    PipelineSettings settings = validate(options);
    JdbcConnectionSpec db = OptionsValidation.database(options);
    WindowSpec windows =
        WindowSpec.sliding(
                Duration.standardMinutes(options.getWindowMinutes()),
                Duration.standardMinutes(options.getPeriodMinutes()))
            .withAllowedLateness(Duration.standardSeconds(options.getAllowedLatenessSeconds()))
            .accumulating();

    UniqueEvents.Result<SensorReading> readings =
        pipeline
            .apply(
                "ReadSensorReadings", EventSource.of(settings, options, options.getReadingsTopic()))
            .apply(
                "UniqueReadings",
                UniqueEvents.of(SensorReading.class, "parse-sensor-readings", options));

    WindowedAggregate.Result<KV<String, String>, SeriesStats, SensorReading> stats =
        readings
            .unique()
            .apply(
                "StatsPerSeriesWindow",
                WindowedAggregate.of(
                        (SensorReading r) -> KV.of(r.sensorId, r.metric),
                        SeriesStatsFn.of((SensorReading r) -> r.value))
                    .withKeyCoder(SERIES_CODER)
                    .over(windows));

    PCollection<DeadLetter> anomalyFailures =
        stats
            .results()
            .apply(
                "ScoreAgainstPreviousWindow",
                ScoreAgainstPreviousWindow.<KV<String, String>>of(windows, options.getzThreshold())
                    .withKeyCoder(SERIES_CODER))
            .apply(
                "WriteSensorAnomalies",
                JdbcUpsertSink.<ScoredWindow<KV<String, String>>>to(db, SENSOR_ANOMALIES)
                    .withColumn("sensor_id", "text", s -> s.key().getKey())
                    .withColumn("metric", "text", s -> s.key().getValue())
                    .withColumn("window_start", "timestamptz", ScoredWindow::windowStart)
                    .withColumn("window_end", "timestamptz", ScoredWindow::windowEnd)
                    .withColumn("readings", "bigint", ScoredWindow::readings)
                    .withColumn("mean", "double precision", ScoredWindow::mean)
                    .withColumn("prev_readings", "bigint", ScoredWindow::prevReadings)
                    .withColumn("prev_mean", "double precision", ScoredWindow::prevMean)
                    .withColumn("prev_stddev", "double precision", ScoredWindow::prevStddev)
                    .withColumn("z_score", "double precision", ScoredWindow::zScore)
                    .withColumn("anomaly", "boolean", ScoredWindow::anomaly)
                    .withKey("sensor_id", "metric", "window_start")
                    // Both counts only grow from one version of a row to the next.
                    .withGrowingColumns("readings", "prev_readings")
                    .withStage("write-" + SENSOR_ANOMALIES))
            .failures();

    PCollectionList.of(readings.deadLetters())
        .and(anomalyFailures)
        .and(
            stats
                .lateRecords()
                .apply("LateReadings", LateRecordSink.<SensorReading>to(db, SENSOR_ANOMALIES)))
        .apply("DeadLetters", DeadLetterOutput.to(db, options));
  }
}
