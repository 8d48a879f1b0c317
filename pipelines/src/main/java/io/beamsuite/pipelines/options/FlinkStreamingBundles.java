package io.beamsuite.pipelines.options;

import java.lang.reflect.Method;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;

/**
 * One-element bundles for a streaming run on the Flink runner, so that the watermark keeps moving.
 *
 * <p>The Flink runner's operators (Beam 2.70) do not pass on a watermark that arrives while a
 * bundle is open, and do not pass it on when that bundle finishes either; under a steady input a
 * bundle is nearly always open, so the watermark stalled until the input paused (clickstream at
 * 1,000 clicks/s: page-view windows fired 65–125 s after their end, only when the clicks stopped;
 * with one-element bundles about 2.3 s after, the watermark trailing by 2 s). A bounded run needs
 * no watermark until its input ends, and one-element bundles would cost it a metrics update per
 * element in every step (JFR: 11% of bounded fraud on Flink), so it keeps Flink's bundles.
 *
 * <p>Call it after the pipeline is built (whether a run streams depends on its sources) and before
 * it runs. Flink's options are reached by name, so the pipelines need no compile-time dependency on
 * the runner.
 *
 * <pre>{@code
 * Pipeline pipeline = Pipeline.create(options);
 * ClickstreamPipeline.build(pipeline, options);
 * FlinkStreamingBundles.preferOneElementBundles(pipeline);
 * pipeline.run();
 * }</pre>
 */
public final class FlinkStreamingBundles {
  /**
   * Flink's own {@code maxBundleSize} defaults (streaming, batch): a value the user did not give.
   */
  static final Set<Long> FLINK_DEFAULT_BUNDLE_SIZES = Set.of(1_000L, 5_000L);

  private static final String FLINK_RUNNER = "org.apache.beam.runners.flink.FlinkRunner";
  private static final String FLINK_OPTIONS = "org.apache.beam.runners.flink.FlinkPipelineOptions";

  private FlinkStreamingBundles() {}

  /**
   * Sets {@code maxBundleSize} to 1 if {@code pipeline} runs on the Flink runner, streams (asked
   * for with {@code --streaming}, or any of its collections is unbounded, which makes the Flink
   * runner stream) and {@code maxBundleSize} still holds a Flink default.
   */
  public static void preferOneElementBundles(Pipeline pipeline) {
    PipelineOptions options = pipeline.getOptions();
    if (onFlinkRunner(options) && streams(pipeline)) {
      setIfDefault(options, "MaxBundleSize", FLINK_DEFAULT_BUNDLE_SIZES, 1);
    }
  }

  static boolean onFlinkRunner(PipelineOptions options) {
    return options.getRunner().getName().equals(FLINK_RUNNER);
  }

  /**
   * Sets the Flink option {@code property} (a {@code Long}) to {@code value} where it is unset or
   * holds one of {@code defaults}: a value other than the runner's default counts as given.
   */
  static void setIfDefault(
      PipelineOptions options, String property, Set<Long> defaults, long value) {
    try {
      Class<? extends PipelineOptions> flink =
          Class.forName(FLINK_OPTIONS, true, options.getRunner().getClassLoader())
              .asSubclass(PipelineOptions.class);
      PipelineOptions view = options.as(flink);
      Method getter = flink.getMethod("get" + property);
      Long current = (Long) getter.invoke(view);
      if (current == null || defaults.contains(current)) {
        flink.getMethod("set" + property, Long.class).invoke(view, value);
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot set the Flink runner's option " + property, e);
    }
  }

  private static boolean streams(Pipeline pipeline) {
    if (pipeline.getOptions().as(StreamingOptions.class).isStreaming()) {
      return true;
    }
    boolean[] unbounded = {false};
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitValue(PValue value, TransformHierarchy.Node producer) {
            if (value instanceof PCollection<?> collection
                && collection.isBounded() == PCollection.IsBounded.UNBOUNDED) {
              unbounded[0] = true;
            }
          }
        });
    return unbounded[0];
  }
}
