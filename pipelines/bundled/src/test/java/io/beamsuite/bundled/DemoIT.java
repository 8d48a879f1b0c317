package io.beamsuite.bundled;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * {@code run-scripts/demo.sh}, the README's first command, end to end as a user runs it (a small
 * workload): on the DirectRunner and on embedded Flink it must exit 0 with every view MATCHing the
 * oracle, and leave no service behind (the PostgreSQL, Kafka and Flink cluster ports it reported
 * are closed). Every {@code --runner} mode runs: the DirectRunner, embedded Flink, a Flink session
 * cluster the demo starts (every job submitted to it), and Spark local for the batch layer with the
 * rest on the DirectRunner; each run checks that its steps name the runner they ran on.
 */
public class DemoIT {
  private static final Path REPO = Path.of("..", "..").toAbsolutePath().normalize();

  private static final String DIRECT = "DirectRunner";
  private static final String FLINK_CLUSTER = "Flink cluster 127.0.0.1:";

  @Test
  public void demoMatchesTheOracleOnDirect() throws Exception {
    runDemo("direct", DIRECT, DIRECT);
  }

  @Test
  public void demoMatchesTheOracleOnFlink() throws Exception {
    runDemo("flink", "embedded Flink", "embedded Flink");
  }

  @Test
  public void demoMatchesTheOracleOnAFlinkSessionCluster() throws Exception {
    runDemo("flink-cluster", FLINK_CLUSTER, FLINK_CLUSTER);
  }

  @Test
  public void demoMatchesTheOracleWithTheBatchLayerOnSpark() throws Exception {
    runDemo("spark-batch", "Spark local[2]", DIRECT);
  }

  @Test
  public void sigtermStopsEverythingTheDemoStarted() throws Exception {
    Path state = Files.createDirectories(Path.of("target", "demo-it-sigterm").toAbsolutePath());
    Path log = state.resolve("demo.log");
    Process demo = demoProcess(state, log, "--events", "1500");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    String output = "";
    // Wait until a pipeline job runs (step 3), then stop the demo as Ctrl-C or kill would.
    while (System.nanoTime() < deadline && !output.contains("[3] ")) {
      Thread.sleep(500);
      output = Files.readString(log, StandardCharsets.UTF_8);
    }
    assertTrue("the demo never reached its first job:\n" + output, output.contains("[3] "));
    Thread.sleep(3_000);
    demo.destroy(); // SIGTERM to the demo JVM (demo.sh execs it)
    assertTrue("the demo did not stop within a minute", demo.waitFor(1, TimeUnit.MINUTES));
    output = Files.readString(log, StandardCharsets.UTF_8);
    Matcher pg =
        Pattern.compile("PostgreSQL jdbc:postgresql://127\\.0\\.0\\.1:(\\d+)/").matcher(output);
    Matcher kafka = Pattern.compile("Kafka 127\\.0\\.0\\.1:(\\d+)").matcher(output);
    assertTrue(output, pg.find() && kafka.find());
    for (int port : List.of(Integer.parseInt(pg.group(1)), Integer.parseInt(kafka.group(1)))) {
      assertFalse("port " + port + " still listens after SIGTERM:\n" + output, listening(port));
    }
    Process ps = new ProcessBuilder("ps", "-eo", "args").redirectErrorStream(true).start();
    String processes = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    ps.waitFor();
    assertFalse(
        "a job of the demo is still running:\n" + processes,
        processes
            .lines()
            .anyMatch(
                l -> l.contains(state.toString()) || l.contains("127.0.0.1:" + pg.group(1) + "/")));
  }

  private static Process demoProcess(Path state, Path log, String... args) throws IOException {
    List<String> cmd =
        new java.util.ArrayList<>(List.of("bash", REPO.resolve("run-scripts/demo.sh").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("BEAMSUITE_STATE_DIR", state.toString());
    builder
        .environment()
        .put("BEAMSUITE_ARTIFACTS_DIR", REPO.resolve("pipelines/target").toString());
    builder.environment().remove("BEAMSUITE_PIPELINES_JAR");
    return builder.start();
  }

  /**
   * Runs the demo with {@code --runner runner}; step 3 (the batch layer) must name {@code
   * batchRunner} as where it ran, steps 4 to 8 (speed layer, fraud, sensors, cdc-replication, the
   * Kappa replay) {@code streamingRunner}.
   */
  private static void runDemo(String runner, String batchRunner, String streamingRunner)
      throws Exception {
    Path state = Files.createDirectories(Path.of("target", "demo-it-" + runner).toAbsolutePath());
    Path log = state.resolve("demo.log");
    Process demo = demoProcess(state, log, "--runner", runner, "--events", "1500", "--seed", "7");
    boolean finished = demo.waitFor(15, TimeUnit.MINUTES);
    if (!finished) {
      demo.destroy();
      demo.waitFor(1, TimeUnit.MINUTES);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(
        "demo.sh --runner " + runner + " did not finish in 15 minutes:\n" + output, finished);
    assertEquals(output, 0, demo.exitValue());
    assertTrue(output, output.contains("RESULT: all MATCH"));
    assertFalse(output, output.contains("MISMATCH"));
    for (int step = 3; step <= 8; step++) {
      String expected = step == 3 ? batchRunner : streamingRunner;
      Matcher line =
          Pattern.compile("(?m)^\\[" + step + "\\] .* \\[(.+)\\] \\.\\.\\.$").matcher(output);
      assertTrue("step " + step + " names no runner:\n" + output, line.find());
      assertTrue(
          "step " + step + " ran on " + line.group(1) + ", expected " + expected + ":\n" + output,
          line.group(1).startsWith(expected));
    }
    for (String view :
        List.of(
            "revenue_per_merchant_hour",
            "page_views_per_minute",
            "fraud_alerts",
            "sensor_anomalies",
            "customers_replica")) {
      assertTrue(
          view + " missing from the report:\n" + output,
          Pattern.compile("(?m)^" + view + " .* MATCH").matcher(output).find());
    }
    // The report's own checks: Lambda against Kappa table to table (both views), every late record
    // really late (speed layer and replay, both views), the replay's measured records in.
    for (String[] check :
        List.of(
            new String[] {"Lambda = Kappa", "2"},
            new String[] {"late records really late", "4"},
            new String[] {"records of kappa-replay", "1"})) {
      Matcher lines = Pattern.compile("(?m)^" + check[0] + " .* MATCH").matcher(output);
      int found = 0;
      while (lines.find()) {
        found++;
      }
      assertEquals(
          check[0] + " lines in the report:\n" + output, Integer.parseInt(check[1]), found);
    }
    for (int port : reportedPorts(output)) {
      assertFalse("port " + port + " still listens after the demo:\n" + output, listening(port));
    }
  }

  /** The PostgreSQL, Kafka and (if any) Flink cluster ports of the report's "where to look". */
  private static List<Integer> reportedPorts(String output) {
    Map<String, Integer> ports = new HashMap<>();
    Matcher pg =
        Pattern.compile("PostgreSQL\\s+jdbc:postgresql://127\\.0\\.0\\.1:(\\d+)/").matcher(output);
    Matcher kafka = Pattern.compile("Kafka\\s+127\\.0\\.0\\.1:(\\d+)").matcher(output);
    assertTrue(output, pg.find());
    assertTrue(output, kafka.find());
    ports.put("postgres", Integer.parseInt(pg.group(1)));
    ports.put("kafka", Integer.parseInt(kafka.group(1)));
    Matcher flinkUi = Pattern.compile("Flink UI\\s+http://127\\.0\\.0\\.1:(\\d+)/").matcher(output);
    if (flinkUi.find()) {
      ports.put("flink", Integer.parseInt(flinkUi.group(1)));
    }
    return List.copyOf(ports.values());
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
