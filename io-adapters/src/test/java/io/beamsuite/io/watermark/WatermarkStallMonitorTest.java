package io.beamsuite.io.watermark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The stall warning fires when the watermark stands still while records arrive, and only then. */
@RunWith(JUnit4.class)
public class WatermarkStallMonitorTest {
  private static final Instant T0 = Instant.parse("2026-01-05T09:00:00Z");
  private static final Duration THRESHOLD = Duration.standardMinutes(2);

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void aWatermarkThatStandsStillIsReportedOncePerThreshold() {
    TestStream<String> stream =
        TestStream.create(StringUtf8Coder.of())
            .addElements(TimestampedValue.of("a", T0))
            .advanceProcessingTime(Duration.standardSeconds(90))
            .addElements(TimestampedValue.of("b", T0.plus(Duration.standardSeconds(5))))
            // 2 and then 4 minutes after the first record: the watermark never reached T0.
            .advanceProcessingTime(Duration.standardSeconds(40))
            .advanceProcessingTime(Duration.standardSeconds(130))
            .advanceWatermarkToInfinity();

    PCollection<String> warnings =
        p.apply(stream)
            .apply(WatermarkStallMonitor.<String>of("topic clicks").withThreshold(THRESHOLD));

    PAssert.that(warnings)
        .satisfies(
            found -> {
              List<String> all = new ArrayList<>();
              found.forEach(all::add);
              assertEquals(all.toString(), 2, all.size());
              assertTrue(
                  all.stream().allMatch(w -> w.contains("topic clicks has not passed " + T0)));
              assertTrue(all.stream().anyMatch(w -> w.contains("for at least 120 s")));
              assertTrue(all.stream().anyMatch(w -> w.contains("for at least 240 s")));
              assertTrue(all.get(0).contains("fewer partitions than the parallelism"));
              return null;
            });
    p.run();
  }

  @Test
  public void aWatermarkThatFollowsTheRecordsIsNotReported() {
    TestStream<String> stream =
        TestStream.create(StringUtf8Coder.of())
            .addElements(TimestampedValue.of("a", T0))
            .advanceProcessingTime(Duration.standardSeconds(30))
            .advanceWatermarkTo(T0.plus(Duration.standardSeconds(1)))
            .advanceProcessingTime(Duration.standardSeconds(200))
            .addElements(TimestampedValue.of("b", T0.plus(Duration.standardMinutes(10))))
            .advanceProcessingTime(Duration.standardSeconds(60))
            .advanceWatermarkTo(T0.plus(Duration.standardMinutes(11)))
            .advanceProcessingTime(Duration.standardSeconds(200))
            .advanceWatermarkToInfinity();

    PCollection<String> warnings =
        p.apply(stream)
            .apply(WatermarkStallMonitor.<String>of("topic clicks").withThreshold(THRESHOLD));

    PAssert.that(warnings).empty();
    p.run();
  }

  @Test(expected = IllegalArgumentException.class)
  public void aThresholdMustBePositive() {
    WatermarkStallMonitor.of("x").withThreshold(Duration.ZERO);
  }
}
