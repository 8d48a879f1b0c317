package io.beamsuite.pipelines.options;

import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options of a pipeline whose results are wanted within seconds of their input (the fraud alerts):
 * the shared defaults that trade latency for throughput are chosen for latency instead.
 *
 * <ul>
 *   <li>{@code --maxOutOfOrdernessSeconds} defaults to {@value #MAX_OUT_OF_ORDERNESS_SECONDS}
 *       instead of 60 (the watermark, and so anything that waits for it, trails by that much);
 *   <li>on the Flink runner, a streaming run gets short bundles and frequent watermarks ({@link
 *       #preferLowLatencyOnFlink}) unless those Flink options are given.
 * </ul>
 *
 * <pre>{@code
 * public interface FraudOptions extends LowLatencyOptions { ... }
 * LowLatencyOptions.preferLowLatencyOnFlink(options); // in the pipeline's build(...)
 * }</pre>
 */
public interface LowLatencyOptions extends BeamsuiteOptions {
  /** Default watermark delay of a low-latency pipeline, in seconds. */
  long MAX_OUT_OF_ORDERNESS_SECONDS = 3;

  /** Flink bundle length and watermark interval of a low-latency streaming run, in ms. */
  long FLINK_BUNDLE_AND_WATERMARK_MILLIS = 100;

  /**
   * Flink bundle size of a low-latency streaming run, in elements: one, because the Flink runner's
   * operators drop a watermark that arrives while a bundle is open (the launcher's default too).
   */
  long FLINK_BUNDLE_SIZE = 1;

  /**
   * On the Flink runner, sets {@code maxBundleTimeMills} and {@code autoWatermarkInterval} to
   * {@value #FLINK_BUNDLE_AND_WATERMARK_MILLIS} ms and {@code maxBundleSize} to {@value
   * #FLINK_BUNDLE_SIZE} where they still hold Flink's defaults (1000 ms / 10000 ms, none, 1000 /
   * 5000 elements): a step that writes at the end of a bundle, or waits for a watermark, then waits
   * a tenth of a second instead of a second. Other runners are left alone. Flink's options are
   * reached by name, so the pipelines need no compile-time dependency on the runner.
   */
  static void preferLowLatencyOnFlink(PipelineOptions options) {
    if (!FlinkStreamingBundles.onFlinkRunner(options)) {
      return;
    }
    long millis = FLINK_BUNDLE_AND_WATERMARK_MILLIS;
    FlinkStreamingBundles.setIfDefault(
        options, "MaxBundleTimeMills", Set.of(1_000L, 10_000L), millis);
    FlinkStreamingBundles.setIfDefault(
        options,
        "MaxBundleSize",
        FlinkStreamingBundles.FLINK_DEFAULT_BUNDLE_SIZES,
        FLINK_BUNDLE_SIZE);
    FlinkStreamingBundles.setIfDefault(options, "AutoWatermarkInterval", Set.of(), millis);
  }
}
