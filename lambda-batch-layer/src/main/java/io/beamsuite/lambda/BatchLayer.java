package io.beamsuite.lambda;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.ServingViews;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.views.EventTimeRange;
import io.beamsuite.pipelines.views.RevenueAndPageViews;
import java.io.PrintStream;
import java.sql.SQLException;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.joda.time.Instant;

/**
 * {@code lambda-batch}: recomputes the views from the whole master dataset ({@code
 * --source=file:<dir>}) for the events before {@code --cutoff}, into a new version {@code
 * <view>_batch_v<N>} (N = {@code --batchVersion}, by default the served version + 1; a leftover
 * table of an unpublished run with that number is emptied first), then — only once the run ended
 * {@code DONE} — publishes that version and cutoff to the serving views in one transaction. Until
 * then readers keep the previous version: they never see a half-written batch view.
 *
 * <p>A bounded run sees every record, so nothing is late: the batch layer equals the oracle over
 * all valid events before the cutoff, on any runner (Direct, Flink, Spark). Re-running it over the
 * same master dataset writes an identical new version.
 *
 * <pre>{@code
 * Pipeline p = Pipeline.create(options);
 * long version = BatchLayer.build(p, options.as(LambdaOptions.class));
 * if (p.run().waitUntilFinish() == PipelineResult.State.DONE) {
 *   BatchLayer.publish(options.as(LambdaOptions.class), version, System.out);
 * }
 * }</pre>
 */
public final class BatchLayer {
  private BatchLayer() {}

  /** Adds the batch layer's steps to {@code pipeline}; returns the version it writes. */
  public static long build(Pipeline pipeline, LambdaOptions options) {
    PipelineSettings settings = OptionsValidation.validate(options);
    if (!settings.source().isFile()) {
      throw new IllegalArgumentException(
          "--source: the batch layer reads the master dataset, 'file:<dir>'; got '"
              + options.getSource()
              + "'");
    }
    if (options.getCutoff().isEmpty()) {
      throw new IllegalArgumentException("--cutoff is required by lambda-batch");
    }
    Instant cutoff = Cutoff.parse(options.getCutoff());
    JdbcConnectionSpec db = OptionsValidation.database(options);
    long version;
    try {
      long served = ServingLayer.served(db).map(ServingViews.Published::version).orElse(0L);
      version = options.getBatchVersion() == 0 ? served + 1 : options.getBatchVersion();
      if (version <= served) {
        throw new IllegalArgumentException(
            "--batchVersion: "
                + version
                + " is not above the served version "
                + served
                + "; a served version is never rewritten");
      }
      for (String view : RevenueAndPageViews.VIEWS) {
        ServingViews.on(db).truncateIfExists(ServingLayer.batchTable(view, version));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot read the serving layer's state: " + e.getMessage(), e);
    }
    RevenueAndPageViews.build(
        pipeline,
        options,
        settings,
        EventTimeRange.before(cutoff),
        view -> ServingLayer.batchTable(view, version));
    return version;
  }

  /**
   * After a {@code DONE} run: publishes {@code version}, the one {@link #build} returned for these
   * options, with their cutoff.
   */
  public static void publish(LambdaOptions options, long version, PrintStream out)
      throws SQLException {
    if (version < 1) {
      throw new IllegalArgumentException("version must be one build() returned, got " + version);
    }
    Instant cutoff = Cutoff.parse(options.getCutoff());
    JdbcConnectionSpec db = OptionsValidation.database(options);
    Optional<ServingViews.Published> before = ServingLayer.served(db);
    ServingLayer.publish(db, version, cutoff);
    out.printf(
        "lambda-batch: published batch version %d with cutoff %s to %s (was: %s)%n",
        version,
        java.time.Instant.ofEpochMilli(cutoff.getMillis()),
        String.join(
            ", ", RevenueAndPageViews.VIEWS.stream().map(ServingLayer::servingView).toList()),
        before.map(p -> "version " + p.version() + ", cutoff " + p.cutoff()).orElse("nothing"));
  }
}
