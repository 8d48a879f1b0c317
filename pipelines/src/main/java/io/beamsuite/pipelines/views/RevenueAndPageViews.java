package io.beamsuite.pipelines.views;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.model.Click;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.options.SourceSpec;
import io.beamsuite.pipelines.wiring.DeadLetterOutput;
import io.beamsuite.pipelines.wiring.EventSource;
import io.beamsuite.pipelines.wiring.LateRecordSink;
import io.beamsuite.pipelines.wiring.UniqueEvents;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import java.sql.SQLException;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * The views both architectures serve (docs/lambda.md, docs/kappa.md) — {@code
 * revenue_per_merchant_hour} and {@code page_views_per_minute} — computed by one piece of code for
 * the Lambda batch layer, the Lambda speed layer and the Kappa replay. A layer differs only in its
 * input ({@code --source}: the master dataset's files or Kafka), the share of event time it covers
 * ({@link EventTimeRange}) and the tables it writes (versioned or not); the parse, dedup, {@link
 * RevenuePerMerchantHour} and {@link PageViewsPerMinute} steps are the same objects in every layer.
 *
 * <pre>{@code
 * // Lambda batch layer: the master dataset before the cutoff, into version 3
 * RevenueAndPageViews.build(pipeline, options, EventTimeRange.before(cutoff), view -> view + "_batch_v3");
 * // Lambda speed layer: Kafka from the cutoff on
 * RevenueAndPageViews.build(pipeline, options, EventTimeRange.from(cutoff), view -> view + "_speed");
 * // Kappa replay: the whole log into version 2, with its own consumer group and watermark
 * PipelineSettings replay =
 *     OptionsValidation.validate(options).withGroupId("kappa-v2").withEventTimeWatermark(true);
 * RevenueAndPageViews.build(pipeline, options, replay, EventTimeRange.all(), view -> view + "_v2");
 * }</pre>
 */
public final class RevenueAndPageViews {
  /** The views, by their base table name. */
  public static final List<String> VIEWS =
      List.of(RevenuePerMerchantHour.TABLE, PageViewsPerMinute.TABLE);

  /** The widest window of the views: a cutoff between layers must be aligned to it. */
  public static final Duration WIDEST_WINDOW = RevenuePerMerchantHour.WINDOW;

  /**
   * Step names of the two reads: their {@code records_read} counters tell a monitor (the Kappa
   * replay's progress) how many records each topic's reader has emitted.
   */
  public static final String READ_TRANSACTIONS_STEP = "ReadTransactions";

  /** See {@link #READ_TRANSACTIONS_STEP}. */
  public static final String READ_CLICKS_STEP = "ReadClicks";

  private RevenueAndPageViews() {}

  /**
   * Adds the steps to {@code pipeline}: both views over the events in {@code range}, written to
   * {@code tableOf.apply(view)}; dead letters and late records go to the usual tables.
   */
  public static void build(
      Pipeline pipeline,
      ViewsOptions options,
      EventTimeRange range,
      UnaryOperator<String> tableOf) {
    build(pipeline, options, OptionsValidation.validate(options), range, tableOf);
  }

  /**
   * As {@link #build(Pipeline, ViewsOptions, EventTimeRange, UnaryOperator)}, for a caller that has
   * validated {@code options} already: {@code settings} is what {@link OptionsValidation#validate}
   * returned for them, possibly with the reads' consumer group or watermark policy changed (the
   * Kappa replay).
   */
  public static void build(
      Pipeline pipeline,
      ViewsOptions options,
      PipelineSettings settings,
      EventTimeRange range,
      UnaryOperator<String> tableOf) {
    OptionsValidation.requireAtLeast(
        "--transactionsMaxRecords", options.getTransactionsMaxRecords(), 0);
    OptionsValidation.requireAtLeast("--clicksMaxRecords", options.getClicksMaxRecords(), 0);
    JdbcConnectionSpec db = OptionsValidation.database(options);
    Duration lateness = Duration.standardSeconds(options.getAllowedLatenessSeconds());
    String revenueTable = tableOf.apply(RevenuePerMerchantHour.TABLE);
    String pageViewsTable = tableOf.apply(PageViewsPerMinute.TABLE);

    UniqueEvents.Result<Transaction> transactions =
        pipeline
            .apply(
                READ_TRANSACTIONS_STEP,
                source(
                    settings,
                    options,
                    options.getTransactionsTopic(),
                    options.getTransactionsMaxRecords()))
            .apply(
                "UniqueTransactions",
                UniqueEvents.of(Transaction.class, "parse-transactions", options));
    UniqueEvents.Result<Click> clicks =
        pipeline
            .apply(
                READ_CLICKS_STEP,
                source(settings, options, options.getClicksTopic(), options.getClicksMaxRecords()))
            .apply("UniqueClicks", UniqueEvents.of(Click.class, "parse-clicks", options));

    WindowedAggregate.Result<String, Long, Transaction> revenue =
        transactions
            .unique()
            .apply("TransactionsInRange", range.<Transaction>keep())
            .apply(
                "RevenuePerMerchantHour",
                RevenuePerMerchantHour.create().withAllowedLateness(lateness));
    WindowedAggregate.Result<String, Long, Click> pageViews =
        clicks
            .unique()
            .apply("ClicksInRange", range.<Click>keep())
            .apply("PageViewsPerMinute", PageViewsPerMinute.create().withAllowedLateness(lateness));

    PCollection<DeadLetter> revenueFailures =
        revenue
            .results()
            .apply("WriteRevenue", RevenuePerMerchantHour.toTable(db, revenueTable))
            .failures();
    PCollection<DeadLetter> pageViewFailures =
        pageViews
            .results()
            .apply("WritePageViews", PageViewsPerMinute.toTable(db, pageViewsTable))
            .failures();
    PCollectionList.of(transactions.deadLetters())
        .and(clicks.deadLetters())
        .and(revenueFailures)
        .and(pageViewFailures)
        .and(
            revenue
                .lateRecords()
                .apply("LateRevenue", LateRecordSink.<Transaction>to(db, revenueTable)))
        .and(
            pageViews
                .lateRecords()
                .apply("LatePageViews", LateRecordSink.<Click>to(db, pageViewsTable)))
        .apply("DeadLetters", DeadLetterOutput.to(db, options));
  }

  /**
   * Creates every view's table {@code tableOf.apply(view)} now, if missing, with the columns and
   * key the pipeline writes: a serving view can then read a layer's tables before their first row.
   */
  public static void createTables(JdbcConnectionSpec db, UnaryOperator<String> tableOf)
      throws SQLException {
    RevenuePerMerchantHour.toTable(db, tableOf.apply(RevenuePerMerchantHour.TABLE)).createTable();
    PageViewsPerMinute.toTable(db, tableOf.apply(PageViewsPerMinute.TABLE)).createTable();
  }

  /**
   * The topic's events: from Kafka (bounded by {@code maxRecords} when above 0, else by the common
   * bounds), or the files under {@code <master dataset>/<topic>/}.
   */
  private static EventSource source(
      PipelineSettings settings, ViewsOptions options, String topic, long maxRecords) {
    EventSource read = EventSource.of(settings, options, topic);
    SourceSpec spec = settings.source();
    if (spec.isFile()) {
      return read.withSource(
          SourceSpec.files(stripSlash(spec.fileGlob()) + "/" + topic + "/**.jsonl"));
    }
    return maxRecords > 0 ? read.withMaxRecords(maxRecords) : read;
  }

  private static String stripSlash(String dir) {
    return dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
  }
}
