package io.beamsuite.transforms.dedup;

import static io.beamsuite.transforms.testing.PipelineMetrics.counter;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.beamsuite.transforms.records.SourceCoordinates;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
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
 * Exact-output tests of {@link Dedup}. Records are {@code "id@copy"}; a record starting with {@code
 * "-"} has no id.
 */
@RunWith(JUnit4.class)
public class DedupTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration RETENTION = Duration.standardMinutes(10);
  private static final SerializableFunction<String, String> ID =
      r -> r.startsWith("-") ? null : r.substring(0, r.indexOf('@'));

  @Rule public final transient TestPipeline p = TestPipeline.create();

  // Arrival order decides which copy is "first", so every test fixes it with a TestStream and
  // puts copies of one id in separate steps.

  @Test
  public void keepsTheFirstArrivalAndCountsEveryLaterCopy() {
    TestStream<String> events =
        stream()
            .addElements(at("x@1", 0), at("y@1", 1))
            .addElements(at("x@2", 2))
            // The copy with the earliest event time arrives last: still a duplicate.
            .addElements(at("x@3", -5), at("z@1", 3), at("y@2", 9))
            .advanceWatermarkToInfinity();

    Dedup.Result<String> out = p.apply(events).apply(Dedup.byId(ID).withRetention(RETENTION));

    PAssert.that(out.unique()).containsInAnyOrder("x@1", "y@1", "z@1");
    PAssert.that(out.duplicates()).containsInAnyOrder("x@2", "x@3", "y@2");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(6, counter(result, Dedup.class, "records_in"));
    assertEquals(3, counter(result, Dedup.class, "unique"));
    assertEquals(3, counter(result, Dedup.class, "duplicates_dropped"));
  }

  @Test
  public void remembersAnIdUntilTheWatermarkPassesLatestCopyPlusRetention() {
    TestStream<String> events =
        stream()
            .addElements(at("x@1", 0), at("y@1", 0))
            // A later copy of y extends its retention to minute 5 + 10.
            .addElements(at("y@2", 5))
            // Watermark exactly at x's latest event time + retention: x is still remembered.
            .advanceWatermarkTo(T0.plus(RETENTION))
            .addElements(at("x@2", 0))
            // One millisecond past it, x is forgotten; y is not.
            .advanceWatermarkTo(T0.plus(RETENTION).plus(Duration.millis(1)))
            .addElements(at("x@3", 0), at("y@3", 1))
            .advanceWatermarkTo(T0.plus(Duration.standardMinutes(15)).plus(Duration.millis(1)))
            .addElements(at("y@4", 2))
            .advanceWatermarkToInfinity();

    // One key per id (the default on every runner but Direct): expiry exact to the millisecond.
    Dedup.Result<String> out =
        p.apply(events).apply(Dedup.byId(ID).withRetention(RETENTION).withKeyBuckets(0));

    PAssert.that(out.unique()).containsInAnyOrder("x@1", "y@1", "x@3", "y@4");
    PAssert.that(out.duplicates()).containsInAnyOrder("y@2", "x@2", "y@3");
    p.run();
  }

  @Test
  public void keyBucketsKeepTheFirstArrivalOfEveryId() {
    TestStream<String> events =
        stream()
            .addElements(at("x@1", 0), at("y@1", 1))
            .addElements(at("x@2", 2))
            .addElements(at("x@3", -5), at("z@1", 3), at("y@2", 9))
            .advanceWatermarkToInfinity();

    // Two buckets for three ids: at least two ids share a bucket's map.
    Dedup.Result<String> out =
        p.apply(events).apply(Dedup.byId(ID).withRetention(RETENTION).withKeyBuckets(2));

    PAssert.that(out.unique()).containsInAnyOrder("x@1", "y@1", "z@1");
    PAssert.that(out.duplicates()).containsInAnyOrder("x@2", "x@3", "y@2");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(3, counter(result, Dedup.class, "unique"));
    assertEquals(3, counter(result, Dedup.class, "duplicates_dropped"));
  }

  @Test
  public void keyBucketsRememberAnIdForRetentionAndForgetItWithinOneSlotMore() {
    // RETENTION is 10 minutes, so slots are 37.5 s: expiry at minute 10 is rounded up to 10:37.5.
    Duration slot = Duration.millis(RETENTION.getMillis() / 16);
    TestStream<String> events =
        stream()
            .addElements(at("x@1", 0), at("y@1", 0))
            .addElements(at("y@2", 5))
            // Exactly at x's retention end: remembered, as without buckets.
            .advanceWatermarkTo(T0.plus(RETENTION))
            .addElements(at("x@2", 0))
            // Past the slot holding x's retention end: forgotten; y (retention to minute 15) is
            // not.
            .advanceWatermarkTo(T0.plus(RETENTION).plus(slot).plus(Duration.millis(1)))
            .addElements(at("x@3", 0), at("y@3", 1))
            .advanceWatermarkTo(
                T0.plus(Duration.standardMinutes(15)).plus(slot).plus(Duration.millis(1)))
            .addElements(at("y@4", 2))
            .advanceWatermarkToInfinity();

    Dedup.Result<String> out =
        p.apply(events).apply(Dedup.byId(ID).withRetention(RETENTION).withKeyBuckets(1));

    PAssert.that(out.unique()).containsInAnyOrder("x@1", "y@1", "x@3", "y@4");
    PAssert.that(out.duplicates()).containsInAnyOrder("y@2", "x@2", "y@3");
    p.run();
  }

  @Test
  public void deduplicatesAcrossWindowsAndKeepsTheInputWindowing() {
    TestStream<String> events =
        stream()
            .addElements(at("x@1", 0))
            .addElements(at("x@2", 1), at("y@1", 1))
            .addElements(at("x@3", 2), at("y@2", 3))
            .advanceWatermarkToInfinity();
    PCollection<String> windowed =
        p.apply(events).apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))));

    Dedup.Result<String> out = windowed.apply(Dedup.byId(ID).withRetention(RETENTION));

    // Copies fell into four different one-minute windows; only first arrivals survive, each still
    // in its own one-minute window, so a per-window count sees them separately.
    PAssert.that(out.unique().apply(ParDo.of(new WithWindowStartFn())))
        .containsInAnyOrder("x@1 in 0", "y@1 in 1");
    PAssert.that(out.unique().apply(Combine.globally(Count.<String>combineFn()).withoutDefaults()))
        .containsInAnyOrder(1L, 1L);
    p.run();
  }

  @Test
  public void recordsWithoutAnIdPassThroughAndReconcile() {
    TestStream<String> events =
        stream()
            .addElements(at("-a", 0), at("-a", 1), at("x@1", 0))
            .addElements(at("x@2", 0))
            .advanceWatermarkToInfinity();

    Dedup.Result<String> out = p.apply(events).apply(Dedup.byId(ID));

    PAssert.that(out.unique()).containsInAnyOrder("-a", "-a", "x@1");
    PAssert.that(out.duplicates()).containsInAnyOrder("x@2");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(4, counter(result, Dedup.class, "records_in"));
    assertEquals(2, counter(result, Dedup.class, "records_without_id"));
    assertEquals(
        counter(result, Dedup.class, "records_in"),
        counter(result, Dedup.class, "unique")
            + counter(result, Dedup.class, "duplicates_dropped"));
  }

  @Test
  public void boundedInputKeepsOneCopyOfEveryIdWithTheRunnersBucketChoice() {
    // Arrival order inside a bounded collection is the runner's, so only "one copy per id" is
    // fixed; the DirectRunner gets buckets without being asked.
    PCollection<String> records =
        p.apply(
            Create.timestamped(
                at("x@1", 0),
                at("x@2", 1),
                at("y@1", 2),
                at("x@3", -5),
                at("z@1", 3),
                at("y@2", 90)));

    Dedup.Result<String> out = records.apply(Dedup.byId(ID).withRetention(RETENTION));

    PAssert.that(
            out.unique()
                .apply("UniqueIds", MapElements.into(TypeDescriptors.strings()).via(ID::apply)))
        .containsInAnyOrder("x", "y", "z");
    PAssert.that(
            out.duplicates()
                .apply("DuplicateIds", MapElements.into(TypeDescriptors.strings()).via(ID::apply)))
        .containsInAnyOrder("x", "x", "y");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(3, counter(result, Dedup.class, "unique"));
    assertEquals(3, counter(result, Dedup.class, "duplicates_dropped"));
    assertEquals(true, stepNames(p).contains("DropDuplicatesPerBucket"));
  }

  @Test
  public void withSourceOrderBoundedInputKeepsTheCopyReadFirstInItsOwnWindow() {
    // Off the DirectRunner (this one is the DirectRunner under another name): the copies of an id
    // are grouped and compared. "id@line": the copies are listed against their source order, as a
    // runner that regroups a bounded input (Flink's batch sort) may hand them over; "@-" has no
    // source position.
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(GroupingRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    PCollection<String> records =
        pipeline
            .apply(
                Create.timestamped(
                    at("x@30", 0), at("x@10", 5), at("x@20", 2), at("y@-", 1), at("y@70", 3)))
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))));

    Dedup.Result<String> out = records.apply(Dedup.byId(ID).withSourceOrder(LINE));

    // Each copy keeps its own timestamp, so its own one-minute window.
    PAssert.that(out.unique().apply("UniqueWindows", ParDo.of(new WithWindowStartFn())))
        .containsInAnyOrder("x@10 in 5", "y@70 in 3");
    PAssert.that(out.duplicates().apply("DuplicateWindows", ParDo.of(new WithWindowStartFn())))
        .containsInAnyOrder("x@30 in 0", "x@20 in 2", "y@- in 1");
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertEquals(2, counter(result, Dedup.class, "unique"));
    assertEquals(3, counter(result, Dedup.class, "duplicates_dropped"));
    assertEquals(
        true, stepNames(pipeline).stream().anyMatch(s -> s.endsWith("/KeepFirstInSourceOrder")));
    // The DirectRunner itself keeps the stateful dedup in arrival order (see withSourceOrder).
    p.apply(Create.of("x@1")).apply(Dedup.byId(ID).withSourceOrder(LINE));
    assertEquals(false, stepNames(p).stream().anyMatch(s -> s.endsWith("/KeepFirstInSourceOrder")));
    p.enableAbandonedNodeEnforcement(false);
  }

  private static final SerializableFunction<String, SourceCoordinates> LINE =
      r -> {
        String line = r.substring(r.indexOf('@') + 1);
        return line.equals("-")
            ? null
            : SourceCoordinates.of("part-0.jsonl", 0, Long.parseLong(line));
      };

  /** The DirectRunner under another name, so Dedup takes the other runners' paths. */
  public static final class GroupingRunner extends PipelineRunner<PipelineResult> {
    private final PipelineOptions options;

    private GroupingRunner(PipelineOptions options) {
      this.options = options;
    }

    public static GroupingRunner fromOptions(PipelineOptions options) {
      return new GroupingRunner(options);
    }

    @Override
    public PipelineResult run(Pipeline pipeline) {
      return org.apache.beam.runners.direct.DirectRunner.fromOptions(options).run(pipeline);
    }
  }

  @Test
  public void bucketsByDefaultOnTheDirectRunnerAndForBoundedInputOnFlinkUnlessAsked() {
    // DirectRunner (this TestPipeline), bounded or not: buckets by default, none when asked for 0.
    assertEquals(true, usesBuckets(p, true, Dedup.byId(ID)));
    assertEquals(false, usesBuckets(p, true, Dedup.byId(ID).withKeyBuckets(0)));
    assertEquals(true, usesBuckets(p, false, Dedup.byId(ID)));
    assertEquals(false, usesBuckets(p, false, Dedup.byId(ID).withKeyBuckets(0)));
    // Any other runner: one key per id by default (no MapState in Runner v2 streaming), buckets
    // when asked for.
    PipelineOptions other = PipelineOptionsFactory.create();
    other.setRunner(CrashingRunner.class);
    assertEquals(false, usesBuckets(Pipeline.create(other), true, Dedup.byId(ID)));
    assertEquals(false, usesBuckets(Pipeline.create(other), false, Dedup.byId(ID)));
    assertEquals(true, usesBuckets(Pipeline.create(other), true, Dedup.byId(ID).withKeyBuckets(8)));
    assertEquals(
        true, usesBuckets(Pipeline.create(other), false, Dedup.byId(ID).withKeyBuckets(8)));
    // The Flink runner in batch mode, recognised by name: buckets for bounded input.
    PipelineOptions flink = PipelineOptionsFactory.create();
    flink.setRunner(FlinkRunner.class);
    assertEquals(true, usesBuckets(Pipeline.create(flink), true, Dedup.byId(ID)));
    assertEquals(false, usesBuckets(Pipeline.create(flink), false, Dedup.byId(ID)));
    p.enableAbandonedNodeEnforcement(false);
  }

  /** Named like Beam's Flink runner: Dedup recognises runners by simple class name. */
  public static final class FlinkRunner extends PipelineRunner<PipelineResult> {
    public static FlinkRunner fromOptions(PipelineOptions options) {
      return new FlinkRunner();
    }

    @Override
    public PipelineResult run(Pipeline pipeline) {
      throw new UnsupportedOperationException("only for building graphs");
    }
  }

  private static int graphs;

  private static boolean usesBuckets(Pipeline pipeline, boolean bounded, Dedup<String> dedup) {
    String name = "Graph" + (graphs++);
    PCollection<String> input = pipeline.apply(name + "Input", Create.of("x@1"));
    if (!bounded) {
      input.setIsBoundedInternal(PCollection.IsBounded.UNBOUNDED);
    }
    input.apply(name, dedup);
    return stepNames(pipeline).stream()
        .anyMatch(s -> s.startsWith(name + "/") && s.endsWith("DropDuplicatesPerBucket"));
  }

  private static java.util.Set<String> stepNames(Pipeline pipeline) {
    java.util.Set<String> names = new java.util.HashSet<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            names.add(node.getFullName());
            names.add(lastPart(node.getFullName()));
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            names.add(node.getFullName());
          }
        });
    return names;
  }

  private static String lastPart(String fullName) {
    return fullName.substring(fullName.lastIndexOf('/') + 1);
  }

  @Test
  public void rejectsANegativeBucketCount() {
    assertThrows(IllegalArgumentException.class, () -> Dedup.byId(ID).withKeyBuckets(-1));
  }

  @Test
  public void rejectsANonPositiveRetention() {
    assertThrows(IllegalArgumentException.class, () -> Dedup.byId(ID).withRetention(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> Dedup.byId(ID).withRetention(null));
  }

  private static final class WithWindowStartFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String record, BoundedWindow window, OutputReceiver<String> out) {
      long minute = (((IntervalWindow) window).start().getMillis() - T0.getMillis()) / 60_000;
      out.output(record + " in " + minute);
    }
  }

  private static TestStream.Builder<String> stream() {
    return TestStream.create(StringUtf8Coder.of());
  }

  private static TimestampedValue<String> at(String record, int minute) {
    return TimestampedValue.of(record, T0.plus(Duration.standardMinutes(minute)));
  }
}
