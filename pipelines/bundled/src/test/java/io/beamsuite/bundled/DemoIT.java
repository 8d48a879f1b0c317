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
 * oracle, and leave no service behind (the PostgreSQL and Kafka ports it reported are closed).
 *
 * <p>The {@code flink-cluster} and {@code spark-batch} modes are not run here: with this workload
 * they passed but took 186 s and 367 s on a busy 2-core machine, too much for the suite's budget.
 */
public class DemoIT {
  private static final Path REPO = Path.of("..", "..").toAbsolutePath().normalize();

  @Test
  public void demoMatchesTheOracleOnDirect() throws Exception {
    runDemo("direct");
  }

  @Test
  public void demoMatchesTheOracleOnFlink() throws Exception {
    runDemo("flink");
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

  private static void runDemo(String runner) throws Exception {
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

  /** The PostgreSQL and Kafka ports of the report's "where to look" section. */
  private static List<Integer> reportedPorts(String output) {
    Map<String, Integer> ports = new HashMap<>();
    Matcher pg =
        Pattern.compile("PostgreSQL\\s+jdbc:postgresql://127\\.0\\.0\\.1:(\\d+)/").matcher(output);
    Matcher kafka = Pattern.compile("Kafka\\s+127\\.0\\.0\\.1:(\\d+)").matcher(output);
    assertTrue(output, pg.find());
    assertTrue(output, kafka.find());
    ports.put("postgres", Integer.parseInt(pg.group(1)));
    ports.put("kafka", Integer.parseInt(kafka.group(1)));
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
