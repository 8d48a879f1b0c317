package io.beamsuite.pipelines.options;

import static org.junit.Assert.assertEquals;

import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.fraud.FraudOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/** The latency-first defaults of {@link LowLatencyOptions} and who gets them. */
public class LowLatencyOptionsTest {
  @Test
  public void fraudTrailsTheWatermarkBySecondsOtherPipelinesByAMinute() {
    assertEquals(3, PipelineOptionsFactory.as(FraudOptions.class).getMaxOutOfOrdernessSeconds());
    assertEquals(
        60, PipelineOptionsFactory.as(ClickstreamOptions.class).getMaxOutOfOrdernessSeconds());
    // A value given is kept, also the other pipelines' default.
    assertEquals(
        60,
        PipelineOptionsFactory.fromArgs("--maxOutOfOrdernessSeconds=60")
            .as(FraudOptions.class)
            .getMaxOutOfOrdernessSeconds());
  }

  @Test
  public void flinkGetsShortBundlesAndFrequentWatermarksUnlessGiven() throws Exception {
    PipelineOptions defaults =
        PipelineOptionsFactory.fromArgs("--runner=FlinkRunner").as(FraudOptions.class);
    LowLatencyOptions.preferLowLatencyOnFlink(defaults);
    assertEquals(100L, flink(defaults, "MaxBundleTimeMills"));
    assertEquals(1L, flink(defaults, "MaxBundleSize"));
    assertEquals(100L, flink(defaults, "AutoWatermarkInterval"));

    PipelineOptions given =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner", "--maxBundleTimeMills=500", "--autoWatermarkInterval=50")
            .as(FraudOptions.class);
    LowLatencyOptions.preferLowLatencyOnFlink(given);
    assertEquals(500L, flink(given, "MaxBundleTimeMills"));
    assertEquals(50L, flink(given, "AutoWatermarkInterval"));
  }

  /** A Flink option read by name: the runner is only on the runtime classpath. */
  private static Object flink(PipelineOptions options, String property) throws Exception {
    Class<? extends PipelineOptions> flink =
        Class.forName("org.apache.beam.runners.flink.FlinkPipelineOptions")
            .asSubclass(PipelineOptions.class);
    return flink.getMethod("get" + property).invoke(options.as(flink));
  }
}
