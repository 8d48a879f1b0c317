package io.beamsuite.bundled;

import io.beamsuite.fixtures.services.FlinkCluster;
import io.beamsuite.pipelines.testing.SandboxProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the cluster ITs of this module run against: a real Flink session cluster ({@link
 * FlinkCluster}, 2 slots) and a {@link SandboxProcess} (PostgreSQL, Kafka, Debezium), started side
 * by side. {@link #close()} keeps the cluster's logs in the work dir, then stops both.
 *
 * <pre>{@code
 * services = ClusterServices.start(workDir);
 * String rest = services.flink.restAddress();
 * }</pre>
 */
final class ClusterServices implements AutoCloseable {
  final FlinkCluster flink;
  final SandboxProcess sandbox;
  private final Path workDir;

  private ClusterServices(FlinkCluster flink, SandboxProcess sandbox, Path workDir) {
    this.flink = flink;
    this.sandbox = sandbox;
    this.workDir = workDir;
  }

  /** Starts both; whatever started is stopped again if the other fails. */
  static ClusterServices start(Path workDir) throws Exception {
    return start(workDir, Map.of());
  }

  /**
   * Starts both, the cluster configured with {@code clusterOverrides} on top of this class's
   * settings (e.g. a larger restart budget for fault-injection tests).
   */
  static ClusterServices start(Path workDir, Map<String, String> clusterOverrides)
      throws Exception {
    // The cluster's own defaults already bound restarts and use RocksDB with a checkpoint dir in
    // its work dir; these make the tests' expectations explicit.
    Map<String, String> overrides = new HashMap<>();
    overrides.put("restart-strategy.type", "fixed-delay");
    overrides.put("restart-strategy.fixed-delay.attempts", "2");
    overrides.put("restart-strategy.fixed-delay.delay", "1 s");
    // Each submission leaves the job jar (beamsuite-flink.jar, ~90 MB) in the blob cache.
    overrides.put("blob.service.cleanup.interval", "10");
    overrides.putAll(clusterOverrides);
    CompletableFuture<FlinkCluster> cluster =
        CompletableFuture.supplyAsync(() -> new FlinkCluster(2, overrides).start());
    SandboxProcess sandbox;
    try {
      sandbox = SandboxProcess.start(workDir);
    } catch (Exception | Error e) {
      // Always wait for the cluster, so that it is stopped whatever happened here.
      cluster.get(120, TimeUnit.SECONDS).close();
      throw e;
    }
    try {
      return new ClusterServices(cluster.get(120, TimeUnit.SECONDS), sandbox, workDir);
    } catch (Exception | Error e) {
      sandbox.close();
      throw e;
    }
  }

  @Override
  public void close() throws Exception {
    try {
      for (String log : List.of("jobmanager.log", "taskmanager.log", "taskmanager.out")) {
        Path file = flink.workDir().resolve(log);
        if (Files.exists(file)) {
          Files.copy(file, workDir.resolve("flink-" + log), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("could not keep the Flink logs: " + e);
    } finally {
      try {
        flink.close();
      } finally {
        sandbox.close();
      }
    }
  }
}
