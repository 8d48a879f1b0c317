package io.beamsuite.lambda;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.ServingViews;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.views.EventTimeRange;
import io.beamsuite.pipelines.views.RevenueAndPageViews;
import java.sql.SQLException;
import org.apache.beam.sdk.Pipeline;
import org.joda.time.Instant;

/**
 * {@code lambda-speed}: the streaming layer — the same {@link RevenueAndPageViews} over Kafka, for
 * events at or after the cutoff ({@code --cutoff}, by default the one the serving views publish),
 * upserted into {@code <view>_speed}. Events before the cutoff are left to the batch layer, which
 * reads them from the master dataset, and counted ({@link EventTimeRange#OUTSIDE_RANGE}).
 *
 * <p>When a later batch run advances the cutoff, the speed layer keeps running unchanged: the
 * serving views stop reading its rows below the new cutoff in the same transaction that starts
 * reading the new batch rows. Its late records (later than {@code --allowedLatenessSeconds}) are in
 * {@code late_records}; the next batch run whose cutoff passes them counts them.
 *
 * <pre>{@code
 * Pipeline p = Pipeline.create(options);   // --source=kafka --bootstrapServers=...
 * SpeedLayer.build(p, options.as(LambdaOptions.class));
 * p.run();
 * }</pre>
 */
public final class SpeedLayer {
  private SpeedLayer() {}

  /**
   * Adds the speed layer's steps to {@code pipeline}; returns the cutoff it starts at ({@code
   * --cutoff}, else the served one).
   */
  public static Instant build(Pipeline pipeline, LambdaOptions options) {
    PipelineSettings settings = OptionsValidation.validate(options);
    JdbcConnectionSpec db = OptionsValidation.database(options);
    Instant cutoff;
    if (options.getCutoff().isEmpty()) {
      try {
        java.time.Instant served =
            ServingLayer.served(db)
                .map(ServingViews.Published::cutoff)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "--cutoff: no batch version is published yet; run lambda-batch first or"
                                + " pass --cutoff"));
        cutoff = new Instant(served.toEpochMilli());
      } catch (SQLException e) {
        throw new IllegalStateException(
            "cannot read the serving layer's state: " + e.getMessage(), e);
      }
    } else {
      cutoff = Cutoff.parse(options.getCutoff());
    }
    RevenueAndPageViews.build(
        pipeline, options, settings, EventTimeRange.from(cutoff), ServingLayer::speedTable);
    return cutoff;
  }
}
