package io.beamsuite.bundled;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.RevenueOracle;
import io.beamsuite.fixtures.oracle.RevenueRow;
import io.beamsuite.fixtures.services.FlinkCluster;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * {@code kappa-replay} submitted from the Flink job jar to a real Flink session cluster, detached,
 * as users do: the command reports its progress from the offsets the job commits on checkpoints,
 * cuts the serving views over once caught up and exits, while the job keeps running on the cluster
 * as the live job; the serving views then equal the oracle over the replayed log. The cluster,
 * Kafka and PostgreSQL are {@link SharedClusterServices}'.
 */
public class KappaClusterIT {
  private static final Path FLINK_JAR = LaunchedJar.FLINK_JAR;
  private static final Instant SENTINEL = Instant.parse("2024-01-03T00:00:00Z");
  private static final Instant CLOSED_BEFORE = SENTINEL.minus(Duration.ofHours(1));
  private static final String TRANSACTIONS = "transactions-kappa-it";
  private static final String CLICKS = "clicks-kappa-it";

  private static Path workDir;
  private static ClusterServices services;
  private static SandboxProcess sandbox;
  private static FlinkCluster flink;
  private static final List<Process> launchers = new ArrayList<>();

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeClass
  public static void startServices() throws Exception {
    assertTrue(
        "the Flink job jar must exist: " + FLINK_JAR.toAbsolutePath(),
        Files.isRegularFile(FLINK_JAR));
    workDir = Path.of("target", "kappa-cluster-it").toAbsolutePath();
    Files.createDirectories(workDir);
    services = SharedClusterServices.get();
    sandbox = services.sandbox;
    flink = services.flink;
  }

  @AfterClass
  public static void stopServices() throws Exception {
    for (Process launcher : launchers) {
      launcher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    SharedClusterServices.release();
  }

  @Test
  public void detachedReplayOnTheClusterCutsOverAndKeepsRunning() throws Exception {
    String bootstrap = sandbox.setting("kafka.bootstrap");
    String user = sandbox.setting("postgres.user");
    String jdbcUrl = sandbox.createDatabase("kappa_cluster");
    createTopics(bootstrap);
    List<GeneratedRecord> records =
        EventGenerator.of(Workload.realisticMix(77, 2000).topicWeights(1, 1, 0).build()).generate();
    List<RawInput> inputs = write(bootstrap, records);
    Set<String> jobsBefore =
        flink.jobs().stream().map(FlinkCluster.JobStatus::id).collect(Collectors.toSet());

    List<String> common =
        List.of(
            "--bootstrapServers=" + bootstrap,
            "--transactionsTopic=" + TRANSACTIONS,
            "--clicksTopic=" + CLICKS,
            "--jdbcUrl=" + jdbcUrl,
            "--jdbcUser=" + user);
    List<String> replay =
        new ArrayList<>(
            List.of(
                "kappa-replay",
                "--version=1",
                "--runner=FlinkRunner",
                "--flinkMaster=" + flink.restAddress(),
                "--streaming=true",
                "--attachedMode=false",
                "--checkpointingInterval=1000",
                "--parallelism=2",
                "--cutoverWhenCaughtUp=true",
                "--exitWhenCaughtUp=true",
                "--replayProgressSeconds=2"));
    replay.addAll(common);
    LaunchedJar run = launch("replay", replay);
    assertEquals("launcher output:\n" + run.output(), 0, run.await(Duration.ofMinutes(4)));
    String out = run.output();
    assertThat(out, containsString("version 1 caught up with the live point"));
    assertThat(out, containsString("revenue_per_merchant_hour_kappa now serves version 1"));
    assertThat(out, containsString("the job keeps running on the Flink cluster"));

    // The job outlives the command: it is the live job now.
    List<FlinkCluster.JobStatus> jobs =
        flink.jobs().stream()
            .filter(j -> !jobsBefore.contains(j.id()))
            .collect(Collectors.toList());
    assertEquals("jobs submitted: " + jobs, 1, jobs.size());
    assertEquals("RUNNING", jobs.get(0).state());

    // Polled while the replay runs: the serving tables appear with their first rows.
    ResultTables tables = new ResultTables(jdbcUrl, user).allowingMissingTables();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    String last = "";
    while (true) {
      Map<String, Set<String>> late = new HashMap<>();
      late.put(RevenueOracle.REVENUE, tables.lateEventIds("revenue_per_merchant_hour_v1"));
      late.put(ClickstreamOracle.PAGE_VIEWS, tables.lateEventIds("page_views_per_minute_v1"));
      LatePolicy policy = LatePolicy.observed(late);
      List<RevenueRow> expectedRevenue =
          closed(RevenueOracle.compute(inputs, policy).rows(), RevenueRow::windowEnd);
      List<PageViewRow> expectedPageViews =
          closed(ClickstreamOracle.compute(inputs, policy).pageViews(), PageViewRow::windowEnd);
      List<RevenueRow> revenue =
          closed(
              tables.revenuePerMerchantHour("revenue_per_merchant_hour_kappa"),
              RevenueRow::windowEnd);
      List<PageViewRow> pageViews =
          closed(tables.pageViews("page_views_per_minute_kappa"), PageViewRow::windowEnd);
      if (expectedRevenue.equals(revenue)
          && expectedPageViews.equals(pageViews)
          && !revenue.isEmpty()) {
        Map<String, GeneratedRecord> byId = new HashMap<>();
        records.forEach(r -> byId.putIfAbsent(String.valueOf(r.eventId()), r));
        for (Set<String> ids : late.values()) {
          for (String id : ids) {
            assertEquals(id, RecordLabel.LATE, byId.get(id).label());
          }
        }
        break;
      }
      last =
          "revenue "
              + revenue.size()
              + "/"
              + expectedRevenue.size()
              + " rows, page views "
              + pageViews.size()
              + "/"
              + expectedPageViews.size();
      if (System.nanoTime() > deadline) {
        fail("the serving views did not converge to the oracle: " + last);
      }
      Thread.sleep(1000);
    }

    List<String> status = new ArrayList<>(List.of("kappa-status"));
    status.addAll(common);
    LaunchedJar statusRun = launch("status", status);
    assertEquals(statusRun.output(), 0, statusRun.await(Duration.ofMinutes(1)));
    assertThat(statusRun.output(), containsString("page_views_per_minute_kappa: serves version 1"));

    cancel(jobs.get(0).id());
  }

  private static <T> List<T> closed(
      List<T> rows, java.util.function.Function<T, Instant> windowEnd) {
    return rows.stream()
        .filter(r -> !windowEnd.apply(r).isAfter(CLOSED_BEFORE))
        .sorted(Comparator.comparing(Object::toString))
        .collect(Collectors.toList());
  }

  private void cancel(String jobId) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://" + flink.restAddress() + "/jobs/" + jobId + "?mode=cancel"))
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertTrue(response.body(), response.statusCode() / 100 == 2);
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Writes the clicks and transactions, then one later event per topic that closes their windows.
   */
  private static List<RawInput> write(String bootstrap, List<GeneratedRecord> records) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
    List<RawInput> inputs = new ArrayList<>();
    String tx =
        "{\"event_id\":\"sentinel-tx\",\"customer_id\":\"c-s\",\"merchant_id\":\"m-s\",\"amount_cents\":1,"
            + "\"currency\":\"EUR\",\"country\":\"NL\",\"event_time\":\""
            + SENTINEL
            + "\"}";
    String click =
        "{\"event_id\":\"sentinel-click\",\"user_id\":\"u-s\",\"page\":\"/s\",\"event_time\":\""
            + SENTINEL
            + "\"}";
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      for (GeneratedRecord r : records) {
        String topic =
            r.topic().equals(RevenueOracle.TOPIC)
                ? TRANSACTIONS
                : r.topic().equals(ClickstreamOracle.TOPIC) ? CLICKS : null;
        if (topic != null) {
          producer.send(
              new ProducerRecord<>(topic, 0, r.arrivalTime().toEpochMilli(), r.key(), r.payload()));
          inputs.add(RawInput.of(r));
        }
      }
      producer.send(
          new ProducerRecord<>(
              TRANSACTIONS,
              0,
              SENTINEL.toEpochMilli(),
              "c-s",
              tx.getBytes(StandardCharsets.UTF_8)));
      producer.send(
          new ProducerRecord<>(
              CLICKS, 0, SENTINEL.toEpochMilli(), "u-s", click.getBytes(StandardCharsets.UTF_8)));
      producer.flush();
    }
    inputs.add(RawInput.ofJson(RevenueOracle.TOPIC, tx));
    inputs.add(RawInput.ofJson(ClickstreamOracle.TOPIC, click));
    return inputs;
  }

  private static void createTopics(String bootstrap) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (AdminClient admin = AdminClient.create(props)) {
      Map<String, String> config = Map.of("max.message.bytes", String.valueOf(8 << 20));
      admin
          .createTopics(
              List.of(
                  new NewTopic(TRANSACTIONS, 1, (short) 1).configs(config),
                  new NewTopic(CLICKS, 1, (short) 1).configs(config)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static LaunchedJar launch(String name, List<String> args) throws IOException {
    LaunchedJar launched = LaunchedJar.start(workDir, name, args);
    launchers.add(launched.process);
    return launched;
  }
}
