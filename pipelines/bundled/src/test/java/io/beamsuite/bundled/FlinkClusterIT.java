package io.beamsuite.bundled;

import static io.beamsuite.bundled.ClusterJobs.allVerticesRunning;
import static io.beamsuite.bundled.ClusterJobs.assertNoFailures;
import static io.beamsuite.bundled.ClusterJobs.awaitValue;
import static io.beamsuite.bundled.ClusterJobs.deleteRecursively;
import static io.beamsuite.bundled.ClusterJobs.jobIds;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.generator.HourPartitionedJsonLinesWriter;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.fixtures.oracle.ActiveUsersRow;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.PageViewRow;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.UserSessionRow;
import io.beamsuite.fixtures.services.FlinkCluster;
import io.beamsuite.pipelines.testing.SandboxProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * The clickstream pipeline submitted to a real Flink session cluster (JobManager and TaskManager in
 * their own JVMs, {@link FlinkCluster}) the way users do it: the Flink job jar with Flink's jars
 * next to it ({@code java -cp beamsuite-flink.jar:<Flink> ...Launcher clickstream
 * --runner=FlinkRunner --flinkMaster=...}, {@link LaunchedJar}), in a child process, against the
 * PostgreSQL and Kafka of a {@link SandboxProcess} ({@link SharedClusterServices}, shared with the
 * other cluster ITs). Only the job jar is staged to the cluster.
 *
 * <ul>
 *   <li>bounded, from JSON-lines files: the three views equal the oracle's exactly, dead letters by
 *       reason equal the oracle's reconciliation, and the job is FINISHED on the cluster without a
 *       task failure; neither the {@code --jdbcPassword} nor the password in {@code
 *       --kafkaSecretsFile} shows in Flink's REST API, its logs or the launcher's output;
 *   <li>streaming, from Kafka with checkpointing, fed by a real-time replay of a generated
 *       workload: page views converge to the oracle given the late records the pipeline reported
 *       (each checked to really be late), dead letters match, checkpoints complete, no task failed;
 *       then the job is stopped with a savepoint and drained over REST, which fires the sessions
 *       and active-users windows still open, and all three views equal the oracle (late records
 *       excluded per window: a click late for the oldest of its sliding windows still counts in the
 *       others); the job FINISHED, the launcher reports DONE.
 * </ul>
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class FlinkClusterIT {
  private static final Path FLINK_JAR = LaunchedJar.FLINK_JAR;
  private static final long SEED = 20_261_123L;
  // The streaming run's event-time policy (seconds, like the real-time replay it reads).
  private static final Duration STREAM_ALLOWED_LATENESS = Duration.ofSeconds(5);
  private static final Duration STREAM_MAX_OUT_OF_ORDERNESS = Duration.ofSeconds(3);
  private static final String STREAM_TOPIC = "clicks-stream";
  private static final String JDBC_SECRET = "jdbc-" + java.util.UUID.randomUUID();
  private static final String KAFKA_SECRET = "kafka-" + java.util.UUID.randomUUID();

  private static Path workDir;
  private static ClusterServices services;
  private static SandboxProcess sandbox;
  private static FlinkCluster flink;
  private static GeneratorConfig config;
  private static List<GeneratedRecord> records;
  private static final List<Process> launchers = new ArrayList<>();

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeClass
  public static void startServices() throws Exception {
    assertTrue(
        "the Flink job jar must exist (failsafe runs after package): " + FLINK_JAR.toAbsolutePath(),
        Files.isRegularFile(FLINK_JAR));
    // Under target/, kept after the run: launcher output and the cluster's logs for diagnosis.
    workDir = Path.of("target", "flink-cluster-it").toAbsolutePath();
    deleteRecursively(workDir);
    Files.createDirectories(workDir);
    services = SharedClusterServices.get();
    sandbox = services.sandbox;
    flink = services.flink;
    config =
        GeneratorConfig.builder()
            .seed(SEED)
            .eventCount(2000)
            .duplicateRate(0.03)
            .lateRate(0.02)
            .malformedRate(0.02)
            .schemaV2Rate(0.2)
            .topicWeights(1, 0, 0)
            .build();
    records = EventGenerator.of(config).generate();
  }

  @AfterClass
  public static void stopServices() throws Exception {
    for (Process launcher : launchers) {
      if (launcher.isAlive()) {
        launcher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    SharedClusterServices.release();
  }

  @Test
  public void a_boundedFromFilesOnTheClusterEqualsTheOracle() throws Exception {
    Path master = workDir.resolve("master");
    new HourPartitionedJsonLinesWriter(master).write(records);
    String jdbcUrl = sandbox.createDatabase("flink_bounded");
    Set<String> jobsBefore = jobIds(flink);
    Path kafkaSecrets = workDir.resolve("kafka-secrets.properties");
    Files.writeString(
        kafkaSecrets,
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"beamsuite\" password=\""
            + KAFKA_SECRET
            + "\";\n");

    long start = System.nanoTime();
    LaunchedJar run =
        launch(
            "bounded",
            "clickstream",
            "--runner=FlinkRunner",
            "--flinkMaster=" + flink.restAddress(),
            "--parallelism=2",
            "--source=file:" + master.resolve("clicks") + "/**.jsonl",
            "--jdbcUrl=" + jdbcUrl,
            "--jdbcUser=" + sandbox.setting("postgres.user"),
            // Secrets whose absence from Flink's REST API and logs is checked below. PostgreSQL
            // runs with trust auth and the broker is PLAINTEXT: both travel, neither is checked.
            "--jdbcPassword=" + JDBC_SECRET,
            "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
            "--kafkaProperties=security.protocol=PLAINTEXT,client.dns.lookup=use_all_dns_ips",
            "--kafkaSecretsFile=" + kafkaSecrets,
            // A Kafka producer on the TaskManager, which reads the secrets file.
            "--deadLetterTopic=dead-letters",
            "--progressSeconds=5");
    int exit = run.await(Duration.ofMinutes(4));
    String output = run.output();
    assertEquals("launcher exit status; output:\n" + output, 0, exit);
    assertTrue(output, output.contains("clickstream finished: DONE"));
    assertTrue(output, output.contains("records in"));
    System.out.printf(
        "bounded clickstream on the Flink cluster: %.1f s (launcher wall time)%n",
        (System.nanoTime() - start) / 1e9);

    // It ran on the cluster, not in an embedded mini cluster.
    List<FlinkCluster.JobStatus> newJobs = newJobs(jobsBefore);
    assertEquals("jobs submitted: " + newJobs, 1, newJobs.size());
    assertEquals("FINISHED", newJobs.get(0).state());
    assertNoFailures(flink, newJobs.get(0).id());
    assertEquals(2, maxVertexParallelism(newJobs.get(0).id()));

    ClickstreamOracle.Result expected =
        ClickstreamOracle.compute(RawInput.fromGenerated(records), LatePolicy.none());
    assertTrue(expected.reconciliation().reconciles());
    assertEquals(expected.reconciliation().recordsIn(), summaryNumber(output, "records in"));
    assertEquals(
        expected.reconciliation().duplicates(), summaryNumber(output, "duplicates dropped"));
    assertEquals(
        expected.reconciliation().deadLetterCount(), summaryNumber(output, "dead letters"));
    try (Connection c = connect(jdbcUrl)) {
      assertEquals(expected.pageViews(), pageViews(c, Instant.MAX));
      assertEquals(expected.sessions(), sessions(c, Instant.MAX));
      assertEquals(expected.activeUsers(), activeUsers(c, Instant.MAX));
      assertEquals(expected.reconciliation().deadLetters(), deadLettersByReason(c));
      assertEquals("nothing is late in a bounded run", 0, lateRecords(c).size());
    }
    assertSecretsNotShown(newJobs.get(0).id(), output);
  }

  /**
   * Neither {@code --jdbcPassword} nor the Kafka secrets file's password shows in what Flink shows:
   * the REST API ({@code /jobs/<id>}, its {@code /config} with the pipeline options as user config,
   * {@code /plan}, {@code /exceptions}, every vertex, {@code /jobmanager/config}, {@code
   * /jobmanager/environment}, {@code /taskmanagers}, {@code /config}), the JobManager and
   * TaskManager logs, and the launcher's output.
   */
  private void assertSecretsNotShown(String jobId, String launcherOutput) throws IOException {
    Map<String, String> shown = new java.util.LinkedHashMap<>();
    for (String path :
        List.of(
            "/jobs/" + jobId,
            "/jobs/" + jobId + "/config",
            "/jobs/" + jobId + "/plan",
            "/jobs/" + jobId + "/exceptions",
            "/jobmanager/config",
            "/jobmanager/environment",
            "/taskmanagers",
            "/config")) {
      shown.put(path, flink.get(path));
    }
    for (JsonNode vertex : flink.getJson("/jobs/" + jobId).path("vertices")) {
      String path = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText();
      shown.put(path, flink.get(path));
    }
    for (String log : List.of("jobmanager.log", "taskmanager.log", "taskmanager.out")) {
      Path file = flink.workDir().resolve(log);
      if (Files.exists(file)) {
        shown.put(log, Files.readString(file, StandardCharsets.ISO_8859_1));
      }
    }
    shown.put("launcher output", launcherOutput);
    // The inspection must see the options and the Kafka step, or it proves nothing.
    assertTrue(shown.get("/jobs/" + jobId + "/config").contains("kafkaSecretsFile"));
    assertTrue(shown.get("/jobs/" + jobId + "/plan").contains("WriteDeadLetterTopic"));
    List<String> leaks = new ArrayList<>();
    shown.forEach(
        (where, text) -> {
          if (text.contains(JDBC_SECRET)) {
            leaks.add("jdbc password in " + where);
          }
          if (text.contains(KAFKA_SECRET)) {
            leaks.add("kafka secret in " + where);
          }
        });
    System.out.printf(
        "secrets: checked %d REST responses and logs (%,d chars): leaks %s%n",
        shown.size(), shown.values().stream().mapToInt(String::length).sum(), leaks);
    assertEquals(List.of(), leaks);
  }

  @Test
  public void b_streamingFromKafkaWithCheckpointsThenDrained() throws Exception {
    String bootstrap = sandbox.setting("kafka.bootstrap");
    createTopic(bootstrap);
    String jdbcUrl = sandbox.createDatabase("flink_streaming");
    Set<String> jobsBefore = jobIds(flink);

    LaunchedJar run =
        launch(
            "streaming",
            "clickstream",
            "--runner=FlinkRunner",
            "--flinkMaster=" + flink.restAddress(),
            "--parallelism=2",
            "--streaming=true",
            "--checkpointingInterval=2000",
            "--attachedMode=false",
            "--source=kafka",
            "--bootstrapServers=" + bootstrap,
            "--clicksTopic=" + STREAM_TOPIC,
            "--allowedLatenessSeconds=" + STREAM_ALLOWED_LATENESS.toSeconds(),
            "--maxOutOfOrdernessSeconds=" + STREAM_MAX_OUT_OF_ORDERNESS.toSeconds(),
            "--jdbcUrl=" + jdbcUrl,
            "--jdbcUser=" + sandbox.setting("postgres.user"),
            "--progressSeconds=5");

    String jobId =
        awaitValue(
            "the streaming job's tasks to run on the cluster",
            Duration.ofSeconds(90),
            () -> {
              assertTrue("launcher exited early:\n" + run.output(), run.process.isAlive());
              for (FlinkCluster.JobStatus job : newJobs(jobsBefore)) {
                if (job.state().equals("RUNNING") && allVerticesRunning(flink, job.id())) {
                  return job.id();
                }
              }
              return null;
            });

    // A real-time replay: each record is sent at its arrival time, event times are around now.
    // (KafkaIO's watermark policy advances an idle partition to wall-clock time minus the
    // out-of-orderness, so a replay of old event times would close every window at once, and a
    // backlog read in one go is over before the first watermark: neither would make anything late.)
    // Event times span 50 s placed 30 s before and 20 s after a minute boundary B at least 10 s
    // away: the same layout relative to the page-view windows in every run. LATE clicks (10% here,
    // so that enough of them fall before B) arrive 10-50 s after their event time; the pipeline's
    // watermark trails wall-clock time by several seconds (delay, bundles, timers), so only the
    // ones arriving well after B are late for the minute ending at B.
    long minute = 60_000;
    long boundary =
        Math.floorDiv(System.currentTimeMillis() + 10_000 + minute - 1, minute) * minute;
    GeneratorConfig streamConfig =
        config.toBuilder()
            .startTime(Instant.ofEpochMilli(boundary).minusSeconds(30))
            .timeSpan(Duration.ofSeconds(50))
            .outOfOrderSpread(Duration.ofSeconds(2))
            .allowedLateness(Duration.ofSeconds(10))
            .maxLateBy(Duration.ofSeconds(40))
            .lateRate(0.1)
            .build();
    List<GeneratedRecord> stream = EventGenerator.of(streamConfig).generate();
    long start = System.nanoTime();
    Map<Long, Instant> appendTimes = produceInRealTime(bootstrap, stream);
    System.out.printf(
        "streaming: %d records sent in real time over %.1f s%n",
        stream.size(), (System.nanoTime() - start) / 1e9);

    Map<String, GeneratedRecord> byEventId = new HashMap<>();
    for (GeneratedRecord r : stream) {
      if (r.eventId() != null) {
        byEventId.putIfAbsent(r.eventId(), r);
      }
    }
    List<RawInput> inputs = RawInput.fromGenerated(stream);
    String[] lastDiff = {"nothing compared yet"};
    try {
      // The last windows close once wall-clock time (the idle partition's watermark) passes them.
      awaitValue(
          "page views equal to the oracle given the reported late records",
          Duration.ofSeconds(120),
          () -> {
            try (Connection c = connect(jdbcUrl)) {
              Map<String, Set<String>> late = lateByView(lateRecords(c));
              ClickstreamOracle.Result expected =
                  ClickstreamOracle.compute(inputs, LatePolicy.observed(late));
              List<PageViewRow> pv = pageViews(c, Instant.MAX);
              if (expected.pageViews().equals(pv)) {
                return true;
              }
              lastDiff[0] = describeDiff(expected.pageViews(), pv, late);
              return null;
            }
          });
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage() + "\nlast difference: " + lastDiff[0] + "\nlauncher:\n" + run.output(), e);
    }
    System.out.printf(
        "streaming clickstream: page views converged %.1f s after the replay started%n",
        (System.nanoTime() - start) / 1e9);

    long completed =
        flink.getJson("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    assertTrue("completed checkpoints: " + completed, completed >= 1);
    assertEquals(2, maxVertexParallelism(jobId));
    assertNoFailures(flink, jobId);

    List<LateRow> lateRows;
    try (Connection c = connect(jdbcUrl)) {
      lateRows = lateRecords(c);
      assertEquals(
          ClickstreamOracle.compute(inputs, LatePolicy.none()).reconciliation().deadLetters(),
          deadLettersByReason(c));
    }
    checkReallyLate(lateRows, byEventId, appendTimes);
    // How far the pipeline's watermark trailed the late records' append times (diagnostics).
    List<Duration> trailing =
        lateRows.stream()
            .map(
                r ->
                    Duration.between(
                        r.watermark(), appendTimes.get(byEventId.get(r.eventId()).arrivalIndex())))
            .sorted()
            .collect(Collectors.toList());
    System.out.printf(
        "streaming: at the late records, the watermark trailed their append time by %s to %s%n",
        trailing.get(0), trailing.get(trailing.size() - 1));

    // Stop with a savepoint and drain, as an operator ends a job for good: the sources stop and
    // the watermark goes to the end of time, which fires every window still open — the 30-minute
    // sessions and the 5-minute active-users windows, which wall-clock time would close only
    // minutes after the replay.
    String savepoint = stopWithDrain(jobId);
    awaitValue(
        "the drained job to be FINISHED",
        Duration.ofSeconds(60),
        () ->
            flink.jobs().stream()
                    .anyMatch(j -> j.id().equals(jobId) && j.state().equals("FINISHED"))
                ? true
                : null);
    int exit = run.await(Duration.ofSeconds(60));
    String output = run.output();
    assertEquals("a drained run is DONE; output:\n" + output, 0, exit);
    assertTrue(output, output.contains("clickstream finished: DONE"));
    assertNoFailures(flink, jobId);

    // All three views now: page views unchanged, sessions and active users fired by the drain;
    // nothing new is late (no record was read after the drain began).
    try (Connection c = connect(jdbcUrl)) {
      List<LateRow> finalLate = lateRecords(c);
      assertEquals(lateRows, finalLate);
      ClickstreamOracle.Result expected = ClickstreamOracle.compute(inputs, perWindow(finalLate));
      assertFalse("sessions compared", expected.sessions().isEmpty());
      assertFalse("active users compared", expected.activeUsers().isEmpty());
      assertEquals(expected.pageViews(), pageViews(c, Instant.MAX));
      assertEquals(expected.sessions(), sessions(c, Instant.MAX));
      assertEquals(expected.activeUsers(), activeUsers(c, Instant.MAX));
      assertEquals(expected.reconciliation().deadLetters(), deadLettersByReason(c));
      System.out.printf(
          "streaming: %d late rows (%s), %d checkpoints completed before the drain (%s); after it"
              + " %d page-view, %d session and %d active-user rows = oracle%n",
          lateRows.size(),
          lateByView(lateRows).entrySet().stream()
              .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size())),
          completed,
          savepoint.substring(savepoint.lastIndexOf('/') + 1),
          expected.pageViews().size(),
          expected.sessions().size(),
          expected.activeUsers().size());
    }
  }

  /**
   * {@code POST /jobs/<id>/stop} with {@code drain}; returns the savepoint's path once it
   * completed.
   */
  private String stopWithDrain(String jobId) throws Exception {
    String body =
        "{\"drain\": true, \"targetDirectory\": \""
            + flink.workDir().resolve("savepoints").toUri()
            + "\"}";
    HttpResponse<String> trigger =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + flink.restAddress() + "/jobs/" + jobId + "/stop"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals("stop with drain: " + trigger.body(), 202, trigger.statusCode());
    String requestId = JSON.readTree(trigger.body()).path("request-id").asText();
    JsonNode done =
        awaitValue(
            "the drain's savepoint to complete",
            Duration.ofSeconds(90),
            () -> {
              JsonNode status = flink.getJson("/jobs/" + jobId + "/savepoints/" + requestId);
              return status.path("status").path("id").asText().equals("COMPLETED") ? status : null;
            });
    JsonNode operation = done.path("operation");
    assertTrue("stop with drain failed: " + operation, operation.has("location"));
    return operation.path("location").asText();
  }

  // ---------------------------------------------------------------------------------------------
  // Lateness

  /** One row of {@code late_records}. */
  private record LateRow(
      String view,
      String eventId,
      Instant eventTime,
      Instant windowStart,
      Instant windowEnd,
      Instant watermark) {}

  private static LatePolicy perWindow(List<LateRow> rows) {
    return LatePolicy.observedPerWindow(
        rows.stream()
            .map(r -> new LatePolicy.LateWindow(r.view(), r.eventId(), r.windowStart()))
            .collect(Collectors.toList()));
  }

  private static Map<String, Set<String>> lateByView(List<LateRow> rows) {
    Map<String, Set<String>> late = new TreeMap<>();
    for (LateRow r : rows) {
      late.computeIfAbsent(r.view(), k -> new HashSet<>()).add(r.eventId());
    }
    return late;
  }

  /**
   * Every reported late record must really be late: labelled LATE by the generator (VALID and
   * DUPLICATE clicks arrive within the out-of-order spread, so never behind the watermark), its
   * window's end plus the allowed lateness behind the watermark the pipeline recorded, and that
   * watermark no further than the source can have got when the record was read: the policy's
   * watermark is at most max(largest event time read, wall clock) minus the out-of-orderness, both
   * bounded by the record's append time to the topic (plus the reader's lag, allowed 2 s).
   */
  private static void checkReallyLate(
      List<LateRow> rows, Map<String, GeneratedRecord> byEventId, Map<Long, Instant> appendTimes) {
    assertFalse(
        "the replay's LATE clicks arrive 10-50 s after their event time; some must be late",
        rows.isEmpty());
    for (LateRow r : rows) {
      GeneratedRecord record = byEventId.get(r.eventId());
      assertTrue("unknown late event " + r, record != null);
      assertEquals("label of late event " + r, RecordLabel.LATE, record.label());
      assertEquals(record.eventTime(), r.eventTime());
      Instant closedAt = r.windowEnd().minusMillis(1).plus(STREAM_ALLOWED_LATENESS);
      assertTrue(
          "window not closed at the recorded watermark: " + r, closedAt.isBefore(r.watermark()));
      Instant appended = appendTimes.get(record.arrivalIndex());
      assertFalse(
          "watermark ahead of what the source allowed: " + r + ", appended " + appended,
          r.watermark()
              .isAfter(appended.minus(STREAM_MAX_OUT_OF_ORDERNESS).plus(Duration.ofSeconds(2))));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The launcher as a child process

  /** A number of the launcher's end-of-run summary, e.g. {@code " records in 2,100 ..."}. */
  private static long summaryNumber(String output, String label) {
    Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(label) + "\\s+([\\d,]+)").matcher(output);
    assertTrue("no '" + label + "' in the summary:\n" + output, m.find());
    return Long.parseLong(m.group(1).replace(",", ""));
  }

  /** The Flink job jar launched with {@code args}, output (stdout and stderr) to a log file. */
  private static LaunchedJar launch(String name, String... args) throws IOException {
    LaunchedJar launched = LaunchedJar.start(workDir, name, List.of(args));
    synchronized (launchers) {
      launchers.add(launched.process);
    }
    return launched;
  }

  // ---------------------------------------------------------------------------------------------
  // Flink REST

  private static List<FlinkCluster.JobStatus> newJobs(Set<String> before) {
    return flink.jobs().stream().filter(j -> !before.contains(j.id())).collect(Collectors.toList());
  }

  private static int maxVertexParallelism(String jobId) {
    int max = 0;
    for (JsonNode vertex : flink.getJson("/jobs/" + jobId).path("vertices")) {
      max = Math.max(max, vertex.path("parallelism").asInt());
    }
    return max;
  }

  // ---------------------------------------------------------------------------------------------
  // Kafka

  private static void createTopic(String bootstrap) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (AdminClient admin = AdminClient.create(props)) {
      // One partition at parallelism 2 (fewer partitions than readers: the second reader gets an
      // empty split and must not hold the watermark back). The arrival order is the read order.
      // LogAppendTime: the producer learns
      // when each record became readable. Room for the corpus's oversized payload.
      NewTopic topic =
          new NewTopic(STREAM_TOPIC, 1, (short) 1)
              .configs(
                  Map.of(
                      "message.timestamp.type",
                      "LogAppendTime",
                      "max.message.bytes",
                      String.valueOf(8 << 20)));
      admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Sends each record at its arrival time (wall clock), in arrival order; returns the broker's
   * append time per arrival index.
   */
  private static Map<Long, Instant> produceInRealTime(
      String bootstrap, List<GeneratedRecord> stream) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
    Map<Long, Future<RecordMetadata>> sent = new HashMap<>();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      for (GeneratedRecord r : stream) {
        long wait = r.arrivalTime().toEpochMilli() - System.currentTimeMillis();
        if (wait > 0) {
          Thread.sleep(wait);
        }
        sent.put(
            r.arrivalIndex(),
            producer.send(new ProducerRecord<>(STREAM_TOPIC, 0, null, r.key(), r.payload())));
      }
      producer.flush();
    }
    Map<Long, Instant> appended = new HashMap<>();
    for (Map.Entry<Long, Future<RecordMetadata>> e : sent.entrySet()) {
      // A failed send throws here.
      appended.put(e.getKey(), Instant.ofEpochMilli(e.getValue().get().timestamp()));
    }
    return appended;
  }

  // ---------------------------------------------------------------------------------------------
  // PostgreSQL

  private static Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, sandbox.setting("postgres.user"), "");
  }

  private static boolean tableExists(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT to_regclass('public." + table + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  private static List<PageViewRow> pageViews(Connection c, Instant before) throws SQLException {
    List<PageViewRow> rows = new ArrayList<>();
    if (!tableExists(c, "page_views_per_minute")) {
      return rows;
    }
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT page, window_start, window_end, views FROM page_views_per_minute"
                    + " ORDER BY page COLLATE \"C\", window_start")) {
      while (rs.next()) {
        PageViewRow row =
            new PageViewRow(
                rs.getString("page"),
                instant(rs, "window_start"),
                instant(rs, "window_end"),
                rs.getLong("views"));
        if (row.windowStart().isBefore(before)) {
          rows.add(row);
        }
      }
    }
    return rows;
  }

  private static List<UserSessionRow> sessions(Connection c, Instant before) throws SQLException {
    List<UserSessionRow> rows = new ArrayList<>();
    if (!tableExists(c, "user_sessions")) {
      return rows;
    }
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT user_id, session_start, session_end, clicks FROM user_sessions"
                    + " ORDER BY user_id COLLATE \"C\", session_start")) {
      while (rs.next()) {
        UserSessionRow row =
            new UserSessionRow(
                rs.getString("user_id"),
                instant(rs, "session_start"),
                instant(rs, "session_end"),
                rs.getLong("clicks"));
        if (row.sessionStart().isBefore(before)) {
          rows.add(row);
        }
      }
    }
    return rows;
  }

  private static List<ActiveUsersRow> activeUsers(Connection c, Instant before)
      throws SQLException {
    List<ActiveUsersRow> rows = new ArrayList<>();
    if (!tableExists(c, "active_users")) {
      return rows;
    }
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT window_start, window_end, active_users FROM active_users ORDER BY window_start")) {
      while (rs.next()) {
        ActiveUsersRow row =
            new ActiveUsersRow(
                instant(rs, "window_start"), instant(rs, "window_end"), rs.getLong("active_users"));
        if (row.windowStart().isBefore(before)) {
          rows.add(row);
        }
      }
    }
    return rows;
  }

  private static Map<String, Long> deadLettersByReason(Connection c) throws SQLException {
    Map<String, Long> counts = new TreeMap<>();
    if (!tableExists(c, "dead_letters")) {
      return counts;
    }
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT reason, count(*) FROM dead_letters GROUP BY reason")) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    return counts;
  }

  private static List<LateRow> lateRecords(Connection c) throws SQLException {
    List<LateRow> rows = new ArrayList<>();
    if (!tableExists(c, "late_records")) {
      return rows;
    }
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT view, event_id, event_time, window_start, window_end, watermark FROM late_records"
                    + " ORDER BY view, event_id, window_start")) {
      while (rs.next()) {
        rows.add(
            new LateRow(
                rs.getString("view"),
                rs.getString("event_id"),
                instant(rs, "event_time"),
                instant(rs, "window_start"),
                instant(rs, "window_end"),
                instant(rs, "watermark")));
      }
    }
    return rows;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static String describeDiff(
      List<PageViewRow> expected, List<PageViewRow> actual, Map<String, Set<String>> late) {
    return String.format(
        "late per view %s; page views expected %d rows, actual %d, missing %s, unexpected %s",
        late.entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size())),
        expected.size(),
        actual.size(),
        head(minus(expected, actual)),
        head(minus(actual, expected)));
  }

  private static <T> List<T> minus(List<T> a, List<T> b) {
    Set<T> bs = new HashSet<>(b);
    return a.stream().filter(x -> !bs.contains(x)).collect(Collectors.toList());
  }

  private static <T> String head(List<T> rows) {
    return rows.size() <= 5
        ? rows.toString()
        : rows.subList(0, 5) + " (+" + (rows.size() - 5) + ")";
  }
}
