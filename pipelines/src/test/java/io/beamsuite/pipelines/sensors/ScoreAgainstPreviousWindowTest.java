package io.beamsuite.pipelines.sensors;

import static org.junit.Assert.assertEquals;

import io.beamsuite.transforms.windowing.WindowResult;
import io.beamsuite.transforms.windowing.WindowSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.PaneInfo.Timing;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link ScoreAgainstPreviousWindow} with panes arriving in awkward orders: successors before
 * predecessors, and late panes changing statistics already used.
 */
@RunWith(JUnit4.class)
public class ScoreAgainstPreviousWindowTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");
  private static final Duration MINUTE = Duration.standardMinutes(1);
  private static final WindowSpec SPEC =
      WindowSpec.sliding(Duration.standardMinutes(5), MINUTE)
          .withAllowedLateness(Duration.standardMinutes(10))
          .accumulating();
  private static final Coder<WindowResult<String, SeriesStats>> INPUT_CODER =
      WindowResult.coder(StringUtf8Coder.of(), SeriesStats.coder());

  /** Rows in the order the scoring step emitted them (the DirectRunner is in-process). */
  private static final List<ScoredWindow<String>> EMITTED =
      Collections.synchronizedList(new ArrayList<>());

  @Before
  public void clear() {
    EMITTED.clear();
  }

  @Test
  public void finalRowsFollowFinalStatisticsWhateverThePaneOrder() {
    // W0 = [10:00, 10:05), W1 = [10:01, 10:06), W2 = [10:02, 10:07) of series "s1".
    SeriesStats w1v1 = SeriesStats.ofValues(10, 14); // n 2, mean 12, stddev 2
    SeriesStats w2 = SeriesStats.ofValues(20); // n 1, mean 20
    SeriesStats w0v1 = SeriesStats.ofValues(11); // n 1: not a usable predecessor
    SeriesStats w0v2 = SeriesStats.ofValues(11, 13); // n 2, mean 12, stddev 1
    // 10, 14, 30: mean 18, deviations -8, -4, 12, m2 = 64 + 16 + 144 = 224, stddev sqrt(224/3)
    SeriesStats w1v2 = SeriesStats.ofValues(10, 14, 30);

    TestStream<WindowResult<String, SeriesStats>> panes =
        TestStream.create(INPUT_CODER)
            .advanceWatermarkTo(T)
            // The successor W1 first (an early pane), then W2: W2 is scored against W1.
            .addElements(pane(1, Timing.EARLY, 0, w1v1))
            .addElements(pane(2, Timing.EARLY, 0, w2))
            // W0 arrives last, with one reading: nothing can be scored against it yet.
            .addElements(pane(0, Timing.ON_TIME, 0, w0v1))
            .advanceWatermarkTo(T.plus(Duration.standardMinutes(7)))
            // A late pane makes W0 usable: W1 gets its row.
            .addElements(pane(0, Timing.LATE, 1, w0v2))
            // A late pane of W1 changes both W1's own row and W2's.
            .addElements(pane(1, Timing.LATE, 1, w1v2))
            .advanceWatermarkToInfinity();

    PCollection<ScoredWindow<String>> rows = score(p.apply(panes));

    // W2 vs W1v1: (20 - 12) / 2 = 4 > 3, an anomaly (later superseded).
    ScoredWindow<String> w2VsW1v1 = row(2, 1, 20, 2, 12, 2, 4.0, true);
    // W1v1 vs W0v2: (12 - 12) / 1 = 0.
    ScoredWindow<String> w1v1VsW0v2 = row(1, 2, 12, 2, 12, 1, 0.0, false);
    // W1v2 vs W0v2: (18 - 12) / 1 = 6 > 3.
    ScoredWindow<String> w1v2VsW0v2 = row(1, 3, 18, 2, 12, 1, 6.0, true);
    // W2 vs W1v2: (20 - 18) / sqrt(224/3) = 2 / 8.640987597877148 = 0.2314550249431379.
    double sd = Math.sqrt(224.0 / 3.0);
    ScoredWindow<String> w2VsW1v2 = row(2, 1, 20, 3, 18, sd, 2.0 / sd, false);

    PAssert.that(rows).containsInAnyOrder(List.of(w2VsW1v1, w1v1VsW0v2, w1v2VsW0v2, w2VsW1v2));
    p.run().waitUntilFinish();

    // What an upsert by window start ends with: the last row emitted for each window.
    Map<Instant, ScoredWindow<String>> last = lastPerWindow();
    assertEquals(2, last.size());
    assertEquals(w1v2VsW0v2, last.get(T.plus(MINUTE)));
    assertEquals(w2VsW1v2, last.get(T.plus(MINUTE.multipliedBy(2))));
    assertEquals(0.2314550249431379, w2VsW1v2.zScore(), 1e-15);
  }

  @Test
  public void anEarlierPaneDeliveredAfterALaterOneIsIgnored() {
    SeriesStats w0v2 = SeriesStats.ofValues(11, 13); // n 2, mean 12, stddev 1
    SeriesStats w0v3 = SeriesStats.ofValues(10, 14, 30); // n 3, mean 18, stddev sqrt(224/3)
    SeriesStats w1 = SeriesStats.ofValues(20);
    TestStream<WindowResult<String, SeriesStats>> panes =
        TestStream.create(INPUT_CODER)
            .advanceWatermarkTo(T)
            .addElements(pane(1, Timing.EARLY, 0, w1))
            .addElements(pane(0, Timing.EARLY, 1, w0v3))
            // W0's earlier pane (fewer readings) arrives last: stale, no row from it.
            .addElements(pane(0, Timing.EARLY, 0, w0v2))
            .advanceWatermarkToInfinity();

    PCollection<ScoredWindow<String>> rows = score(p.apply(panes));

    double sd = Math.sqrt(224.0 / 3.0);
    PAssert.that(rows).containsInAnyOrder(List.of(row(1, 1, 20, 3, 18, sd, 2.0 / sd, false)));
    p.run().waitUntilFinish();
  }

  @Test
  public void statisticsOfAWindowAreKeptUntilItsSuccessorIsFinal() {
    // W0 expires at its end 10:05 + period 1 min + lateness 10 min = 10:16, W1 at 10:17.
    SeriesStats w0 = SeriesStats.ofValues(1, 3); // mean 2, stddev 1
    SeriesStats w1 = SeriesStats.ofValues(4, 6); // mean 5, stddev 1
    SeriesStats w2 = SeriesStats.ofValues(5); // mean 5
    TestStream<WindowResult<String, SeriesStats>> panes =
        TestStream.create(INPUT_CODER)
            .advanceWatermarkTo(T)
            .addElements(pane(0, Timing.ON_TIME, 0, w0))
            .addElements(pane(1, Timing.ON_TIME, 0, w1))
            .advanceWatermarkTo(T.plus(Duration.standardMinutes(16)).plus(Duration.millis(500)))
            // W0 is gone, W1 is not: W2 is still scored against W1 ...
            .addElements(pane(2, Timing.LATE, 1, w2))
            // ... and a (synthetic) late pane of W1 re-emits W2's row but no longer W1's.
            .addElements(pane(1, Timing.LATE, 1, w1))
            .advanceWatermarkToInfinity();

    PCollection<ScoredWindow<String>> rows = score(p.apply(panes));

    // W1 vs W0: (5 - 2) / 1 = 3, not > 3. W2 vs W1: (5 - 5) / 1 = 0, twice.
    PAssert.that(rows)
        .containsInAnyOrder(
            List.of(
                row(1, 2, 5, 2, 2, 1, 3.0, false),
                row(2, 1, 5, 2, 5, 1, 0.0, false),
                row(2, 1, 5, 2, 5, 1, 0.0, false)));
    p.run().waitUntilFinish();
  }

  private static PCollection<ScoredWindow<String>> score(
      PCollection<WindowResult<String, SeriesStats>> panes) {
    PCollection<ScoredWindow<String>> rows =
        panes.apply(
            "Score",
            ScoreAgainstPreviousWindow.<String>of(SPEC, 3.0).withKeyCoder(StringUtf8Coder.of()));
    rows.apply("Record", ParDo.of(new RecordFn()));
    return rows;
  }

  private static final class RecordFn extends DoFn<ScoredWindow<String>, Void> {
    @ProcessElement
    public void process(@Element ScoredWindow<String> row) {
      EMITTED.add(row);
    }
  }

  private static Map<Instant, ScoredWindow<String>> lastPerWindow() {
    Map<Instant, ScoredWindow<String>> last = new LinkedHashMap<>();
    synchronized (EMITTED) {
      for (ScoredWindow<String> row : EMITTED) {
        last.put(row.windowStart(), row);
      }
    }
    return last;
  }

  /** A pane of window {@code index} (starting {@code index} minutes after 10:00), as emitted. */
  private static TimestampedValue<WindowResult<String, SeriesStats>> pane(
      int index, Timing timing, long paneIndex, SeriesStats stats) {
    Instant start = T.plus(MINUTE.multipliedBy(index));
    Instant end = start.plus(Duration.standardMinutes(5));
    return TimestampedValue.of(
        WindowResult.of("s1", start, end, timing, paneIndex, stats), end.minus(Duration.millis(1)));
  }

  private static ScoredWindow<String> row(
      int index,
      long readings,
      double mean,
      long prevReadings,
      double prevMean,
      double prevStddev,
      double z,
      boolean anomaly) {
    Instant start = T.plus(MINUTE.multipliedBy(index));
    return ScoredWindow.of(
        "s1",
        start,
        start.plus(Duration.standardMinutes(5)),
        readings,
        mean,
        prevReadings,
        prevMean,
        prevStddev,
        z,
        anomaly);
  }
}
