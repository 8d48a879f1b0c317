package io.beamsuite.pipelines.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.Test;

/**
 * Which runner artifact a command line needs. The bundled module's RunnerArtifactsIT checks the
 * same through the real jars (exit 2 and the message).
 */
public class RunnerArtifactsTest {
  private static Optional<String> check(String artifact, String... args) {
    return RunnerArtifacts.check(Optional.of(artifact), List.of(args));
  }

  @Test
  public void eachRunnerIsAcceptedByItsArtifact() {
    assertEquals(Optional.empty(), check(RunnerArtifacts.LOCAL, "--source=x"));
    assertEquals(Optional.empty(), check(RunnerArtifacts.LOCAL, "--runner=FlinkRunner"));
    assertEquals(
        Optional.empty(),
        check(RunnerArtifacts.LOCAL, "--runner=FlinkRunner", "--flinkMaster=[local]"));
    assertEquals(Optional.empty(), check(RunnerArtifacts.SPARK, "--runner=SparkRunner"));
    assertEquals(
        Optional.empty(),
        check(
            RunnerArtifacts.DATAFLOW, "--runner=org.apache.beam.runners.dataflow.DataflowRunner"));
  }

  @Test
  public void aRunnerOfAnotherArtifactNamesTheOneToUse() {
    String spark = check(RunnerArtifacts.FLINK, "--runner=SparkRunner").orElseThrow();
    assertTrue(spark, spark.startsWith("--runner=SparkRunner is not in beamsuite-flink.jar"));
    assertTrue(spark, spark.contains("use pipelines/target/beamsuite-spark.jar"));

    String direct = check(RunnerArtifacts.DATAFLOW, "--runner=DirectRunner").orElseThrow();
    assertTrue(direct, direct.startsWith("--runner=DirectRunner is not in beamsuite-dataflow.jar"));
    assertTrue(direct, direct.contains("beamsuite-local.jar"));

    String dataflow = check(RunnerArtifacts.LOCAL, "--runner=DataflowRunner").orElseThrow();
    assertTrue(dataflow, dataflow.contains("use pipelines/target/beamsuite-dataflow.jar"));
  }

  @Test
  public void withoutRunnerEachArtifactRunsItsOwn() {
    assertEquals(Optional.empty(), check(RunnerArtifacts.DATAFLOW, "--project=p"));
    assertEquals(Optional.empty(), check(RunnerArtifacts.SPARK));
    assertEquals(
        "DataflowRunner", RunnerArtifacts.defaultRunner(Optional.of(RunnerArtifacts.DATAFLOW)));
    assertEquals("DirectRunner", RunnerArtifacts.defaultRunner(Optional.empty()));
  }

  @Test
  public void aClusterSubmissionNeedsTheFlinkJobJar() {
    String local =
        check(RunnerArtifacts.LOCAL, "--runner=FlinkRunner", "--flinkMaster=127.0.0.1:8081")
            .orElseThrow();
    assertTrue(local, local.contains("use pipelines/target/beamsuite-flink.jar"));
    assertTrue(
        RunnerArtifacts.submitsToFlinkCluster(
            List.of("--runner=FlinkRunner", "--flinkMaster=h:1")));
    assertTrue(
        !RunnerArtifacts.submitsToFlinkCluster(
            List.of("--runner=FlinkRunner", "--flinkMaster=[auto]")));
  }

  @Test
  public void aDevelopmentClassPathHasEveryRunner() {
    assertEquals(
        Optional.empty(), RunnerArtifacts.check(Optional.empty(), List.of("--runner=SparkRunner")));
  }
}
