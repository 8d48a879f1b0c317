package io.beamsuite.transforms.windowing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Exact-output tests of {@link WindowedAggregate} driven by {@link TestStream}, so the watermark
 * and processing time are under the test's control. Records are {@code "key:id"}; results are
 * rendered as {@code "key [start,end) TIMING#pane = ids"} with times as offsets from {@link #T0} in
 * {@code m:ss} form, and late records as {@code "late id [start,end)"}.
 */
@RunWith(JUnit4.class)
public class WindowedAggregateTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration MINUTE = Duration.standardMinutes(1);

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void tumblingWindowsAggregateOutOfOrderRecordsOnTime() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"), at("a:2", "0:50"), at("a:3", "0:20"), at("b:4", "1:10"))
            .advanceWatermarkTo(t("1:00"))
            .addElements(at("a:5", "1:30"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events).apply(aggregate(WindowSpec.tumbling(MINUTE)));

    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [0:00,1:00) ON_TIME#0 = 1,2,3",
            "a [1:00,2:00) ON_TIME#0 = 5",
            "b [1:00,2:00) ON_TIME#0 = 4");
    PAssert.that(renderLate(out)).empty();
    p.run();
  }

  @Test
  public void lateBoundaryWithoutAllowedLatenessIsTheWindowsMaxTimestamp() {
    // Window [0:00,1:00) has max timestamp 0:59.999. A watermark equal to it does not close the
    // window; one millisecond more does, exactly as Beam's GroupByKey would drop the record.
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"))
            .advanceWatermarkTo(t("0:59.999"))
            .addElements(at("a:2", "0:30"))
            .advanceWatermarkTo(t("1:00"))
            .addElements(at("a:3", "0:40"), at("a:4", "1:05"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events).apply(aggregate(WindowSpec.tumbling(MINUTE)));

    PAssert.that(render(out))
        .containsInAnyOrder("a [0:00,1:00) ON_TIME#0 = 1,2", "a [1:00,2:00) ON_TIME#0 = 4");
    PAssert.that(renderLate(out)).containsInAnyOrder("late 3 [0:00,1:00)");
    p.run();
  }

  @Test
  public void lateRecordsWithinAllowedLatenessFireLatePanesAccumulating() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"))
            .advanceWatermarkTo(t("1:00"))
            .addElements(at("a:2", "0:20"))
            .advanceWatermarkTo(t("1:29.999"))
            .addElements(at("a:3", "0:59"))
            .advanceWatermarkTo(t("1:30"))
            .addElements(at("a:4", "0:30"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events)
            .apply(
                aggregate(
                    WindowSpec.tumbling(MINUTE)
                        .withAllowedLateness(Duration.standardSeconds(30))
                        .accumulating()));

    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [0:00,1:00) ON_TIME#0 = 1",
            "a [0:00,1:00) LATE#1 = 1,2",
            "a [0:00,1:00) LATE#2 = 1,2,3");
    PAssert.that(renderLate(out)).containsInAnyOrder("late 4 [0:00,1:00)");
    p.run();
  }

  @Test
  public void latePanesCarryOnlyNewRecordsWhenDiscarding() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"))
            .advanceWatermarkTo(t("1:00"))
            .addElements(at("a:2", "0:20"))
            .addElements(at("a:3", "0:25"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events)
            .apply(
                aggregate(
                    WindowSpec.tumbling(MINUTE).withAllowedLateness(Duration.standardMinutes(5))));

    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [0:00,1:00) ON_TIME#0 = 1", "a [0:00,1:00) LATE#1 = 2", "a [0:00,1:00) LATE#2 = 3");
    PAssert.that(renderLate(out)).empty();
    p.run();
  }

  @Test
  public void earlyFiringsAccumulateUntilTheOnTimePane() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"))
            .advanceProcessingTime(Duration.standardSeconds(11))
            .addElements(at("a:2", "0:20"))
            .advanceProcessingTime(Duration.standardSeconds(11))
            .advanceProcessingTime(Duration.standardSeconds(11))
            .advanceWatermarkTo(t("1:00"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events)
            .apply(
                aggregate(
                    WindowSpec.tumbling(MINUTE)
                        .withEarlyFirings(Duration.standardSeconds(10))
                        .accumulating()));

    // The third processing-time step has no new record, so no third early pane.
    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [0:00,1:00) EARLY#0 = 1",
            "a [0:00,1:00) EARLY#1 = 1,2",
            "a [0:00,1:00) ON_TIME#2 = 1,2");
    p.run();
  }

  @Test
  public void earlyFiringsDiscardingSkipAnEmptyOnTimePane() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"))
            .advanceProcessingTime(Duration.standardSeconds(11))
            .addElements(at("a:2", "0:20"))
            .advanceProcessingTime(Duration.standardSeconds(11))
            .addElements(at("b:3", "0:30"))
            .advanceWatermarkTo(t("1:00"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events)
            .apply(
                aggregate(
                    WindowSpec.tumbling(MINUTE).withEarlyFirings(Duration.standardSeconds(10))));

    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [0:00,1:00) EARLY#0 = 1",
            "a [0:00,1:00) EARLY#1 = 2",
            "b [0:00,1:00) ON_TIME#0 = 3");
    p.run();
  }

  @Test
  public void sessionsMergeAsBridgingRecordsArriveAndLateOnesAreRouted() {
    TestStream<String> events =
        stream()
            .addElements(
                at("a:1", "0:00"), at("a:2", "5:00"), at("a:3", "30:00"), at("b:9", "3:00"))
            // [0:00,15:00) and [30:00,40:00) are separate until these two bridge them.
            .addElements(at("a:4", "14:00"))
            .addElements(at("a:5", "23:00"))
            .advanceWatermarkTo(t("60:00"))
            .addElements(at("a:6", "35:00"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events).apply(aggregate(WindowSpec.sessions(Duration.standardMinutes(10))));

    PAssert.that(render(out))
        .containsInAnyOrder("a [0:00,40:00) ON_TIME#0 = 1,2,3,4,5", "b [3:00,13:00) ON_TIME#0 = 9");
    PAssert.that(renderLate(out)).containsInAnyOrder("late 6 [35:00,45:00)");
    p.run();
  }

  @Test
  public void sessionGrownByALateRecordFiresAgainAtItsNewEnd() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:00"))
            .advanceWatermarkTo(t("10:00"))
            // Within lateness: touches the fired session [0:00,10:00) and extends it to 19:00.
            .addElements(at("a:2", "9:00"))
            .advanceWatermarkTo(t("12:00"))
            // Inside the grown, not yet fired session.
            .addElements(at("a:3", "11:00"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events)
            .apply(
                aggregate(
                    WindowSpec.sessions(Duration.standardMinutes(10))
                        .withAllowedLateness(Duration.standardMinutes(5))
                        .accumulating()));

    PAssert.that(render(out))
        .containsInAnyOrder("a [0:00,10:00) ON_TIME#0 = 1", "a [0:00,21:00) ON_TIME#1 = 1,2,3");
    PAssert.that(renderLate(out)).empty();
    p.run();
  }

  @Test
  public void slidingWindowsCountARecordInEveryOpenWindowAndRouteTheClosedOne() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:30"), at("a:2", "1:30"))
            .advanceWatermarkTo(t("1:00"))
            // Belongs to [-1:00,1:00) (closed) and [0:00,2:00) (open).
            .addElements(at("a:3", "0:40"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events).apply(aggregate(WindowSpec.sliding(Duration.standardMinutes(2), MINUTE)));

    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [-1:00,1:00) ON_TIME#0 = 1",
            "a [0:00,2:00) ON_TIME#0 = 1,2,3",
            "a [1:00,3:00) ON_TIME#0 = 2");
    PAssert.that(renderLate(out)).containsInAnyOrder("late 3 [-1:00,1:00)");
    p.run();
  }

  @Test
  public void boundedInputFiresEveryWindowAndNothingIsLate() {
    PCollection<String> records =
        p.apply(
            Create.timestamped(
                at("a:1", "0:10"), at("a:2", "2:10"), at("b:3", "0:59.999"), at("b:4", "1:00")));

    WindowedAggregate.Result<String, String, String> out =
        records.apply(aggregate(WindowSpec.tumbling(MINUTE)));

    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [0:00,1:00) ON_TIME#0 = 1",
            "a [2:00,3:00) ON_TIME#0 = 2",
            "b [0:00,1:00) ON_TIME#0 = 3",
            "b [1:00,2:00) ON_TIME#0 = 4");
    PAssert.that(renderLate(out)).empty();
    p.run();
  }

  @Test
  public void inputWindowingIsIgnoredAndCountsWorkWithBeamCombiners() {
    PCollection<String> records =
        p.apply(Create.timestamped(at("a:1", "0:10"), at("a:2", "0:20"), at("a:3", "1:10")))
            .apply(Window.into(FixedWindows.of(Duration.standardHours(1))));

    PCollection<String> counts =
        records
            .apply(
                WindowedAggregate.of(CollectIds::keyOf, Count.<String>combineFn())
                    .withKeyCoder(StringUtf8Coder.of())
                    .over(WindowSpec.tumbling(MINUTE)))
            .results()
            .apply(
                MapElements.into(TypeDescriptors.strings())
                    .via(r -> r.key() + " " + offset(r.windowStart()) + " " + r.value()));

    PAssert.that(counts).containsInAnyOrder("a 0:00 2", "a 1:00 1");
    p.run();
  }

  @Test
  public void aNewKeyLearnsTheWatermarkFromItsOwnTimersBeforeRoutingLate() {
    // The documented difference from Beam's GroupByKey: a key knows the watermark only from its
    // own timers, so the first record of a key never seen before is aggregated even when its
    // window closed long ago (Beam would drop it). Once the key's timers have caught up, the next
    // record for that window is routed late.
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"))
            .advanceWatermarkTo(t("5:00"))
            .addElements(at("c:7", "0:20"))
            .addElements(at("c:8", "0:30"))
            .advanceWatermarkToInfinity();

    WindowedAggregate.Result<String, String, String> out =
        p.apply(events).apply(aggregate(WindowSpec.tumbling(MINUTE)));

    PAssert.that(render(out))
        .containsInAnyOrder("a [0:00,1:00) ON_TIME#0 = 1", "c [0:00,1:00) ON_TIME#0 = 7");
    PAssert.that(renderLate(out)).containsInAnyOrder("late 8 [0:00,1:00)");
    p.run();
  }

  @Test
  public void boundedInputMergesSessionsLikeBeam() {
    PCollection<String> records =
        p.apply(
            Create.timestamped(
                at("a:1", "0:00"),
                at("a:2", "9:59.999"),
                at("a:3", "19:59.999"),
                at("b:4", "0:00")));

    WindowedAggregate.Result<String, String, String> out =
        records.apply(aggregate(WindowSpec.sessions(Duration.standardMinutes(10))));

    // [0:00,10:00) and [9:59.999,19:59.999) overlap; [19:59.999,29:59.999) only touches them.
    PAssert.that(render(out))
        .containsInAnyOrder(
            "a [0:00,19:59.999) ON_TIME#0 = 1,2",
            "a [19:59.999,29:59.999) ON_TIME#0 = 3",
            "b [0:00,10:00) ON_TIME#0 = 4");
    PAssert.that(renderLate(out)).empty();
    p.run();
  }

  @Test
  public void resultsAreInTheGlobalWindowStampedWithTheWindowsMaxTimestampOnBothPaths() {
    PCollection<String> bounded =
        p.apply("Bounded", Create.timestamped(at("a:1", "0:10"), at("b:2", "1:30")));
    PCollection<String> unbounded =
        p.apply(
            "Unbounded",
            stream()
                .addElements(at("a:1", "0:10"), at("b:2", "1:30"))
                .advanceWatermarkToInfinity());

    for (PCollection<String> records : List.of(bounded, unbounded)) {
      String name = records == bounded ? "Bounded" : "Unbounded";
      PAssert.that(
              records
                  .apply(name + "Aggregate", aggregate(WindowSpec.tumbling(MINUTE)))
                  .results()
                  .apply(name + "Stamps", ParDo.of(new StampFn())))
          .containsInAnyOrder("a 0:59.999 global", "b 1:59.999 global");
    }
    p.run();
  }

  /** Renders a result's key, element timestamp and whether it is in the global window. */
  private static final class StampFn extends DoFn<WindowResult<String, String>, String> {
    @ProcessElement
    public void process(
        @Element WindowResult<String, String> result,
        @DoFn.Timestamp Instant timestamp,
        BoundedWindow window,
        OutputReceiver<String> out) {
      out.output(
          result.key()
              + " "
              + offset(timestamp)
              + " "
              + (window instanceof GlobalWindow ? "global" : window.toString()));
    }
  }

  @Test
  public void misconfigurationFailsWithAClearMessage() {
    assertThrows(IllegalArgumentException.class, () -> WindowSpec.tumbling(Duration.ZERO));
    assertThrows(
        IllegalArgumentException.class, () -> WindowSpec.sliding(MINUTE, Duration.millis(-1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> WindowSpec.sessions(MINUTE).withAllowedLateness(Duration.millis(-5)));
    assertThrows(
        IllegalArgumentException.class,
        () -> WindowSpec.tumbling(MINUTE).withEarlyFirings(Duration.ZERO));

    PCollection<String> records = p.apply(Create.of("a:1"));
    IllegalStateException noSpec =
        assertThrows(
            IllegalStateException.class,
            () ->
                records.apply("NoSpec", WindowedAggregate.of(CollectIds::keyOf, new CollectIds())));
    assertThat(noSpec.getMessage(), containsString("over(WindowSpec)"));
    IllegalStateException noKeyCoder =
        assertThrows(
            IllegalStateException.class,
            () ->
                records.apply(
                    "NoKeyCoder",
                    WindowedAggregate.of((String r) -> r, new CollectIds())
                        .over(WindowSpec.tumbling(MINUTE))));
    assertThat(noKeyCoder.getMessage(), containsString("withKeyCoder"));
    p.enableAbandonedNodeEnforcement(false);
  }

  // ---- helpers ----

  private static WindowedAggregate<String, String, ?, String> aggregate(WindowSpec spec) {
    return WindowedAggregate.of(CollectIds::keyOf, new CollectIds())
        .withKeyCoder(StringUtf8Coder.of())
        .over(spec);
  }

  private static TestStream.Builder<String> stream() {
    return TestStream.create(StringUtf8Coder.of());
  }

  static Instant t(String offset) {
    String[] parts = offset.split(":");
    long minutes = Long.parseLong(parts[0]);
    double seconds = Double.parseDouble(parts[1]);
    return T0.plus(Duration.millis(minutes * 60_000 + Math.round(seconds * 1000)));
  }

  static TimestampedValue<String> at(String record, String offset) {
    return TimestampedValue.of(record, t(offset));
  }

  static String offset(Instant instant) {
    long millis = instant.getMillis() - T0.getMillis();
    String sign = millis < 0 ? "-" : "";
    long abs = Math.abs(millis);
    String seconds = String.format("%02d", (abs % 60_000) / 1000);
    String ms = abs % 1000 == 0 ? "" : String.format(".%03d", abs % 1000);
    return sign + (abs / 60_000) + ":" + seconds + ms;
  }

  static PCollection<String> render(WindowedAggregate.Result<String, String, String> out) {
    return out.results()
        .apply(
            "Render",
            MapElements.into(TypeDescriptors.strings())
                .via(
                    r ->
                        r.key()
                            + " ["
                            + offset(r.windowStart())
                            + ","
                            + offset(r.windowEnd())
                            + ") "
                            + r.timing()
                            + "#"
                            + r.paneIndex()
                            + " = "
                            + r.value()));
  }

  static PCollection<String> renderLate(WindowedAggregate.Result<String, String, String> out) {
    return out.lateRecords()
        .apply(
            "RenderLate",
            MapElements.into(TypeDescriptors.strings())
                .via(
                    l ->
                        "late "
                            + CollectIds.idOf(l.value())
                            + " ["
                            + offset(l.windowStart())
                            + ","
                            + offset(l.windowEnd())
                            + ")"));
  }
}
