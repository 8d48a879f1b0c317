package io.beamsuite.bundled;

import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A launcher JVM running the bundled jar as users do ({@code java -jar
 * beamsuite-pipelines-bundled.jar <command> ...}), its output in a log file, for the integration
 * tests of this module.
 *
 * <pre>{@code
 * LaunchedJar run = LaunchedJar.start(workDir, "bounded", List.of("clickstream", "--source=..."));
 * assertEquals(run.output(), 0, run.await(Duration.ofMinutes(4)));
 * }</pre>
 */
final class LaunchedJar {
  /** Where the shade plugin writes the jar, relative to this module. */
  static final Path BUNDLED_JAR = Path.of("..", "target", "beamsuite-pipelines-bundled.jar");

  final Process process;
  final Path log;

  private LaunchedJar(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code java -Xmx1g -jar <bundled jar> args}; output goes to {@code launcher-<name>.log}. */
  static LaunchedJar start(Path workDir, String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.add("-Djava.io.tmpdir=" + Files.createDirectories(workDir.resolve("tmp-" + name)));
    cmd.add("-jar");
    cmd.add(BUNDLED_JAR.toAbsolutePath().toString());
    cmd.addAll(args);
    Path log = workDir.resolve("launcher-" + name + ".log");
    Process process =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new LaunchedJar(process, log);
  }

  /** Waits for the launcher to exit and returns its status; fails (killing it) after {@code timeout}. */
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
