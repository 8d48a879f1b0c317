package io.beamsuite.bundled;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.beamsuite.fixtures.services.FlinkCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the cluster ITs of this module ask of the Flink REST API and the sandbox's PostgreSQL, and
 * their bounded polling.
 *
 * <pre>{@code
 * String jobId = ClusterJobs.awaitValue("the job", Duration.ofSeconds(90), () -> findJob());
 * assertNoFailures(flink, jobId);
 * }</pre>
 */
final class ClusterJobs {
  private ClusterJobs() {}

  static Set<String> jobIds(FlinkCluster flink) {
    return flink.jobs().stream().map(FlinkCluster.JobStatus::id).collect(Collectors.toSet());
  }

  /** Every vertex of the job is RUNNING (its tasks are deployed, not just the job scheduled). */
  static boolean allVerticesRunning(FlinkCluster flink, String jobId) {
    JsonNode vertices = flink.getJson("/jobs/" + jobId).path("vertices");
    if (vertices.size() == 0) {
      return false;
    }
    for (JsonNode vertex : vertices) {
      if (!vertex.path("status").asText().equals("RUNNING")) {
        return false;
      }
    }
    return true;
  }

  /** The job ran without a task failure (hence without a restart). */
  static void assertNoFailures(FlinkCluster flink, String jobId) {
    JsonNode history = flink.getJson("/jobs/" + jobId + "/exceptions").path("exceptionHistory");
    assertEquals("failures of job " + jobId + ": " + history, 0, history.path("entries").size());
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      List<Path> deepestFirst =
          paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList());
      for (Path p : deepestFirst) {
        Files.delete(p);
      }
    }
  }

  /** A supplier that may throw. */
  interface Probe<T> {
    T get() throws Exception;
  }

  /**
   * Polls {@code probe} every 500 ms until it returns non-null; fails after {@code timeout}, naming
   * {@code what} and the last SQL or runtime error the probe threw (a table not created yet, the
   * REST API busy during a restart).
   */
  static <T> T awaitValue(String what, Duration timeout, Probe<T> probe) throws Exception {
    return awaitValue(what, timeout, probe, () -> "");
  }

  /**
   * As {@link #awaitValue(String, Duration, Probe)}, the failure also saying {@code lastState}
   * (e.g. what still differed).
   */
  static <T> T awaitValue(String what, Duration timeout, Probe<T> probe, Supplier<String> lastState)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        T value = probe.get();
        if (value != null) {
          return value;
        }
      } catch (SQLException | RuntimeException e) {
        last = e;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "timed out after "
            + timeout.toSeconds()
            + " s waiting for "
            + what
            + (last == null ? "" : " (last error: " + last + ")")
            + (lastState.get().isEmpty() ? "" : "; " + lastState.get()));
  }
}
