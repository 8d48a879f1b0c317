package io.beamsuite.pipelines.options;

import static org.junit.Assert.assertEquals;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.Test;

/** Which runs get one-element bundles: streaming runs on Flink whose bundle size is not given. */
public class FlinkStreamingBundlesTest {

  @Test
  public void aPipelineWithAnUnboundedCollectionOnFlinkGetsOneElementBundles() {
    Pipeline p = pipeline("--runner=FlinkRunner");
    p.apply(GenerateSequence.from(0));
    FlinkStreamingBundles.preferOneElementBundles(p);
    assertEquals(1L, bundleSize(p));
  }

  @Test
  public void aStreamingRunAskedForGetsThemToo() {
    Pipeline p = pipeline("--runner=FlinkRunner", "--streaming=true");
    p.apply(Create.of(1, 2, 3));
    FlinkStreamingBundles.preferOneElementBundles(p);
    assertEquals(1L, bundleSize(p));
  }

  @Test
  public void aBoundedRunKeepsFlinksBundles() {
    Pipeline p = pipeline("--runner=FlinkRunner");
    p.apply(GenerateSequence.from(0).to(10));
    FlinkStreamingBundles.preferOneElementBundles(p);
    assertEquals(5_000L, bundleSize(p));
  }

  @Test
  public void aGivenBundleSizeIsKept() {
    Pipeline p = pipeline("--runner=FlinkRunner", "--maxBundleSize=500");
    p.apply(GenerateSequence.from(0));
    FlinkStreamingBundles.preferOneElementBundles(p);
    assertEquals(500L, bundleSize(p));
  }

  @Test
  public void otherRunnersAreLeftAlone() {
    Pipeline p = pipeline("--runner=DirectRunner");
    p.apply(GenerateSequence.from(0));
    FlinkStreamingBundles.preferOneElementBundles(p);
    assertEquals(5_000L, bundleSize(p));
  }

  private static Pipeline pipeline(String... args) {
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
  }

  private static long bundleSize(Pipeline p) {
    return p.getOptions().as(FlinkPipelineOptions.class).getMaxBundleSize();
  }
}
