package io.beamsuite.pipelines.clickstream;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.model.Click;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.views.PageViewsPerMinute;
import io.beamsuite.pipelines.wiring.DeadLetterOutput;
import io.beamsuite.pipelines.wiring.EventSource;
import io.beamsuite.pipelines.wiring.LateRecordSink;
import io.beamsuite.pipelines.wiring.UniqueEvents;
import io.beamsuite.pipelines.wiring.WindowResultTable;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.windowing.DistinctCount;
import io.beamsuite.transforms.windowing.WindowSpec;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * {@code clickstream}: unique clicks → page views per page per minute ({@link PageViewsPerMinute},
 * the same view the Lambda layers compute), user sessions, and active users per five minutes
 * sliding every minute (docs/pipelines.md), upserted into {@code page_views_per_minute}, {@code
 * user_sessions} and {@code active_users}. Malformed clicks go to the dead letters, late ones to
 * {@code late_records}.
 *
 * <pre>{@code
 * Pipeline p = Pipeline.create(options);
 * ClickstreamPipeline.build(p, options.as(ClickstreamOptions.class));
 * p.run().waitUntilFinish();
 * }</pre>
 */
public final class ClickstreamPipeline {
  public static final String PAGE_VIEWS = PageViewsPerMinute.TABLE;
  public static final String USER_SESSIONS = "user_sessions";
  public static final String ACTIVE_USERS = "active_users";

  private static final String ALL_USERS = "all";

  private ClickstreamPipeline() {}

  /** Adds the clickstream steps to {@code pipeline}. */
  public static void build(Pipeline pipeline, ClickstreamOptions options) {
    PipelineSettings settings = OptionsValidation.validate(options);
    OptionsValidation.requireAtLeast("--sessionGapMinutes", options.getSessionGapMinutes(), 1);
    JdbcConnectionSpec db = OptionsValidation.database(options);
    Duration lateness = Duration.standardSeconds(options.getAllowedLatenessSeconds());

    UniqueEvents.Result<Click> clicks =
        pipeline
            .apply("ReadClicks", EventSource.of(settings, options, options.getClicksTopic()))
            .apply("UniqueClicks", UniqueEvents.of(Click.class, "parse-clicks", options));

    WindowedAggregate.Result<String, Long, Click> pageViews =
        clicks
            .unique()
            .apply("PageViewsPerMinute", PageViewsPerMinute.create().withAllowedLateness(lateness));
    WindowedAggregate.Result<String, Long, Click> sessions =
        clicks
            .unique()
            .apply(
                "UserSessions",
                WindowedAggregate.of((Click c) -> c.userId, Count.<Click>combineFn())
                    .withKeyCoder(StringUtf8Coder.of())
                    .over(
                        WindowSpec.sessions(
                                Duration.standardMinutes(options.getSessionGapMinutes()))
                            .withAllowedLateness(lateness)
                            .accumulating()));
    WindowedAggregate.Result<String, Long, Click> activeUsers =
        clicks
            .unique()
            .apply(
                "ActiveUsers",
                WindowedAggregate.of(
                        (Click c) -> ALL_USERS, DistinctCount.of((Click c) -> c.userId))
                    .withKeyCoder(StringUtf8Coder.of())
                    .over(
                        WindowSpec.sliding(Duration.standardMinutes(5), Duration.standardMinutes(1))
                            .withAllowedLateness(lateness)
                            .accumulating()));

    PCollection<DeadLetter> pageViewFailures =
        pageViews
            .results()
            .apply("WritePageViews", PageViewsPerMinute.toTable(db, PAGE_VIEWS))
            .failures();
    PCollection<DeadLetter> sessionFailures =
        sessions
            .results()
            .apply(
                "WriteUserSessions",
                WindowResultTable.to(
                        db, USER_SESSIONS, "user_id", "session_start", "session_end", "clicks")
                    // A late click that bridges two sessions moves the start: drop the old rows.
                    .withSupersededRanges("session_start", "session_end"))
            .failures();
    PCollection<DeadLetter> activeUserFailures =
        activeUsers
            .results()
            .apply(
                "WriteActiveUsers",
                WindowResultTable.to(
                    db, ACTIVE_USERS, null, "window_start", "window_end", "active_users"))
            .failures();

    PCollectionList.of(clicks.deadLetters())
        .and(pageViewFailures)
        .and(sessionFailures)
        .and(activeUserFailures)
        .and(
            pageViews
                .lateRecords()
                .apply("LatePageViews", LateRecordSink.<Click>to(db, PAGE_VIEWS)))
        .and(
            sessions
                .lateRecords()
                .apply("LateSessions", LateRecordSink.<Click>to(db, USER_SESSIONS)))
        .and(
            activeUsers
                .lateRecords()
                .apply("LateActiveUsers", LateRecordSink.<Click>to(db, ACTIVE_USERS)))
        .apply("DeadLetters", DeadLetterOutput.to(db, options));
  }
}
