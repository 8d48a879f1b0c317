package io.beamsuite.bundled;

import io.beamsuite.fixtures.services.FlinkCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One {@link ClusterServices} (Flink session cluster, Kafka, PostgreSQL, Debezium) for every
 * cluster IT of this module ({@link FlinkClusterIT}, {@link KappaClusterIT}, {@link
 * EveryPipelineOnClusterIT}, {@link FaultToleranceIT}), started by the first of them and stopped
 * when the failsafe JVM exits: starting the pair costs 20-50 s on a 2-core machine, once instead of
 * once per class, and no two clusters compete for the cores. Each class keeps to its own topics and
 * databases (only {@link FaultToleranceIT} uses Debezium and the {@code customers} table), and
 * {@link #release()} cancels whatever job it left running, so that the next class finds every slot
 * free. The faults (a TaskManager killed and replaced, the broker restarted) leave the services as
 * they found them.
 *
 * <pre>{@code
 * @BeforeClass public static void start() throws Exception { services = SharedClusterServices.get(); }
 * @AfterClass public static void stop() throws Exception { SharedClusterServices.release(); }
 * }</pre>
 */
final class SharedClusterServices {
  /** Where the shared services keep their logs (the cluster's are copied there on exit). */
  static final Path WORK_DIR = Path.of("target", "shared-cluster").toAbsolutePath();

  private static ClusterServices services;

  private SharedClusterServices() {}

  /** The shared services, started on the first call. */
  static synchronized ClusterServices get() throws Exception {
    if (services == null) {
      ClusterJobs.deleteRecursively(WORK_DIR);
      Files.createDirectories(WORK_DIR);
      ClusterServices started =
          ClusterServices.start(
              WORK_DIR,
              Map.of(
                  // EveryPipelineOnClusterIT runs four streaming jobs side by side, and
                  // FaultToleranceIT's first fault a clickstream and a fraud job (parallelism 2).
                  "taskmanager.numberOfTaskSlots", "4",
                  // A fault may cost a job restart or two (a TaskManager loss also fails the
                  // restart attempts made before the replacement registers): 2 would not do.
                  "restart-strategy.fixed-delay.attempts", "10",
                  "restart-strategy.fixed-delay.delay", "2 s",
                  // Notice a killed TaskManager within seconds, not the default 50 s.
                  "heartbeat.interval", "1000",
                  "heartbeat.timeout", "10000",
                  // The REST API's metrics at most 0.5 s old (default 10 s): the broker-restart
                  // faults read the source's record count during a 5 s outage.
                  "metrics.fetcher.update-interval", "500"));
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      started.close();
                    } catch (Exception e) {
                      System.err.println("stopping the shared cluster services: " + e);
                    }
                  },
                  "shared-cluster-services-stop"));
      services = started;
    }
    return services;
  }

  /**
   * Cancels every job still running on the shared cluster (a class's leftovers, also after a
   * failure).
   */
  static synchronized void release() throws Exception {
    if (services == null) {
      return;
    }
    FlinkCluster flink = services.flink;
    HttpClient http = HttpClient.newHttpClient();
    List<FlinkCluster.JobStatus> running =
        flink.jobs().stream().filter(j -> !isTerminal(j.state())).toList();
    for (FlinkCluster.JobStatus job : running) {
      http.send(
          HttpRequest.newBuilder(
                  URI.create(
                      "http://" + flink.restAddress() + "/jobs/" + job.id() + "?mode=cancel"))
              .method("PATCH", HttpRequest.BodyPublishers.noBody())
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
    ClusterJobs.awaitValue(
        "the jobs left running to be cancelled",
        Duration.ofSeconds(60),
        () -> flink.jobs().stream().allMatch(j -> isTerminal(j.state())) ? true : null);
  }

  private static boolean isTerminal(String state) {
    return state.equals("FINISHED") || state.equals("CANCELED") || state.equals("FAILED");
  }
}
