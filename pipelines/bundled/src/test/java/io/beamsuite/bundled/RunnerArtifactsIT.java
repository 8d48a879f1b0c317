package io.beamsuite.bundled;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What each runner artifact ships, checked on the built jars: size limits (a session-cluster
 * submission and a Dataflow launch upload the whole jar), no test fixtures and no test libraries in
 * any of them, Flink left out of the Flink job jar; and that a runner flag given to the wrong
 * artifact is a usage error naming the right one (exit 2), not a ClassNotFoundException.
 */
public class RunnerArtifactsIT {
  private static final long MB = 1024 * 1024;
  private static final long FLINK_JAR_LIMIT = 120 * MB;
  private static final long DATAFLOW_JAR_LIMIT = 150 * MB;
  private static final List<Path> ALL =
      List.of(
          LaunchedJar.LOCAL_JAR,
          LaunchedJar.FLINK_JAR,
          LaunchedJar.DATAFLOW_JAR,
          LaunchedJar.SPARK_JAR);

  /** Never in a runner artifact: the fixtures, JUnit, Hamcrest. */
  private static final List<String> NOT_SHIPPED =
      List.of("io/beamsuite/fixtures/", "org/junit/", "junit/", "org/hamcrest/");

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void jobJarsStayWithinTheirSizeLimits() throws IOException {
    assertThat(
        "beamsuite-flink.jar bytes",
        Files.size(LaunchedJar.FLINK_JAR),
        lessThanOrEqualTo(FLINK_JAR_LIMIT));
    assertThat(
        "beamsuite-dataflow.jar bytes",
        Files.size(LaunchedJar.DATAFLOW_JAR),
        lessThanOrEqualTo(DATAFLOW_JAR_LIMIT));
  }

  @Test
  public void noArtifactShipsTestFixturesOrTestLibraries() throws IOException {
    for (Path jar : ALL) {
      try (JarFile file = new JarFile(jar.toFile())) {
        List<String> found =
            file.stream()
                .map(ZipEntry::getName)
                .filter(name -> NOT_SHIPPED.stream().anyMatch(name::startsWith))
                .limit(5)
                .toList();
        assertEquals(jar + " ships " + found, List.of(), found);
        Properties artifact = new Properties();
        ZipEntry entry = file.getEntry("META-INF/beamsuite/artifact.properties");
        assertNotNull(jar + " does not say which artifact it is", entry);
        artifact.load(file.getInputStream(entry));
        assertEquals(jar.getFileName().toString(), artifact.getProperty("artifact"));
      }
    }
  }

  @Test
  public void theFlinkJobJarCarriesBeamsFlinkRunnerButNotFlink() throws IOException {
    try (JarFile file = new JarFile(LaunchedJar.FLINK_JAR.toFile())) {
      assertNotNull(file.getEntry("org/apache/beam/runners/flink/FlinkRunner.class"));
      List<String> flink =
          file.stream()
              .map(ZipEntry::getName)
              .filter(n -> n.startsWith("org/apache/flink/"))
              .limit(5)
              .toList();
      assertEquals("Flink classes in the job jar", List.of(), flink);
    }
  }

  @Test
  public void localJarHelpListsEveryCommand() throws Exception {
    Result help =
        launch(List.of("-jar", LaunchedJar.LOCAL_JAR.toAbsolutePath().toString()), "--help");
    assertEquals(help.toString(), 0, help.exit);
    for (String command :
        List.of(
            "clickstream",
            "fraud",
            "sensors",
            "cdc-replication",
            "lambda-archive",
            "lambda-batch",
            "lambda-speed",
            "lambda-serve",
            "kappa-replay",
            "kappa-cutover",
            "kappa-status")) {
      assertThat(help.out, containsString("\n  " + command + " "));
    }
    assertThat(help.out, containsString("this is beamsuite-local.jar"));
  }

  @Test
  public void aRunnerGivenToTheWrongArtifactIsAUsageErrorNamingTheRightOne() throws Exception {
    Result spark =
        launch(
            LaunchedJar.classPathArgs(LaunchedJar.FLINK_JAR),
            "clickstream",
            "--runner=SparkRunner",
            "--source=file:/none");
    assertEquals(spark.toString(), 2, spark.exit);
    assertThat(spark.err, containsString("--runner=SparkRunner is not in beamsuite-flink.jar"));
    assertThat(spark.err, containsString("pipelines/target/beamsuite-spark.jar"));
    assertThat(spark.err, not(containsString("ClassNotFoundException")));

    Result dataflow =
        launch(
            List.of("-jar", LaunchedJar.LOCAL_JAR.toAbsolutePath().toString()),
            "fraud",
            "--runner=DataflowRunner");
    assertEquals(dataflow.toString(), 2, dataflow.exit);
    assertThat(dataflow.err, containsString("use pipelines/target/beamsuite-dataflow.jar"));

    Result cluster =
        launch(
            List.of("-jar", LaunchedJar.LOCAL_JAR.toAbsolutePath().toString()),
            "clickstream",
            "--runner=FlinkRunner",
            "--flinkMaster=127.0.0.1:1");
    assertEquals(cluster.toString(), 2, cluster.exit);
    assertThat(cluster.err, containsString("use pipelines/target/beamsuite-flink.jar"));

    // java -jar on the Flink job jar: Flink is not in it.
    Result noFlink =
        launch(
            List.of("-jar", LaunchedJar.FLINK_JAR.toAbsolutePath().toString()),
            "clickstream",
            "--runner=FlinkRunner",
            "--flinkMaster=127.0.0.1:1");
    assertEquals(noFlink.toString(), 2, noFlink.exit);
    assertThat(noFlink.err, containsString("beamsuite-flink.jar leaves Flink out"));
  }

  @Test
  public void localAndSparkJarsBuildAndStartAPipeline() throws Exception {
    // Pipeline.create loads every file-system and options registrar in the jar: one whose
    // dependencies were left out fails here (e.g. gs:// support without the Google Cloud clients).
    // No input, so nothing is written to the (absent) database: the run ends DONE.
    List<String> args =
        List.of(
            "clickstream",
            "--source=file:" + tmp.newFolder("none") + "/*.jsonl",
            "--jdbcUrl=jdbc:postgresql://127.0.0.1:1/none");
    // Spark on Java 17 needs the --add-opens this JVM was started with (failsafe argLine).
    List<String> spark = new ArrayList<>();
    for (String jvmArg :
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (jvmArg.startsWith("--add-opens") || jvmArg.startsWith("-Djdk.reflect")) {
        spark.add(jvmArg);
      }
    }
    spark.addAll(List.of("-jar", LaunchedJar.SPARK_JAR.toAbsolutePath().toString()));
    for (List<String> classPath :
        List.of(List.of("-jar", LaunchedJar.LOCAL_JAR.toAbsolutePath().toString()), spark)) {
      Result run = launch(classPath, args.toArray(new String[0]));
      assertThat(run.toString(), run.out + run.err, not(containsString("NoClassDefFoundError")));
      assertThat(run.toString(), run.out + run.err, not(containsString("ClassNotFoundException")));
      assertEquals(run.toString(), 0, run.exit);
      assertThat(run.out, containsString("clickstream finished: DONE"));
    }
  }

  private record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
    }
  }

  private Result launch(List<String> classPath, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.addAll(classPath);
    cmd.addAll(List.of(args));
    Path out = tmp.newFile().toPath();
    Path err = tmp.newFile().toPath();
    Process process =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(cmd + " did not exit in 2 minutes");
    }
    return new Result(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
