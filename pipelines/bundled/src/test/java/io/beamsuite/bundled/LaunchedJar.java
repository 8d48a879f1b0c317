package io.beamsuite.bundled;

import static org.junit.Assert.fail;

import io.beamsuite.pipelines.launcher.RunnerArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A launcher JVM running the runner artifact a command line needs, as users do: {@code java -jar
 * beamsuite-local.jar <command> ...}, {@code beamsuite-spark.jar} or {@code beamsuite-dataflow.jar}
 * for those runners, and for a session cluster the Flink job jar with Flink's own jars next to it
 * ({@code java -cp beamsuite-flink.jar:<Flink client jars> ...Launcher}, as with a Flink
 * installation's {@code lib/}). Its output goes to a log file, for the integration tests of this
 * module.
 *
 * <pre>{@code
 * LaunchedJar run = LaunchedJar.start(workDir, "bounded", List.of("clickstream", "--source=..."));
 * assertEquals(run.output(), 0, run.await(Duration.ofMinutes(4)));
 * }</pre>
 */
final class LaunchedJar {
  /** Where pipelines/runners writes the jars, relative to this module. */
  static final Path ARTIFACTS = Path.of("..", "target");

  static final Path LOCAL_JAR = ARTIFACTS.resolve(RunnerArtifacts.LOCAL);
  static final Path FLINK_JAR = ARTIFACTS.resolve(RunnerArtifacts.FLINK);
  static final Path DATAFLOW_JAR = ARTIFACTS.resolve(RunnerArtifacts.DATAFLOW);
  static final Path SPARK_JAR = ARTIFACTS.resolve(RunnerArtifacts.SPARK);

  /**
   * Flink's client jars (Maven paths) for the Flink job jar, written by pipelines/runners/flink.
   */
  static final Path FLINK_CLIENT_CLASSPATH = ARTIFACTS.resolve("beamsuite-flink-client.classpath");

  final Process process;
  final Path log;

  private LaunchedJar(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** The runner artifact {@code args} need (the first command-line argument is the command). */
  static Path artifactFor(List<String> args) {
    List<String> carriers =
        RunnerArtifacts.carriers(args.subList(Math.min(1, args.size()), args.size()));
    return ARTIFACTS.resolve(carriers.isEmpty() ? RunnerArtifacts.LOCAL : carriers.get(0));
  }

  /**
   * The JVM's class path arguments for {@code jar}: {@code -jar jar}, or the Flink job jar with
   * Flink.
   */
  static List<String> classPathArgs(Path jar) throws IOException {
    if (!jar.getFileName().toString().equals(RunnerArtifacts.FLINK)) {
      return List.of("-jar", jar.toAbsolutePath().toString());
    }
    String flink = Files.readString(FLINK_CLIENT_CLASSPATH, StandardCharsets.UTF_8).strip();
    // As run-scripts/run-flink.sh: a JVM that only submits starts faster on C1 and the serial GC.
    return List.of(
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-cp",
        jar.toAbsolutePath() + java.io.File.pathSeparator + flink,
        "io.beamsuite.pipelines.launcher.Launcher");
  }

  /**
   * Starts {@code java -Xmx1g <artifact for args> args}; output goes to {@code
   * launcher-<name>.log}.
   */
  static LaunchedJar start(Path workDir, String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.add("-Djava.io.tmpdir=" + Files.createDirectories(workDir.resolve("tmp-" + name)));
    cmd.addAll(classPathArgs(artifactFor(args)));
    cmd.addAll(args);
    Path log = workDir.resolve("launcher-" + name + ".log");
    Process process =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new LaunchedJar(process, log);
  }

  /**
   * Waits for the launcher to exit and returns its status; fails (killing it) after {@code
   * timeout}.
   */
  int await(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail("launcher did not exit within " + timeout + "; output:\n" + output());
    }
    return process.exitValue();
  }

  /** What it printed so far (the last 20,000 characters). */
  String output() {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      return text.length() > 20_000 ? "..." + text.substring(text.length() - 20_000) : text;
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }
}
