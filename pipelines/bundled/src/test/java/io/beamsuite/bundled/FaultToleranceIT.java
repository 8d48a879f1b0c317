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
import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.oracle.ClickstreamOracle;
import io.beamsuite.fixtures.oracle.CustomerDelete;
import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.CustomersOracle;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.services.CustomersTable;
import io.beamsuite.fixtures.services.FlinkCluster;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Faults injected into streaming jobs on the real Flink session cluster ({@link FlinkCluster}, JM
 * and TM in their own JVMs) reading the real Kafka and writing the real PostgreSQL of a {@link
 * SandboxProcess} ({@link SharedClusterServices}, shared with the other cluster ITs); each ends
 * with the result tables equal to an independent oracle (nothing lost, nothing counted twice).
 * docs/reliability.md lists the measured outcomes.
 *
 * <ol>
 *   <li>the TaskManager is SIGKILLed mid-stream and replaced while a {@code clickstream} and a
 *       {@code fraud} job run on it: both restart from their last checkpoints;
 *   <li>the job is stopped with a savepoint ({@code cancel-job}), records arrive meanwhile, and it
 *       is resubmitted with {@code --savepointPath};
 *   <li>the Kafka broker is stopped for a few seconds mid-stream and restarted on the same port and
 *       log dir: the job's source reads nothing while it is down, although records are produced;
 *   <li>the job's PostgreSQL sessions are terminated ({@code pg_terminate_backend}): first those
 *       whose write waits on tables the test locked (the sink must retry that write: asserted),
 *       then all of them again and again while it writes (those rounds' retries are reported);
 *   <li>Debezium is stopped, the source table changes, Debezium starts again from its stored
 *       offsets: the {@code cdc-replication} replica equals the source;
 *   <li>(7 in docs/reliability.md, whose 6 is the poison records test) on time: event times are the
 *       send times, a window fires when the watermark passes its end, and after the first one fired
 *       the broker is restarted (reads stall, as in 3) and then the TaskManager killed (as in 1);
 *       the page views end equal to the oracle, nothing late.
 * </ol>
 *
 * <p>The clickstream workloads carry event times {@link #EVENT_AGE} in the past with an allowed
 * lateness above that: every window (also a 30-minute session) is already closed when its records
 * are read, and none is dropped, so each record updates its window's row (accumulating panes,
 * upserts) and the tables equal the oracle as soon as every record is processed, whatever the fault
 * did to the timing. Nothing may be routed late. Fault 7 is the on-time regime, with an allowed
 * lateness ({@link #ON_TIME_LATENESS}) that only covers the outages.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class FaultToleranceIT {
  private static final Duration EVENT_AGE = Duration.ofMinutes(40);
  private static final Duration ALLOWED_LATENESS = Duration.ofHours(1);
  private static final int EVENTS = 1500;
  private static final Duration FEED_TIME = Duration.ofSeconds(15);
  private static final Duration CONVERGENCE_TIMEOUT = Duration.ofSeconds(150);

  /** The on-time fault's records: ~10 a second, sent as their event times pass. */
  private static final int ON_TIME_EVENTS = 600;

  /**
   * The on-time fault's lateness: covers the outages, while windows fire when the watermark passes
   * them.
   */
  private static final Duration ON_TIME_LATENESS = Duration.ofSeconds(120);

  private static Path workDir;
  private static ClusterServices services;
  private static SandboxProcess sandbox;
  private static FlinkCluster flink;
  private static final List<LaunchedJar> launchers = new ArrayList<>();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The job of the running test, cancelled after it whatever happened. */
  private String runningJob;

  /** The fraud job of fault 1, likewise. */
  private String runningFraudJob;

  @BeforeClass
  public static void startServices() throws Exception {
    assertTrue(
        "the Flink job jar must exist (failsafe runs after package)",
        Files.isRegularFile(LaunchedJar.FLINK_JAR));
    workDir = Path.of("target", "fault-tolerance-it").toAbsolutePath();
    deleteRecursively(workDir);
    Files.createDirectories(workDir);
    // The shared services carry the fault settings (restart budget, heartbeats, metrics age).
    services = SharedClusterServices.get();
    sandbox = services.sandbox;
    flink = services.flink;
  }

  @AfterClass
  public static void stopServices() throws Exception {
    for (LaunchedJar launcher : launchers) {
      if (launcher.process.isAlive()) {
        launcher.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    SharedClusterServices.release();
  }

  @After
  public void cancelRunningJob() throws Exception {
    if (runningJob != null) {
      cancel(runningJob);
      runningJob = null;
    }
    if (runningFraudJob != null) {
      cancel(runningFraudJob);
      runningFraudJob = null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 1. TaskManager killed

  @Test
  public void a_taskManagerKilledMidStreamRestartsFromTheLastCheckpoint() throws Exception {
    FraudFixture fraud = new FraudFixture("tm_kill", 115);
    String fraudJob = launchFraud(fraud);
    Feed fraudFeed = Feed.startPaused(fraud.transactionsTopic, fraud.records, FEED_TIME);
    awaitValue(
        "a completed checkpoint of the fraud job",
        Duration.ofSeconds(90),
        () -> checkpoints(fraudJob).path("counts").path("completed").asLong() >= 1 ? true : null);
    Fixture f = Fixture.create("tm_kill", 101);
    String jobId = launchClickstream(f);
    Feed feed = Feed.startPaused(f.topic, f.records, FEED_TIME);
    awaitProgress(jobId, f);

    // Both jobs hold open windows over the first third of their records; the rest arrives while
    // the TaskManager is gone and the jobs restart (feeding first and killing after raced: on a
    // loaded machine the feeds could finish before the kill).
    int sentAtKill = feed.sent.get();
    int fraudSentAtKill = fraudFeed.sent.get();
    long completedBefore = checkpoints(jobId).path("counts").path("completed").asLong();
    long killedAt = System.nanoTime();
    Set<String> before = flink.killTaskManager();
    feed.resume();
    fraudFeed.resume();
    flink.startTaskManager(before);
    double replacementSeconds = secondsSince(killedAt);
    awaitValue(
        "the job restarted on the replacement TaskManager",
        Duration.ofSeconds(120),
        () -> restarts(jobId) >= 1 && allVerticesRunning(flink, jobId) ? true : null);
    double recoveredSeconds = secondsSince(killedAt);
    assertTrue("the kill must come mid-stream: sent " + sentAtKill, sentAtKill < f.records.size());

    feed.await();
    fraudFeed.await();
    double convergedSeconds = awaitOracle(f::difference, killedAt);
    double fraudConvergedSeconds = awaitOracle(fraud::difference, killedAt);
    JsonNode restored = checkpoints(jobId).path("latest").path("restored");
    assertFalse(
        "the job restored no checkpoint: " + checkpoints(jobId),
        restored.isMissingNode() || restored.isNull());
    assertFalse(restored.path("is_savepoint").asBoolean());
    JsonNode fraudRestored = checkpoints(fraudJob).path("latest").path("restored");
    assertFalse(
        "the fraud job restored no checkpoint: " + checkpoints(fraudJob),
        fraudRestored.isMissingNode() || fraudRestored.isNull());
    assertTrue("the fraud job did not restart", restarts(fraudJob) >= 1);
    report(
        "1 TaskManager SIGKILL",
        String.format(
            "kill after %d of %d records sent and %d completed checkpoints; replacement TM registered"
                + " %.1f s after the kill, job RUNNING again after %.1f s (restarts %d, restored"
                + " checkpoint %d), tables = oracle %.1f s after the kill; %s",
            sentAtKill,
            f.records.size(),
            completedBefore,
            replacementSeconds,
            recoveredSeconds,
            restarts(jobId),
            restored.path("id").asLong(),
            convergedSeconds,
            f.counts()));
    report(
        "1 TaskManager SIGKILL (fraud)",
        String.format(
            "kill after %d of %d transactions sent; restarts %d, restored checkpoint %d, alerts ="
                + " oracle %.1f s after the kill; %s",
            fraudSentAtKill,
            fraud.records.size(),
            restarts(fraudJob),
            fraudRestored.path("id").asLong(),
            fraudConvergedSeconds,
            fraud.counts()));
  }

  // ---------------------------------------------------------------------------------------------
  // 2. Cancelled with a savepoint, resumed from it

  @Test
  public void b_cancelledWithASavepointAndResumedFromIt() throws Exception {
    Fixture f = Fixture.create("savepoint", 102);
    String jobId = launchClickstream(f);
    int half = f.records.size() / 2;
    Feed.start(f.topic, f.records.subList(0, half), FEED_TIME.dividedBy(2)).await();
    awaitProgress(jobId, f);

    long stoppedAt = System.nanoTime();
    String savepoint = stopWithSavepoint(jobId);
    runningJob = null;
    double savepointSeconds = secondsSince(stoppedAt);
    // Arrive while no job runs: only the savepoint's offsets can bring them in.
    Feed.start(f.topic, f.records.subList(half, f.records.size()), Duration.ZERO).await();

    String resumed = launchClickstream(f, "--savepointPath=" + savepoint);
    double resumedSeconds = secondsSince(stoppedAt);
    JsonNode restored = checkpoints(resumed).path("latest").path("restored");
    assertTrue(
        "the resumed job did not start from the savepoint: " + restored,
        restored.path("is_savepoint").asBoolean());
    assertEquals(savepoint, restored.path("external_path").asText());
    double convergedSeconds = awaitOracle(f::difference, stoppedAt);
    assertNoFailures(flink, resumed);
    report(
        "2 savepoint + resubmit",
        String.format(
            "savepoint with cancel took %.1f s (%s), %d records arrived while stopped; resubmitted job"
                + " RUNNING %.1f s after the stop, tables = oracle %.1f s after the stop; %s",
            savepointSeconds,
            savepoint.substring(savepoint.lastIndexOf('/') + 1),
            f.records.size() - half,
            resumedSeconds,
            convergedSeconds,
            f.counts()));
  }

  // ---------------------------------------------------------------------------------------------
  // 3. Kafka broker restarted

  @Test
  public void c_kafkaBrokerRestartedMidStream() throws Exception {
    MidStream run = midStream("kafka_restart", 103);
    Fixture f = run.fixture();
    String jobId = run.jobId();
    Feed feed = run.feed();

    int sentAtStop = feed.sent.get();
    long stoppedAt = System.nanoTime();
    Outage outage = restartBroker(jobId, feed);
    double downSeconds = secondsSince(stoppedAt);
    assertTrue(
        "the broker must stop mid-stream: sent " + sentAtStop, sentAtStop < f.records.size());

    feed.await();
    double convergedSeconds = awaitOracle(f::difference, stoppedAt);
    report(
        "3 Kafka broker restart",
        String.format(
            "broker stopped after %d of %d records sent, down %.1f s; %s; job restarts %d; tables ="
                + " oracle %.1f s after the stop; %s",
            sentAtStop,
            f.records.size(),
            downSeconds,
            outage,
            restarts(jobId),
            convergedSeconds,
            f.counts()));
  }

  // ---------------------------------------------------------------------------------------------
  // 4. PostgreSQL sessions terminated

  @Test
  public void d_postgresSessionsTerminatedWhileTheSinksWrite() throws Exception {
    MidStream run = midStream("pg_kill", 104);
    Fixture f = run.fixture();
    String jobId = run.jobId();
    Feed feed = run.feed();

    long startedAt = System.nanoTime();
    int rounds = 0;
    long terminated = 0;
    long retriesSeen = 0;
    long inFlightKilled;
    long retriedAfterInFlightKill;
    // From the server's maintenance database, so that the killer never kills itself.
    try (Connection admin = connect(sandbox.setting("postgres.jdbcUrl"));
        Statement s = admin.createStatement()) {
      // First a kill that certainly meets a write in flight, so that its effect can be asserted.
      inFlightKilled = terminateWritesWaitingOnLockedTables(f, s);
      terminated += inFlightKilled;
      retriedAfterInFlightKill = awaitSinkRetries(jobId);
      retriesSeen = retriedAfterInFlightKill;
      while (!feed.done()) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE datname = '"
                    + f.database
                    + "' AND pid <> pg_backend_pid()")) {
          rs.next();
          terminated += rs.getLong(1);
        }
        // Sampled every round: a bundle whose retries ran out fails the job, whose restart
        // resets the counters of the attempt.
        retriesSeen = Math.max(retriesSeen, sinkRetries(jobId));
        rounds++;
        Thread.sleep(500);
      }
    }
    feed.await();
    assertTrue("no session was terminated", terminated > 0);
    assertTrue(
        "the session killed while its write waited on a lock failed that write, which the sink"
            + " retried (retries metric "
            + retriedAfterInFlightKill
            + ", job restarts "
            + restarts(jobId)
            + ")",
        retriedAfterInFlightKill > 0);
    double convergedSeconds = awaitOracle(f::difference, startedAt);
    // The rounds' retries are reported, not asserted: a round's kill fails a batch only if the
    // batch was in flight on the session; one found idle in the pool is replaced before use, and a
    // batch whose attempts all meet terminated sessions fails the bundle into a job restart, which
    // resets the counters (measured).
    long retries = Math.max(retriesSeen, sinkRetries(jobId));
    report(
        "4 PostgreSQL sessions terminated",
        String.format(
            "%d session(s) terminated while their write waited on a lock, then retried by the"
                + " sink (retries %d); %d sessions terminated in all, in %d rounds (every 0.5 s"
                + " while the feed ran); batches retried by the JDBC sinks %d (JdbcUpsertSink"
                + " retries metric, highest seen in an attempt); job restarts %d (exceptions: %s);"
                + " tables = oracle %.1f s after the first round; %s",
            inFlightKilled,
            retriedAfterInFlightKill,
            terminated,
            rounds,
            retries,
            restarts(jobId),
            exceptions(jobId),
            convergedSeconds,
            f.counts()));
  }

  // ---------------------------------------------------------------------------------------------
  // 5. Debezium restarted

  @Test
  public void e_debeziumRestartedResumesFromItsStoredOffsets() throws Exception {
    String jdbcUrl = sandbox.setting("postgres.jdbcUrl");
    String user = sandbox.setting("postgres.user");
    String topic = sandbox.setting("cdc.topic");
    String bootstrap = sandbox.setting("kafka.bootstrap");
    PGSimpleDataSource db = new PGSimpleDataSource();
    db.setURL(jdbcUrl);
    db.setUser(user);
    CustomersTable customers = new CustomersTable(db);
    EventGenerator generator =
        EventGenerator.of(
            GeneratorConfig.builder()
                .seed(105)
                .eventCount(10)
                .customerCount(60)
                .customerUpdateCount(80)
                .build());
    List<CustomerRow> snapshot = generator.customerSnapshot();
    List<CustomerRow> updates = generator.customerUpdates();
    int half = updates.size() / 2;
    customers.insert(
        snapshot.stream().map(FaultToleranceIT::row).toArray(CustomersTable.Customer[]::new));
    for (CustomerRow u : updates.subList(0, half)) {
      customers.update(row(u));
    }

    Set<String> jobsBefore = jobIds(flink);
    LaunchedJar run =
        launch(
            "cdc",
            "cdc-replication",
            "--runner=FlinkRunner",
            "--flinkMaster=" + flink.restAddress(),
            "--streaming=true",
            "--checkpointingInterval=1000",
            "--attachedMode=false",
            "--source=kafka",
            "--bootstrapServers=" + bootstrap,
            "--jdbcUrl=" + jdbcUrl,
            "--jdbcUser=" + user);
    runningJob = awaitRunning(run, jobsBefore);
    // Polled while the job runs: a table appears with its first row.
    ResultTables tables = new ResultTables(jdbcUrl, user).allowingMissingTables();
    awaitReplicaEqualsSource(tables, "the replica of the changes before the stop");

    long offsetBefore = endOffset(bootstrap, topic);
    long stoppedAt = System.nanoTime();
    sandbox.inject("debezium stop");
    // Committed while Debezium is down: only its stored offset (the replication slot's position)
    // brings these into the topic.
    List<CustomerDelete> deletes = new ArrayList<>();
    for (CustomerRow u : updates.subList(half, updates.size())) {
      customers.update(row(u));
    }
    for (CustomerRow c : snapshot.subList(0, 5)) {
      assertTrue(customers.delete(c.customerId()));
      deletes.add(new CustomerDelete(c.customerId(), Instant.now()));
    }
    assertEquals(
        "Debezium is down: nothing new on " + topic, offsetBefore, endOffset(bootstrap, topic));
    sandbox.inject("debezium start");
    double restartSeconds = secondsSince(stoppedAt);

    Map<String, CustomerRow> expected = CustomersOracle.finalState(snapshot, updates, deletes);
    assertEquals(expected, tables.customersSource());
    awaitReplicaEqualsSource(
        tables, "the replica of every change, also those made while Debezium was down");
    double convergedSeconds = secondsSince(stoppedAt);
    assertEquals(expected, tables.customersReplica("customers_replica"));

    // Resumed, not restarted: every change once on the topic, no second snapshot.
    List<JsonNode> events = changeEvents(bootstrap, topic);
    long expectedEvents = snapshot.size() + updates.size() + deletes.size();
    assertEquals(expectedEvents, events.size());
    assertEquals(
        "snapshot rows (op=r) after the restart",
        0,
        events.stream().filter(e -> e.path("op").asText().equals("r")).count());
    Set<String> positions = new HashSet<>();
    for (JsonNode e : events) {
      String position =
          e.path("source").path("lsn").asText()
              + "/"
              + e.path("after").path("customer_id").asText()
              + "/"
              + e.path("before").path("customer_id").asText()
              + "/"
              + e.path("op").asText();
      assertTrue("change delivered twice: " + e, positions.add(position));
    }
    assertNoFailures(flink, runningJob);
    report(
        "5 Debezium restart",
        String.format(
            "%d updates and %d deletes committed while Debezium was down (%.1f s); replica = source ="
                + " oracle (%d rows) %.1f s after the stop; topic holds %d change events, each once,"
                + " no second snapshot",
            updates.size() - half,
            deletes.size(),
            restartSeconds,
            expected.size(),
            convergedSeconds,
            events.size()));
  }

  // ---------------------------------------------------------------------------------------------
  // 7. On time: a broker restart, then a TaskManager kill, while windows fire on time

  @Test
  public void f_onTimeWindowsThroughABrokerRestartAndATaskManagerKill() throws Exception {
    String database = "fault_on_time";
    String jdbcUrl = sandbox.createDatabase(database);
    String topic = "clicks-fault-on-time";
    createTopic(topic);
    String jobId =
        launchStreaming(
            "clickstream",
            database,
            jdbcUrl,
            ON_TIME_LATENESS,
            "--clicksTopic=" + topic,
            "--maxOutOfOrdernessSeconds=3");
    runningJob = jobId;

    // Event times from now to 75 s past the next minute boundary B at least 10 s away, sent as
    // they happen: the watermark follows the event times and the wall clock, so the window ending
    // at B fires on time while the rest still arrives, and both faults hit after it fired. (75 s:
    // with 45 s, a clean-clone CI run once saw the window's row only after the feed had ended.)
    Instant first = Instant.now().plusSeconds(1);
    long minute = 60_000;
    Instant boundary =
        Instant.ofEpochMilli(
            Math.floorDiv(first.toEpochMilli() + 10_000 + minute - 1, minute) * minute);
    Duration span = Duration.between(first, boundary.plusSeconds(75));
    List<GeneratedRecord> records =
        EventGenerator.of(
                faultWorkload(106)
                    .eventCount(ON_TIME_EVENTS)
                    .startTime(first)
                    .timeSpan(span)
                    .outOfOrderSpread(Duration.ofSeconds(2))
                    .topicWeights(1, 0, 0)
                    .build())
            .generate();
    ClickstreamOracle.Result expected =
        ClickstreamOracle.compute(RawInput.fromGenerated(records), LatePolicy.none());
    assertTrue(expected.reconciliation().reconciles());
    ResultTables tables = new ResultTables(jdbcUrl, sandbox.setting("postgres.user"));
    Feed feed = Feed.start(topic, records, span);

    awaitValue(
        "the window ending at " + boundary + " to fire, and a completed checkpoint",
        Duration.ofSeconds(120),
        () ->
            checkpoints(jobId).path("counts").path("completed").asLong() >= 1
                    && tables.pageViews().stream().anyMatch(r -> r.windowEnd().equals(boundary))
                ? true
                : null);
    assertFalse(
        "on time: the window ending at B fired while its successor's records still arrive (row seen "
            + Duration.between(boundary, Instant.now()).toMillis()
            + " ms after B)",
        feed.done());

    int sentAtStop = feed.sent.get();
    Outage outage = restartBroker(jobId, feed);
    // On time the readers are caught up: nothing fetched is left to drain, so they must stall.
    assertTrue("the job's readers read on while the broker was down: " + outage, outage.stalled());

    int sentAtKill = feed.sent.get();
    long restartsBeforeKill = restarts(jobId);
    long killedAt = System.nanoTime();
    Set<String> before = flink.killTaskManager();
    flink.startTaskManager(before);
    awaitValue(
        "the job restarted on the replacement TaskManager",
        Duration.ofSeconds(120),
        () ->
            restarts(jobId) > restartsBeforeKill && allVerticesRunning(flink, jobId) ? true : null);
    double recoveredSeconds = secondsSince(killedAt);
    assertTrue("the kill must come mid-stream: sent " + sentAtKill, sentAtKill < records.size());

    feed.await();
    // Sessions (30-minute gap) and active users (5-minute windows) would close only minutes after
    // the feed: on time, the page views are what fires within the test.
    double convergedSeconds =
        awaitOracle(
            () -> {
              List<String> diffs = new ArrayList<>();
              Fixture.compare("page views", expected.pageViews(), tables.pageViews(), diffs);
              compareDeadLettersAndNoLate(
                  expected.reconciliation().deadLetters(), "parse-clicks", tables, diffs);
              return String.join("; ", diffs);
            },
            killedAt);
    JsonNode restored = checkpoints(jobId).path("latest").path("restored");
    assertFalse(
        "the job restored no checkpoint: " + checkpoints(jobId),
        restored.isMissingNode() || restored.isNull());
    report(
        "7 on time: Kafka broker restart, then TaskManager SIGKILL",
        String.format(
            "event times = send times (%d records over %.0f s), the window ending at B fired before"
                + " the faults; broker stopped after %d records sent: %s; TaskManager killed after %d"
                + " sent, job RUNNING again %.1f s after the kill (restarts %d, restored checkpoint"
                + " %d); page views = oracle %.1f s after the kill (%d rows), dead letters %s, 0 late",
            records.size(),
            span.toMillis() / 1e3,
            sentAtStop,
            outage,
            sentAtKill,
            recoveredSeconds,
            restarts(jobId),
            restored.path("id").asLong(),
            convergedSeconds,
            expected.pageViews().size(),
            expected.reconciliation().deadLetters()));
  }

  /** What the job's Kafka readers read while the broker was down. */
  private record Outage(
      long readAtStop, long readEarly, long readLate, int sentEarly, int sentLate) {
    /**
     * At most 2 records read from 1.5 s into the outage to its end (what a fetch already under way
     * at the stop can still hand over; measured 0 and 1), while at least 10 were produced — a
     * reader with a broker would have read nearly all of them.
     */
    boolean stalled() {
      return readLate - readEarly <= 2 && sentLate - sentEarly >= 10;
    }

    @Override
    public String toString() {
      return String.format(
          "records read %d at the stop, %d 1.5 s into the outage, %d at its end, while the feed"
              + " sent %d more",
          readAtStop, readEarly, readLate, sentLate - sentEarly);
    }
  }

  /**
   * Stops the broker for 5 s while {@code feed} keeps producing, samples what the job's readers
   * read during the outage, and checks that they read again after the restart. Whether they stalled
   * is the caller's to assert: a backpressured job keeps reading the batch its consumer fetched
   * before the stop.
   */
  private static Outage restartBroker(String jobId, Feed feed) throws Exception {
    // The count must move while the broker is up, or its standing still below proves nothing.
    long live = sourceRecordsRead(jobId);
    awaitValue(
        "the source's record count to advance while the feed runs",
        Duration.ofSeconds(30),
        () -> sourceRecordsRead(jobId) > live ? true : null);
    long readAtStop = sourceRecordsRead(jobId);
    sandbox.inject("kafka stop");
    // The fault itself: the broker stays down 5 s (the feeder's producer buffers).
    Thread.sleep(1_500);
    long readEarly = sourceRecordsRead(jobId);
    int sentEarly = feed.sent.get();
    Thread.sleep(3_500);
    long readLate = sourceRecordsRead(jobId);
    int sentLate = feed.sent.get();
    sandbox.inject("kafka start");
    Outage outage = new Outage(readAtStop, readEarly, readLate, sentEarly, sentLate);
    awaitValue(
        "the job to read again after the broker restart",
        Duration.ofSeconds(60),
        () -> sourceRecordsRead(jobId) > readLate ? true : null);
    return outage;
  }

  // ---------------------------------------------------------------------------------------------
  // The clickstream workload of one test: its own topic, database, records and oracle

  private static final class Fixture {
    final String database;
    final String jdbcUrl;
    final String topic;
    final List<GeneratedRecord> records;
    final ClickstreamOracle.Result expected;
    final ResultTables tables;

    private Fixture(String name, long seed) throws Exception {
      database = "fault_" + name;
      jdbcUrl = sandbox.createDatabase(database);
      topic = "clicks-fault-" + name.replace('_', '-');
      createTopic(topic);
      GeneratorConfig config =
          faultWorkload(seed).timeSpan(Duration.ofMinutes(2)).topicWeights(1, 0, 0).build();
      records = EventGenerator.of(config).generate();
      expected = ClickstreamOracle.compute(RawInput.fromGenerated(records), LatePolicy.none());
      assertTrue(expected.reconciliation().reconciles());
      // Polled while the job runs: a table appears with its first row.
      tables = new ResultTables(jdbcUrl, sandbox.setting("postgres.user")).allowingMissingTables();
    }

    static Fixture create(String name, long seed) throws Exception {
      return new Fixture(name, seed);
    }

    /** The empty string when the tables equal the oracle, else what differs. */
    String difference() throws SQLException {
      List<String> diffs = new ArrayList<>();
      compare("page views", expected.pageViews(), tables.pageViews(), diffs);
      compare("sessions", expected.sessions(), tables.userSessions(), diffs);
      compare("active users", expected.activeUsers(), tables.activeUsers(), diffs);
      compareDeadLettersAndNoLate(
          expected.reconciliation().deadLetters(), "parse-clicks", tables, diffs);
      return String.join("; ", diffs);
    }

    String counts() {
      return String.format(
          "%d records in, %d page-view rows, %d session rows, %d active-user rows, dead letters %s,"
              + " %d duplicates",
          records.size(),
          expected.pageViews().size(),
          expected.sessions().size(),
          expected.activeUsers().size(),
          expected.reconciliation().deadLetters(),
          expected.reconciliation().duplicates());
    }

    private static <T> void compare(
        String what, List<T> expected, List<T> actual, List<String> diffs) {
      Set<T> e = new HashSet<>(expected);
      Set<T> a = new HashSet<>(actual);
      if (!e.equals(a) || expected.size() != actual.size()) {
        List<T> missing =
            expected.stream().filter(x -> !a.contains(x)).collect(Collectors.toList());
        List<T> unexpected =
            actual.stream().filter(x -> !e.contains(x)).collect(Collectors.toList());
        diffs.add(
            String.format(
                "%s: expected %d rows, got %d; missing %s; unexpected %s",
                what, expected.size(), actual.size(), head(missing), head(unexpected)));
      }
    }
  }

  /**
   * Adds to {@code diffs} if {@code stage}'s dead letters by reason differ or anything was late.
   */
  private static void compareDeadLettersAndNoLate(
      Map<String, Long> expected, String stage, ResultTables tables, List<String> diffs)
      throws SQLException {
    Fixture.compare(
        "dead letters by reason",
        List.of(expected),
        List.of(tables.deadLettersByReason(stage)),
        diffs);
    long late = tables.lateRecords();
    if (late != 0) {
      diffs.add(late + " late records (none expected)");
    }
  }

  /**
   * The faults' workloads: {@link #EVENTS} events {@link #EVENT_AGE} old, every fate but late
   * (duplicates, malformed, schema v2); no record above the broker's message size limit.
   */
  private static GeneratorConfig.Builder faultWorkload(long seed) {
    return GeneratorConfig.builder()
        .seed(seed)
        .eventCount(EVENTS)
        .startTime(Instant.now().minus(EVENT_AGE))
        .duplicateRate(0.03)
        .lateRate(0)
        .malformedRate(0.02)
        .schemaV2Rate(0.2)
        .includeOversizedMalformed(false);
  }

  /**
   * A fraud workload: transactions {@link #EVENT_AGE} old on their own topic, and the customers'
   * history (Debezium envelopes, snapshot then updates) on another, complete before the job starts
   * — so the as-of join's result does not depend on when the fault hits.
   */
  private static final class FraudFixture {
    final String database;
    final String jdbcUrl;
    final String transactionsTopic;
    final String customersTopic;
    final List<GeneratedRecord> records;
    final FraudOracle.Result expected;
    final ResultTables tables;

    FraudFixture(String name, long seed) throws Exception {
      database = "fault_" + name + "_fraud";
      jdbcUrl = sandbox.createDatabase(database);
      transactionsTopic = "transactions-fault-" + name.replace('_', '-');
      customersTopic = "customers-fault-" + name.replace('_', '-');
      createTopic(transactionsTopic);
      GeneratorConfig config =
          faultWorkload(seed)
              .timeSpan(Duration.ofMinutes(10))
              .topicWeights(0, 1, 0)
              .customerCount(12)
              .customerUpdateCount(10)
              .build();
      EventGenerator generator = EventGenerator.of(config);
      records = generator.generate();
      expected =
          FraudOracle.compute(
              RawInput.fromGenerated(records),
              CustomerVersions.of(generator.customerSnapshot(), generator.customerUpdates()),
              FraudParams.defaults(),
              LatePolicy.none());
      assertTrue(expected.reconciliation().reconciles());
      // Every rule fires, so an alert lost or doubled by the fault shows.
      for (String rule :
          List.of(
              FraudOracle.AMOUNT_OVER_LIMIT, FraudOracle.MANY_COUNTRIES, FraudOracle.VELOCITY)) {
        assertTrue(
            rule + " never fires in this workload",
            expected.alerts().stream().anyMatch(a -> a.rule().equals(rule)));
      }
      // One partition: the history of a customer must stay in commit order.
      createTopic(customersTopic, 1);
      produce(customersTopic, Workload.customerChanges(generator));
      // Polled while the job runs: a table appears with its first row.
      tables = new ResultTables(jdbcUrl, sandbox.setting("postgres.user")).allowingMissingTables();
    }

    String difference() throws SQLException {
      List<String> diffs = new ArrayList<>();
      Fixture.compare("fraud alerts", expected.alerts(), tables.fraudAlerts(), diffs);
      Fixture.compare(
          "customer change dead letters",
          List.of(Map.of()),
          List.of(tables.deadLettersByReason("parse-" + customersTopic)),
          diffs);
      compareDeadLettersAndNoLate(
          expected.reconciliation().deadLetters(), "parse-transactions", tables, diffs);
      return String.join("; ", diffs);
    }

    String counts() {
      return String.format(
          "%d transactions in, %d alerts, dead letters %s, %d duplicates",
          records.size(),
          expected.alerts().size(),
          expected.reconciliation().deadLetters(),
          expected.reconciliation().duplicates());
    }
  }

  /** Submits the fraud job for {@code f} (detached); returns its id once its tasks run. */
  private String launchFraud(FraudFixture f) throws Exception {
    runningFraudJob =
        launchStreaming(
            "fraud",
            f.database,
            f.jdbcUrl,
            ALLOWED_LATENESS,
            "--customersSource=kafka",
            "--transactionsTopic=" + f.transactionsTopic,
            "--customersTopic=" + f.customersTopic,
            "--alertsTopic=alerts-" + f.transactionsTopic);
    return runningFraudJob;
  }

  /** Submits the clickstream job for {@code f} (detached); returns its id once its tasks run. */
  private String launchClickstream(Fixture f, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--clicksTopic=" + f.topic));
    args.addAll(List.of(extra));
    runningJob =
        launchStreaming(
            "clickstream", f.database, f.jdbcUrl, ALLOWED_LATENESS, args.toArray(new String[0]));
    return runningJob;
  }

  /**
   * Submits {@code command} as every fault runs it — streaming from the sandbox's Kafka on the
   * cluster, parallelism 2, a checkpoint a second, detached — with {@code allowedLateness} and
   * {@code extra}; returns the new job's id once its tasks run.
   */
  private String launchStreaming(
      String command, String database, String jdbcUrl, Duration allowedLateness, String... extra)
      throws Exception {
    Set<String> jobsBefore = jobIds(flink);
    List<String> args =
        new ArrayList<>(
            List.of(
                command,
                "--runner=FlinkRunner",
                "--flinkMaster=" + flink.restAddress(),
                "--parallelism=2",
                "--streaming=true",
                "--checkpointingInterval=1000",
                "--attachedMode=false",
                "--source=kafka",
                "--bootstrapServers=" + sandbox.setting("kafka.bootstrap"),
                "--allowedLatenessSeconds=" + allowedLateness.toSeconds(),
                "--jdbcUrl=" + jdbcUrl,
                "--jdbcUser=" + sandbox.setting("postgres.user")));
    args.addAll(List.of(extra));
    LaunchedJar run = launch(database + "-" + launchers.size(), args.toArray(new String[0]));
    return awaitRunning(run, jobsBefore);
  }

  /** A clickstream job mid-stream, the rest of its records arriving. */
  private record MidStream(Fixture fixture, String jobId, Feed feed) {}

  /**
   * Submits the clickstream job of a new fixture, feeds a third of its records, waits until a
   * checkpoint completed and page views were written, and lets the rest of the feed go: the moment
   * to inject a fault.
   */
  private MidStream midStream(String name, long seed) throws Exception {
    Fixture f = Fixture.create(name, seed);
    String jobId = launchClickstream(f);
    Feed feed = Feed.startPaused(f.topic, f.records, FEED_TIME);
    awaitProgress(jobId, f);
    feed.resume();
    return new MidStream(f, jobId, feed);
  }

  /** Mid-stream: a checkpoint completed and some page views written. */
  private void awaitProgress(String jobId, Fixture f) throws Exception {
    awaitValue(
        "a completed checkpoint and the first page views",
        Duration.ofSeconds(90),
        () ->
            checkpoints(jobId).path("counts").path("completed").asLong() >= 1
                    && !f.tables.pageViews().isEmpty()
                ? true
                : null);
  }

  /** Waits for the tables to equal the oracle; returns the seconds since {@code since}. */
  /** What still differs from the oracle; empty when nothing does. */
  private interface Difference {
    String get() throws Exception;
  }

  private static double awaitOracle(Difference difference, long since) throws Exception {
    String[] last = {"nothing compared yet"};
    try {
      awaitValue(
          "the result tables to equal the oracle",
          CONVERGENCE_TIMEOUT,
          () -> {
            last[0] = difference.get();
            return last[0].isEmpty() ? true : null;
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nlast difference: " + last[0], e);
    }
    return secondsSince(since);
  }

  private static void awaitReplicaEqualsSource(ResultTables tables, String what) throws Exception {
    awaitValue(
        what,
        Duration.ofSeconds(90),
        () ->
            tables.customersReplica("customers_replica").equals(tables.customersSource())
                ? true
                : null);
  }

  // ---------------------------------------------------------------------------------------------
  // Kafka

  /**
   * Sends records at an even pace ({@code over} for all of them) in a background thread; with a
   * pause, it stops after the first {@code pauseAt} until {@link #resume()}, so that a fault can be
   * injected while the rest is still arriving.
   */
  private static final class Feed {
    final AtomicInteger sent = new AtomicInteger();
    final CountDownLatch resumed = new CountDownLatch(1);
    final CompletableFuture<Void> done;

    private Feed(String topic, List<GeneratedRecord> records, Duration over, int pauseAt) {
      done = CompletableFuture.runAsync(() -> send(topic, records, over, pauseAt));
    }

    static Feed start(String topic, List<GeneratedRecord> records, Duration over) {
      return new Feed(topic, records, over, records.size());
    }

    /** Sends the first third of the records, then waits for {@link #resume()}. */
    static Feed startPaused(String topic, List<GeneratedRecord> records, Duration over) {
      return new Feed(topic, records, over, records.size() / 3);
    }

    void resume() {
      resumed.countDown();
    }

    boolean done() {
      return done.isDone();
    }

    void await() throws Exception {
      done.get(3, TimeUnit.MINUTES);
    }

    private void send(String topic, List<GeneratedRecord> records, Duration over, int pauseAt) {
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.setting("kafka.bootstrap"));
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
      // Rides out a broker restart: buffered and retried, not failed.
      props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
      props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "120000");
      props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
        long segmentStart = System.nanoTime();
        int segmentFirst = 0;
        for (int i = 0; i < records.size(); i++) {
          if (i == pauseAt) {
            producer.flush();
            if (!resumed.await(3, TimeUnit.MINUTES)) {
              throw new IllegalStateException("the feed was never resumed");
            }
            segmentStart = System.nanoTime();
            segmentFirst = i;
          }
          long due = segmentStart + over.toNanos() * (i - segmentFirst) / records.size();
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          GeneratedRecord r = records.get(i);
          acks.add(producer.send(new ProducerRecord<>(topic, r.key(), r.payload())));
          sent.incrementAndGet();
        }
        producer.flush();
        for (java.util.concurrent.Future<?> ack : acks) {
          ack.get(); // a failed send throws here
        }
      } catch (Exception e) {
        throw new IllegalStateException("feeding " + topic + " failed", e);
      }
    }
  }

  private static void createTopic(String topic) throws Exception {
    createTopic(topic, 2);
  }

  /** Writes {@code values} to {@code topic} (no key), in order, and waits for the acks. */
  private static void produce(String topic, List<String> values) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.setting("kafka.bootstrap"));
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      for (String value : values) {
        producer.send(new ProducerRecord<>(topic, value));
      }
      producer.flush();
    }
  }

  private static void createTopic(String topic, int partitions) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.setting("kafka.bootstrap"));
    try (AdminClient admin = AdminClient.create(props)) {
      admin
          .createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static KafkaConsumer<String, String> consumer(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  private static long endOffset(String bootstrap, String topic) {
    try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .collect(Collectors.toList());
      return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** The change events on {@code topic} (tombstones left out), parsed. */
  private static List<JsonNode> changeEvents(String bootstrap, String topic) throws IOException {
    // Debezium's last events may still be on their way after the replica converged: wait until
    // the topic has not grown for a second.
    long end = -1;
    for (long now = endOffset(bootstrap, topic); now != end; now = endOffset(bootstrap, topic)) {
      end = now;
      sleep(1_000);
    }
    List<JsonNode> events = new ArrayList<>();
    try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .collect(Collectors.toList());
      c.assign(parts);
      c.seekToBeginning(parts);
      long read = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (read < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          read++;
          if (r.value() != null) {
            events.add(JSON.readTree(r.value()));
          }
        }
      }
      assertEquals("records read from " + topic, end, read);
    }
    return events;
  }

  // ---------------------------------------------------------------------------------------------
  // Flink

  private static LaunchedJar launch(String name, String... args) throws IOException {
    LaunchedJar launched = LaunchedJar.start(workDir, name, List.of(args));
    launchers.add(launched);
    return launched;
  }

  private static String awaitRunning(LaunchedJar run, Set<String> jobsBefore) throws Exception {
    return awaitValue(
        "a new job's tasks to run on the cluster",
        Duration.ofSeconds(120),
        () -> {
          for (FlinkCluster.JobStatus job : flink.jobs()) {
            if (!jobsBefore.contains(job.id())
                && job.state().equals("RUNNING")
                && allVerticesRunning(flink, job.id())) {
              return job.id();
            }
          }
          if (!run.process.isAlive() && run.process.exitValue() != 0) {
            throw new AssertionError("launcher failed:\n" + run.output());
          }
          return null;
        });
  }

  private static JsonNode checkpoints(String jobId) {
    return flink.getJson("/jobs/" + jobId + "/checkpoints");
  }

  /**
   * Records the job's Kafka readers have read: the KafkaIO reader's {@code source.elements_read}
   * counter (Beam's {@code SourceMetrics}, which the FlinkRunner copies into the source vertex's
   * Flink metrics after every read attempt), summed over the subtasks of the vertex reading the
   * clicks. Counts of the current attempt, as the REST API last fetched them.
   */
  private static long sourceRecordsRead(String jobId) {
    for (JsonNode vertex : flink.getJson("/jobs/" + jobId).path("vertices")) {
      if (!vertex.path("name").asText().contains("ReadClicks")) {
        continue;
      }
      String path = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/metrics";
      List<String> ids = new ArrayList<>();
      for (JsonNode metric : flink.getJson(path)) {
        String id = metric.path("id").asText();
        if (id.endsWith("elements_read") && !id.contains("splits")) {
          ids.add(id);
        }
      }
      if (ids.isEmpty()) {
        // The reader registers the counter with its first report: nothing reported read yet.
        return 0;
      }
      long sum = 0;
      String get = URLEncoder.encode(String.join(",", ids), StandardCharsets.UTF_8);
      for (JsonNode metric : flink.getJson(path + "?get=" + get)) {
        sum += metric.path("value").asLong();
      }
      return sum;
    }
    throw new AssertionError(
        "no ReadClicks vertex in " + flink.getJson("/jobs/" + jobId).path("vertices"));
  }

  /**
   * Locks every table of the fixture's database against writes until a session of the job waits on
   * the lock with its write in flight, terminates the waiting sessions, then releases the lock: a
   * kill that certainly fails a write (an idle pooled session would simply be replaced). Returns
   * the sessions terminated.
   */
  private static long terminateWritesWaitingOnLockedTables(Fixture f, Statement admin)
      throws Exception {
    try (Connection locker = connect(f.jdbcUrl);
        Statement s = locker.createStatement()) {
      locker.setAutoCommit(false);
      String tables;
      try (ResultSet rs =
          s.executeQuery(
              "SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables"
                  + " WHERE schemaname = 'public'")) {
        rs.next();
        tables = rs.getString(1);
      }
      assertTrue("the job created its tables", tables != null);
      // EXCLUSIVE: reads go on, every INSERT/UPDATE waits.
      s.execute("LOCK TABLE " + tables + " IN EXCLUSIVE MODE");
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
          try (ResultSet rs =
              admin.executeQuery(
                  "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                      + " WHERE datname = '"
                      + f.database
                      + "' AND wait_event_type = 'Lock'")) {
            rs.next();
            if (rs.getLong(1) > 0) {
              return rs.getLong(1);
            }
          }
          Thread.sleep(100);
        }
        throw new AssertionError("no write of the job waited on the locked tables within 60 s");
      } finally {
        locker.rollback();
      }
    }
  }

  /** The job's sink retries once they show (the REST metrics lag), or 0 after 30 s. */
  private static long awaitSinkRetries(String jobId) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long retries = sinkRetries(jobId);
    while (retries == 0 && System.nanoTime() < deadline) {
      Thread.sleep(500);
      retries = sinkRetries(jobId);
    }
    return retries;
  }

  /** The job's {@code numRestarts} metric. */
  private static long restarts(String jobId) {
    for (JsonNode metric : flink.getJson("/jobs/" + jobId + "/metrics?get=numRestarts")) {
      return metric.path("value").asLong();
    }
    return 0;
  }

  /** The sum over all subtasks of the JdbcUpsertSink {@code retries} counters of the job. */
  private static long sinkRetries(String jobId) {
    long sum = 0;
    for (JsonNode vertex : flink.getJson("/jobs/" + jobId).path("vertices")) {
      String path = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/metrics";
      List<String> ids = new ArrayList<>();
      for (JsonNode metric : flink.getJson(path)) {
        if (metric.path("id").asText().endsWith("JdbcUpsertSink_retries")) {
          ids.add(metric.path("id").asText());
        }
      }
      if (!ids.isEmpty()) {
        String get = URLEncoder.encode(String.join(",", ids), StandardCharsets.UTF_8);
        for (JsonNode metric : flink.getJson(path + "?get=" + get)) {
          sum += metric.path("value").asLong();
        }
      }
    }
    return sum;
  }

  /** The root causes of the job's failures, shortened, for the report. */
  private static List<String> exceptions(String jobId) {
    List<String> causes = new ArrayList<>();
    for (JsonNode entry :
        flink.getJson("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries")) {
      String name = entry.path("exceptionName").asText();
      causes.add(name.substring(name.lastIndexOf('.') + 1));
    }
    return causes;
  }

  /** {@code POST /jobs/<id>/savepoints} with {@code cancel-job}; returns the savepoint's path. */
  private static String stopWithSavepoint(String jobId) throws Exception {
    String body =
        JSON.writeValueAsString(
            Map.of(
                "cancel-job",
                true,
                "target-directory",
                flink.workDir().resolve("savepoints").toUri().toString()));
    HttpResponse<String> trigger =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + flink.restAddress() + "/jobs/" + jobId + "/savepoints"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals("savepoint trigger: " + trigger.body(), 202, trigger.statusCode());
    String requestId = JSON.readTree(trigger.body()).path("request-id").asText();
    JsonNode done =
        awaitValue(
            "the savepoint to complete",
            Duration.ofSeconds(90),
            () -> {
              JsonNode status = flink.getJson("/jobs/" + jobId + "/savepoints/" + requestId);
              return status.path("status").path("id").asText().equals("COMPLETED") ? status : null;
            });
    JsonNode operation = done.path("operation");
    assertTrue("savepoint failed: " + operation, operation.has("location"));
    awaitState(jobId, "CANCELED");
    return operation.path("location").asText();
  }

  private static void cancel(String jobId) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + flink.restAddress() + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals("cancel: " + response.body(), 202, response.statusCode());
    // Its slots must be free for the next test's job.
    awaitState(jobId, "CANCELED");
  }

  private static void awaitState(String jobId, String state) throws Exception {
    awaitValue(
        "job " + jobId + " to be " + state,
        Duration.ofSeconds(60),
        () ->
            flink.jobs().stream().anyMatch(j -> j.id().equals(jobId) && j.state().equals(state))
                ? true
                : null);
  }

  // ---------------------------------------------------------------------------------------------
  // PostgreSQL

  private static Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, sandbox.setting("postgres.user"), "");
  }

  private static CustomersTable.Customer row(CustomerRow r) {
    return new CustomersTable.Customer(
        r.customerId(), r.name(), r.tier(), r.homeCountry(), r.creditLimitCents(), r.updatedAt());
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** One line per fault for docs/reliability.md, in the failsafe output and a file. */
  private static void report(String fault, String outcome) throws IOException {
    String line = fault + ": " + outcome;
    System.out.println("FAULT " + line);
    Files.writeString(
        workDir.resolve("faults.txt"),
        line + System.lineSeparator(),
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  private static double secondsSince(long nanos) {
    return (System.nanoTime() - nanos) / 1e9;
  }

  private static <T> String head(List<T> rows) {
    return rows.size() <= 3
        ? rows.toString()
        : rows.subList(0, 3) + " (+" + (rows.size() - 3) + ")";
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
