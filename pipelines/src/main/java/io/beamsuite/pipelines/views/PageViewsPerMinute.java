package io.beamsuite.pipelines.views;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.JdbcUpsertSink;
import io.beamsuite.pipelines.model.Click;
import io.beamsuite.pipelines.wiring.WindowResultTable;
import io.beamsuite.transforms.windowing.WindowResult;
import io.beamsuite.transforms.windowing.WindowSpec;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Page views per page per minute: unique clicks counted per {@code page} in 1-minute tumbling
 * event-time windows, accumulating (every pane carries the window's full count, so an upsert of the
 * latest pane is the right row). Clicks later than the allowed lateness go to {@link
 * WindowedAggregate.Result#lateRecords()}.
 *
 * <p>The one definition of {@code page_views_per_minute}: the {@code clickstream} pipeline, the
 * Lambda batch layer and the speed layer all apply it unchanged, and write it with {@link #toTable}
 * into their own table.
 *
 * <pre>{@code
 * WindowedAggregate.Result<String, Long, Click> views =
 *     uniqueClicks.apply(
 *         "PageViewsPerMinute",
 *         PageViewsPerMinute.create().withAllowedLateness(Duration.standardMinutes(10)));
 * views.results()
 *     .apply("WritePageViews", PageViewsPerMinute.toTable(db, PageViewsPerMinute.TABLE));
 * }</pre>
 */
public final class PageViewsPerMinute
    extends PTransform<PCollection<Click>, WindowedAggregate.Result<String, Long, Click>> {
  /** The table of the streaming pipeline; other layers write versioned copies of it. */
  public static final String TABLE = "page_views_per_minute";

  /** The window size. */
  public static final Duration WINDOW = Duration.standardMinutes(1);

  /** The allowed lateness of {@link #create()}, the default of {@code --allowedLatenessSeconds}. */
  public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.standardMinutes(10);

  // The view's windowing; WindowSpec validates the lateness.
  private final WindowSpec window;

  private PageViewsPerMinute(WindowSpec window) {
    this.window = window;
  }

  /** Page views per minute with {@link #DEFAULT_ALLOWED_LATENESS}. */
  public static PageViewsPerMinute create() {
    return new PageViewsPerMinute(
        WindowSpec.tumbling(WINDOW).withAllowedLateness(DEFAULT_ALLOWED_LATENESS).accumulating());
  }

  /** How long after a window's end its clicks are still counted (not negative). */
  public PageViewsPerMinute withAllowedLateness(Duration lateness) {
    return new PageViewsPerMinute(window.withAllowedLateness(lateness));
  }

  /** The allowed lateness. */
  public Duration getAllowedLateness() {
    return window.getAllowedLateness();
  }

  @Override
  public WindowedAggregate.Result<String, Long, Click> expand(PCollection<Click> clicks) {
    return clicks.apply(
        "CountPerPage",
        WindowedAggregate.of((Click c) -> c.page, Count.<Click>combineFn())
            .withKeyCoder(StringUtf8Coder.of())
            .over(window));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(
        DisplayData.item("allowedLateness", window.getAllowedLateness())
            .withLabel("Allowed lateness"));
  }

  /**
   * An upsert of the results into {@code table}: {@code (page text, window_start timestamptz,
   * window_end timestamptz, views bigint, PRIMARY KEY (page, window_start))}; its dead letters name
   * the stage {@code write-<table>}.
   */
  public static JdbcUpsertSink<WindowResult<String, Long>> toTable(
      JdbcConnectionSpec db, String table) {
    return WindowResultTable.to(db, table, "page", "window_start", "window_end", "views");
  }
}
