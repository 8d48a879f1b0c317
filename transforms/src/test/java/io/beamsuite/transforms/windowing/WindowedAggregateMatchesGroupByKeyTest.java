package io.beamsuite.transforms.windowing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The same disordered, partly late stream goes through {@link WindowedAggregate} and through Beam's
 * own {@code Window + Combine.perKey} with the same allowed lateness. Every window must end with
 * the same records on both sides, and the records {@link WindowedAggregate} routes late must be
 * exactly the ones the generator knows to be behind the watermark by more than the lateness (which
 * are the ones Beam drops silently).
 */
@RunWith(JUnit4.class)
public class WindowedAggregateMatchesGroupByKeyTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration WINDOW = Duration.standardMinutes(1);
  private static final Duration LATENESS = Duration.standardSeconds(30);
  private static final int RECORDS = 400;

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void finalPanesAndLateRecordsAgreeWithBeamsGroupByKey() {
    Random random = new Random(42);
    TestStream.Builder<String> stream = TestStream.create(StringUtf8Coder.of());
    List<String> expectedLate = new ArrayList<>();
    long watermark = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis(); // TestStream starts at -inf
    for (int i = 0; i < RECORDS; i++) {
      // Event time drifts forward; a record is up to 120 s behind the frontier, so some miss the
      // window plus lateness, some land just inside it, most are on time.
      long frontier = T0.getMillis() + i * 1_500L;
      long eventTime = frontier - random.nextInt(120_000);
      String record = "k" + random.nextInt(5) + ":" + i;
      long windowMax =
          eventTime - Math.floorMod(eventTime, WINDOW.getMillis()) + WINDOW.getMillis() - 1;
      if (windowMax + LATENESS.getMillis() < watermark) {
        expectedLate.add(String.valueOf(i));
      }
      stream = stream.addElements(TimestampedValue.of(record, new Instant(eventTime)));
      if (i % 10 == 9) {
        // Watermarks land on multiples of 15 s, so they hit "window end + lateness" exactly, and
        // every third one stops 1 ms short of it: both sides of the boundary are exercised.
        long next = Math.floorDiv(frontier - 30_000, 15_000) * 15_000 - (i % 30 == 29 ? 1 : 0);
        watermark = Math.max(watermark, next);
        stream = stream.advanceWatermarkTo(new Instant(watermark));
      }
    }
    // Guard against a vacuous comparison: the generated stream must contain late records.
    org.junit.Assert.assertTrue(
        "stream should contain late records, has " + expectedLate.size(), expectedLate.size() > 10);
    PCollection<String> records = p.apply(stream.advanceWatermarkToInfinity());

    WindowedAggregate.Result<String, String, String> ours =
        records.apply(
            "Ours",
            WindowedAggregate.of(CollectIds::keyOf, new CollectIds())
                .withKeyCoder(StringUtf8Coder.of())
                .over(WindowSpec.tumbling(WINDOW).withAllowedLateness(LATENESS).accumulating()));
    PCollection<KV<String, KV<Long, String>>> ourFinal =
        ours.results()
            .apply(
                "OurPanes",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(),
                            TypeDescriptors.kvs(
                                TypeDescriptors.longs(), TypeDescriptors.strings())))
                    .via(
                        r ->
                            KV.of(
                                "ours " + r.key() + " " + r.windowStart().getMillis(),
                                KV.of(r.paneIndex(), r.value()))))
            .apply("OurGlobal", atEndOfInput())
            .apply("OurFinalPane", Combine.perKey(new LastPane()));

    PCollection<KV<String, KV<Long, String>>> beamFinal =
        records
            .apply(
                "BeamWindows",
                Window.<String>into(FixedWindows.of(WINDOW))
                    .withAllowedLateness(LATENESS)
                    .accumulatingFiredPanes())
            .apply(
                "BeamKeys",
                WithKeys.of((SerializableFunction<String, String>) CollectIds::keyOf)
                    .withKeyType(TypeDescriptors.strings()))
            .apply("BeamCombine", Combine.perKey(new CollectIds()))
            .apply("BeamPanes", ParDo.of(new TagWithWindowFn()))
            .setCoder(
                KvCoder.of(
                    StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), StringUtf8Coder.of())))
            .apply("BeamGlobal", atEndOfInput())
            .apply("BeamFinalPane", Combine.perKey(new LastPane()));

    PCollection<String> mismatches =
        PCollectionList.of(ourFinal)
            .and(beamFinal)
            .apply(Flatten.pCollections())
            .apply(
                "PairUp",
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                    .via(
                        kv ->
                            KV.of(
                                kv.getKey().substring(kv.getKey().indexOf(' ') + 1),
                                kv.getKey().substring(0, kv.getKey().indexOf(' '))
                                    + "="
                                    + kv.getValue().getValue())))
            .apply(GroupByKey.create())
            .apply(
                "Compare",
                MapElements.into(TypeDescriptors.strings())
                    .via(
                        kv -> {
                          TreeSet<String> sides = new TreeSet<>();
                          kv.getValue().forEach(sides::add);
                          List<String> values = new ArrayList<>(sides);
                          boolean same =
                              values.size() == 2
                                  && values.get(0).startsWith("beam=")
                                  && values.get(1).startsWith("ours=")
                                  && values.get(0).substring(5).equals(values.get(1).substring(5));
                          return same ? "" : kv.getKey() + " " + values;
                        }))
            .apply("OnlyMismatches", org.apache.beam.sdk.transforms.Filter.by(s -> !s.isEmpty()));

    PAssert.that(mismatches).empty();
    PAssert.that(
            ours.lateRecords()
                .apply(
                    "LateIds",
                    MapElements.into(TypeDescriptors.strings())
                        .via(l -> CollectIds.idOf(l.value()))))
        .containsInAnyOrder(expectedLate);
    p.run();
  }

  @Test
  public void slidingWindowsAgreeWithBeamOnARandomLateStream() {
    Duration size = Duration.standardMinutes(2);
    randomStreamAgreesWithBeam(
        WindowSpec.sliding(size, WINDOW).withAllowedLateness(LATENESS).accumulating(),
        Window.<String>into(SlidingWindows.of(size).every(WINDOW))
            .withAllowedLateness(LATENESS)
            .accumulatingFiredPanes(),
        (eventTime, watermark) -> {
          List<String> late = new ArrayList<>();
          long lastStart = eventTime - Math.floorMod(eventTime, WINDOW.getMillis());
          for (long start = lastStart;
              start > eventTime - size.getMillis();
              start -= WINDOW.getMillis()) {
            if (start + size.getMillis() - 1 + LATENESS.getMillis() < watermark) {
              late.add(
                  " ["
                      + WindowedAggregateTest.offset(new Instant(start))
                      + ","
                      + WindowedAggregateTest.offset(new Instant(start + size.getMillis()))
                      + ")");
            }
          }
          return late;
        });
  }

  @Test
  public void sessionsRouteLateOnlyWhatBeamDropsOnARandomLateStream() {
    // Session ends are not aligned, so a key probes the watermark every gap only: it may accept a
    // record Beam drops (up to one gap after the watermark passed its proto-session's expiry), but
    // never routes late a record Beam keeps.
    Duration gap = Duration.standardSeconds(20);
    Random random = new Random(7);
    TestStream.Builder<String> stream = TestStream.create(StringUtf8Coder.of());
    List<String> droppedByBeam = new ArrayList<>();
    long watermark = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();
    for (int i = 0; i < 300; i++) {
      long frontier = T0.getMillis() + i * 1_500L;
      long eventTime = frontier - random.nextInt(120_000);
      stream =
          stream.addElements(
              TimestampedValue.of("k" + random.nextInt(3) + ":" + i, new Instant(eventTime)));
      if (eventTime + gap.getMillis() - 1 + LATENESS.getMillis() < watermark) {
        droppedByBeam.add(String.valueOf(i));
      }
      if (i % 10 == 9) {
        watermark = Math.max(watermark, Math.floorDiv(frontier - 30_000, 15_000) * 15_000);
        stream = stream.advanceWatermarkTo(new Instant(watermark));
      }
    }
    org.junit.Assert.assertTrue("stream should contain late records", droppedByBeam.size() > 10);
    WindowedAggregate.Result<String, String, String> ours =
        p.apply(stream.advanceWatermarkToInfinity())
            .apply(
                WindowedAggregate.of(CollectIds::keyOf, new CollectIds())
                    .withKeyCoder(StringUtf8Coder.of())
                    .over(WindowSpec.sessions(gap).withAllowedLateness(LATENESS)));
    PAssert.that(
            ours.lateRecords()
                .apply(
                    "LateIds",
                    MapElements.into(TypeDescriptors.strings())
                        .via(l -> CollectIds.idOf(l.value()))))
        .satisfies(
            lateIds -> {
              for (String id : lateIds) {
                org.junit.Assert.assertTrue(
                    "routed late but kept by Beam: " + id, droppedByBeam.contains(id));
              }
              return null;
            });
    p.run();
  }

  /**
   * The windows (rendered " [start,end)") a record misses at {@code watermark}, as Beam drops it.
   */
  private interface LateWindows extends java.io.Serializable {
    List<String> at(long eventTime, long watermark);
  }

  /**
   * The generator of {@link #finalPanesAndLateRecordsAgreeWithBeamsGroupByKey} (fewer keys, so
   * sessions merge), for any window shape: every window's final pane equals Beam's, and the late
   * records are exactly the (record, window) pairs Beam drops.
   */
  private void randomStreamAgreesWithBeam(
      WindowSpec spec, Window<String> beamWindowing, LateWindows lateWindows) {
    Random random = new Random(7);
    TestStream.Builder<String> stream = TestStream.create(StringUtf8Coder.of());
    List<String> expectedLate = new ArrayList<>();
    long watermark = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();
    for (int i = 0; i < 300; i++) {
      long frontier = T0.getMillis() + i * 1_500L;
      long eventTime = frontier - random.nextInt(120_000);
      stream =
          stream.addElements(
              TimestampedValue.of("k" + random.nextInt(3) + ":" + i, new Instant(eventTime)));
      for (String window : lateWindows.at(eventTime, watermark)) {
        expectedLate.add("late " + i + window);
      }
      if (i % 10 == 9) {
        long next = Math.floorDiv(frontier - 30_000, 15_000) * 15_000 - (i % 30 == 29 ? 1 : 0);
        watermark = Math.max(watermark, next);
        stream = stream.advanceWatermarkTo(new Instant(watermark));
      }
    }
    org.junit.Assert.assertTrue(
        "stream should contain late records, has " + expectedLate.size(), expectedLate.size() > 10);
    PCollection<String> records = p.apply(stream.advanceWatermarkToInfinity());

    WindowedAggregate.Result<String, String, String> ours =
        records.apply(
            "Ours",
            WindowedAggregate.of(CollectIds::keyOf, new CollectIds())
                .withKeyCoder(StringUtf8Coder.of())
                .over(spec));
    PCollection<String> ourFinal =
        ours.results()
            .apply(
                "OurPanes",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(),
                            TypeDescriptors.kvs(
                                TypeDescriptors.longs(), TypeDescriptors.strings())))
                    .via(
                        r ->
                            KV.of(
                                r.key()
                                    + " ["
                                    + WindowedAggregateTest.offset(r.windowStart())
                                    + ","
                                    + WindowedAggregateTest.offset(r.windowEnd())
                                    + ")",
                                KV.of(r.paneIndex(), r.value()))))
            .apply("OurGlobal", atEndOfInput())
            .apply("OurFinalPane", Combine.perKey(new LastPane()))
            .apply(
                "OurRender",
                MapElements.into(TypeDescriptors.strings())
                    .via(kv -> kv.getKey() + " = " + kv.getValue().getValue()));
    PCollection<String> beamFinal =
        records
            .apply("BeamWindows", beamWindowing)
            .apply(
                "BeamKeys",
                WithKeys.of((SerializableFunction<String, String>) CollectIds::keyOf)
                    .withKeyType(TypeDescriptors.strings()))
            .apply("BeamCombine", Combine.perKey(new CollectIds()))
            .apply("BeamPanes", ParDo.of(new TagWithBoundsFn()))
            .setCoder(
                KvCoder.of(
                    StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), StringUtf8Coder.of())))
            .apply("BeamGlobal", atEndOfInput())
            .apply("BeamFinalPane", Combine.perKey(new LastPane()))
            .apply(
                "BeamRender",
                MapElements.into(TypeDescriptors.strings())
                    .via(kv -> kv.getKey() + " = " + kv.getValue().getValue()));

    PAssert.that(
            PCollectionList.of(
                    ourFinal.apply(
                        "TagOurs",
                        MapElements.into(TypeDescriptors.strings()).via(x -> "ours " + x)))
                .and(
                    beamFinal.apply(
                        "TagBeam",
                        MapElements.into(TypeDescriptors.strings()).via(x -> "beam " + x)))
                .apply("BothSides", Flatten.pCollections())
                .apply(
                    "PairUp",
                    MapElements.into(
                            TypeDescriptors.kvs(
                                TypeDescriptors.strings(), TypeDescriptors.strings()))
                        .via(x -> KV.of(x.substring(5), x.substring(0, 4))))
                .apply("BySide", GroupByKey.create())
                .apply(
                    "OneSided",
                    MapElements.into(TypeDescriptors.strings())
                        .via(
                            kv -> {
                              TreeSet<String> sides = new TreeSet<>();
                              kv.getValue().forEach(sides::add);
                              return sides.size() == 2 ? "" : kv.getKey() + " only in " + sides;
                            }))
                .apply("Mismatches", org.apache.beam.sdk.transforms.Filter.by(x -> !x.isEmpty())))
        .empty();
    PAssert.that(WindowedAggregateTest.renderLate(ours)).containsInAnyOrder(expectedLate);
    p.run();
  }

  /** Beam's pane keyed like ours: "key [start,end)" with its index and value. */
  static final class TagWithBoundsFn
      extends DoFn<KV<String, String>, KV<String, KV<Long, String>>> {
    @ProcessElement
    public void process(
        @Element KV<String, String> kv,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<KV<String, KV<Long, String>>> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(
          KV.of(
              kv.getKey()
                  + " ["
                  + WindowedAggregateTest.offset(w.start())
                  + ","
                  + WindowedAggregateTest.offset(w.end())
                  + ")",
              KV.of(pane.getIndex(), kv.getValue())));
    }
  }

  // ---- exact boundaries: every pane, not only the final one, equals Beam's ----

  @Test
  public void tumblingBoundariesAtEndAtEndPlusLatenessAndOneMillisecondPast() {
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:10"), at("a:2", "0:50"), at("b:10", "1:10"))
            // Exactly the window's max timestamp: the window is not yet past its end.
            .advanceWatermarkTo(t("0:59.999"))
            .addElements(at("a:3", "0:20"))
            // Exactly the window end: on-time pane, later records fire late panes. b has no record
            // in [0:00,1:00) yet, so its first pane there is LATE, index 0.
            .advanceWatermarkTo(t("1:00"))
            .addElements(at("a:4", "0:30"))
            .addElements(at("b:11", "0:59.999"))
            // Exactly end + allowed lateness: still accepted.
            .advanceWatermarkTo(t("1:29.999"))
            .addElements(at("a:5", "0:40"))
            // One millisecond past it: closed, for a and for b alike.
            .advanceWatermarkTo(t("1:30"))
            .addElements(at("a:6", "0:45"))
            .addElements(at("b:12", "0:01"))
            .advanceWatermarkToInfinity();

    assertSameAsBeam(
        events,
        WindowSpec.tumbling(WINDOW).withAllowedLateness(LATENESS).accumulating(),
        Window.<String>into(FixedWindows.of(WINDOW))
            .withAllowedLateness(LATENESS)
            .accumulatingFiredPanes(),
        List.of(
            "a [0:00,1:00) ON_TIME#0 = 1,2,3",
            "a [0:00,1:00) LATE#1 = 1,2,3,4",
            "a [0:00,1:00) LATE#2 = 1,2,3,4,5",
            "b [0:00,1:00) LATE#0 = 11",
            "b [1:00,2:00) ON_TIME#0 = 10"),
        List.of("late 6 [0:00,1:00)", "late 12 [0:00,1:00)"));
  }

  @Test
  public void slidingBoundariesRouteOnlyTheClosedWindowOfARecord() {
    Duration size = Duration.standardMinutes(2);
    TestStream<String> events =
        stream()
            .addElements(at("a:1", "0:30"), at("a:2", "1:30"))
            .advanceWatermarkTo(t("1:00"))
            // In [-1:00,1:00) (closed: no lateness) and [0:00,2:00) (open).
            .addElements(at("a:3", "0:59.999"))
            .advanceWatermarkTo(t("1:59.999"))
            .addElements(at("a:4", "1:00"))
            .advanceWatermarkTo(t("2:00"))
            .addElements(at("a:5", "1:59"))
            .advanceWatermarkToInfinity();

    assertSameAsBeam(
        events,
        WindowSpec.sliding(size, WINDOW),
        Window.<String>into(SlidingWindows.of(size).every(WINDOW)).discardingFiredPanes(),
        List.of(
            "a [-1:00,1:00) ON_TIME#0 = 1",
            "a [0:00,2:00) ON_TIME#0 = 1,2,3,4",
            "a [1:00,3:00) ON_TIME#0 = 2,4,5"),
        List.of("late 3 [-1:00,1:00)", "late 5 [0:00,2:00)"));
  }

  @Test
  public void sessionBoundariesUseTheRecordsOwnProtoSession() {
    Duration gap = Duration.standardMinutes(10);
    Duration lateness = Duration.standardMinutes(5);
    TestStream<String> events =
        stream()
            // b: [0:00,10:00) and [9:59.999,19:59.999) overlap and merge; [20:00,30:00) only
            // touches the merged session's end, so it stays apart.
            .addElements(at("a:1", "0:00"), at("b:10", "0:00"), at("b:11", "20:00"))
            .addElements(at("b:12", "9:59.999"))
            .advanceWatermarkTo(t("14:59.999"))
            // At end + lateness of [0:00,10:00): accepted, late pane.
            .addElements(at("a:2", "0:00"))
            .advanceWatermarkTo(t("15:00"))
            // One millisecond past: dropped.
            .addElements(at("a:3", "0:00"))
            // Its proto-session [4:00,14:00) is within lateness: a new session, first pane LATE.
            .addElements(at("a:4", "4:00"))
            .advanceWatermarkToInfinity();

    assertSameAsBeam(
        events,
        WindowSpec.sessions(gap).withAllowedLateness(lateness).accumulating(),
        Window.<String>into(Sessions.withGapDuration(gap))
            .withAllowedLateness(lateness)
            .accumulatingFiredPanes(),
        List.of(
            "a [0:00,10:00) ON_TIME#0 = 1",
            "a [0:00,10:00) LATE#1 = 1,2",
            "a [4:00,14:00) LATE#0 = 4",
            "b [0:00,19:59.999) ON_TIME#0 = 10,12",
            "b [20:00,30:00) ON_TIME#0 = 11"),
        List.of("late 3 [0:00,10:00)"));
  }

  /**
   * Runs {@code events} through {@link WindowedAggregate} and through Beam's {@code Window +
   * Combine.perKey}, and checks both give exactly {@code panes}, and that ours routes exactly
   * {@code late} (the records Beam drops: they are in no pane of Beam's).
   */
  private void assertSameAsBeam(
      TestStream<String> events,
      WindowSpec spec,
      Window<String> beamWindowing,
      List<String> panes,
      List<String> late) {
    PCollection<String> records = p.apply(events);
    WindowedAggregate.Result<String, String, String> ours =
        records.apply(
            "Ours",
            WindowedAggregate.of(CollectIds::keyOf, new CollectIds())
                .withKeyCoder(StringUtf8Coder.of())
                .over(spec));
    PCollection<String> beamPanes =
        records
            .apply("BeamWindows", beamWindowing)
            .apply(
                "BeamKeys",
                WithKeys.of((SerializableFunction<String, String>) CollectIds::keyOf)
                    .withKeyType(TypeDescriptors.strings()))
            .apply("BeamCombine", Combine.perKey(new CollectIds()))
            .apply("BeamRender", ParDo.of(new RenderBeamPaneFn()));
    PAssert.that(WindowedAggregateTest.render(ours)).containsInAnyOrder(panes);
    PAssert.that(beamPanes).containsInAnyOrder(panes);
    PAssert.that(WindowedAggregateTest.renderLate(ours)).containsInAnyOrder(late);
    p.run();
  }

  private static TestStream.Builder<String> stream() {
    return TestStream.create(StringUtf8Coder.of());
  }

  private static Instant t(String offset) {
    return WindowedAggregateTest.t(offset);
  }

  private static TimestampedValue<String> at(String record, String offset) {
    return WindowedAggregateTest.at(record, offset);
  }

  /** Beam's pane in the same rendering as {@link WindowedAggregateTest#render}. */
  static final class RenderBeamPaneFn extends DoFn<KV<String, String>, String> {
    @ProcessElement
    public void process(
        @Element KV<String, String> kv,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<String> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(
          kv.getKey()
              + " ["
              + WindowedAggregateTest.offset(w.start())
              + ","
              + WindowedAggregateTest.offset(w.end())
              + ") "
              + pane.getTiming()
              + "#"
              + pane.getIndex()
              + " = "
              + kv.getValue());
    }
  }

  /** Global window firing once, when the (unbounded) test stream's watermark reaches the end. */
  private static Window<KV<String, KV<Long, String>>> atEndOfInput() {
    return Window.<KV<String, KV<Long, String>>>into(new GlobalWindows())
        .triggering(Repeatedly.forever(AfterWatermark.pastEndOfWindow()))
        .withAllowedLateness(Duration.ZERO)
        .discardingFiredPanes();
  }

  /** Keeps the pane with the highest index: the complete value in accumulating mode. */
  static final class LastPane extends Combine.BinaryCombineFn<KV<Long, String>> {
    @Override
    public KV<Long, String> apply(KV<Long, String> left, KV<Long, String> right) {
      return left.getKey() >= right.getKey() ? left : right;
    }
  }

  static final class TagWithWindowFn
      extends DoFn<KV<String, String>, KV<String, KV<Long, String>>> {
    @ProcessElement
    public void process(
        @Element KV<String, String> kv,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<KV<String, KV<Long, String>>> out) {
      out.output(
          KV.of(
              "beam " + kv.getKey() + " " + ((IntervalWindow) window).start().getMillis(),
              KV.of(pane.getIndex(), kv.getValue())));
    }
  }
}
