package io.beamsuite.kappa;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.pipelines.launcher.Launcher;
import io.beamsuite.pipelines.testing.SandboxProcess;
import io.beamsuite.pipelines.testing.Workload;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The Kappa replay against real Kafka and PostgreSQL (a {@link SandboxProcess}), on the Direct
 * runner: a replay of the whole log equals the oracle; a replay with changed logic runs beside the
 * served version while new events arrive, and after the cut-over the serving view holds history and
 * new events exactly once; a replay killed with SIGKILL midway and started again ends with the same
 * view.
 */
public class KappaReplayTest {
  private static final long SEED = 7_2026L;
  private static final Instant SENTINEL = Instant.parse("2024-01-03T00:00:00Z");

  /** Windows ending before this are closed once the sentinels are read. */
  private static final Instant CLOSED_BEFORE = SENTINEL.minus(Duration.ofHours(1));

  private static Path workDir;
  private static SandboxProcess sandbox;
  private static final List<Process> children = new ArrayList<>();

  @BeforeClass
  public static void startServices() throws Exception {
    workDir = Files.createTempDirectory("kappa-replay-test");
    sandbox = SandboxProcess.start(workDir);
  }

  @AfterClass
  public static void stopServices() throws Exception {
    for (Process child : children) {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static List<GeneratedRecord> history(long seed, int events) {
    GeneratorConfig config = Workload.realisticMix(seed, events).topicWeights(1, 1, 0).build();
    return EventGenerator.of(config).generate();
  }

  @Test
  public void replayOfTheFullLogEqualsTheOracle() throws Exception {
    KappaFixture f = new KappaFixture(sandbox, "full");
    List<GeneratedRecord> records = history(SEED, 3000);
    assertTrue(records.stream().anyMatch(r -> r.label() == RecordLabel.LATE));
    assertTrue(records.stream().anyMatch(r -> r.label() == RecordLabel.DUPLICATE));
    assertTrue(records.stream().anyMatch(r -> r.label() == RecordLabel.MALFORMED));
    f.write(records);
    f.writeSentinels(SENTINEL);

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (KappaReplay.Running replay =
        KappaReplay.start(f.replayOptions(1), new PrintStream(log, true, StandardCharsets.UTF_8))) {
      assertEquals("kappa-v1", replay.groupId());
      ReplayProgress caughtUp = replay.awaitCaughtUp(Duration.ofMinutes(3));
      assertEquals(0, caughtUp.totalLag());
      assertThat(caughtUp.line(), containsString("CAUGHT UP"));
      awaitEqualToOracle(f, 1, "v1", Duration.ofMinutes(2));
    }
    f.assertLateOnesAreGeneratorLate(1);
    String out = log.toString(StandardCharsets.UTF_8);
    assertThat(out, containsString("kappa-replay: version 1 from earliest"));

    // Cut over through the launcher, as users do; the serving view reads version 1.
    assertEquals(0, launch(f.commandArgs("kappa-cutover", "--version=1")).exit);
    KappaFixture.Views served = f.actual("kappa", CLOSED_BEFORE);
    assertEquals(f.actual("v1", CLOSED_BEFORE), served);
    Launched status = launch(f.commandArgs("kappa-status"));
    assertEquals(status.toString(), 0, status.exit);
    assertThat(
        status.out,
        containsString("revenue_per_merchant_hour_kappa: serves version 1; versions present [1]"));
    // Committed offsets: on the Direct runner the last bundle's stay uncommitted until more records
    // arrive (see KappaReplay.Running#poll), so the status may show a few records of lag here.
    assertThat(status.out, containsString("lag of consumer group kappa-v1: "));
    assertThat(status.out, containsString("clicks-full:0 committed="));
    // A served version cannot be replayed over, nor dropped.
    Launched again = launch(f.commandArgs("kappa-replay", "--version=1"));
    assertEquals(again.toString(), Launcher.USAGE_ERROR, again.exit);
    assertThat(again.err, containsString("version 1 is being served"));
  }

  /** The same replay on embedded Flink (checkpoints commit the offsets) equals the oracle too. */
  @Test
  public void replayOnEmbeddedFlinkEqualsTheOracle() throws Exception {
    KappaFixture f = new KappaFixture(sandbox, "flink");
    f.write(history(SEED + 3, 2000));
    f.writeSentinels(SENTINEL);
    try (KappaReplay.Running replay =
        KappaReplay.start(
            f.replayOptions(
                4,
                "--runner=FlinkRunner",
                "--streaming=true",
                "--attachedMode=false",
                "--checkpointingInterval=1000",
                "--parallelism=2"),
            new PrintStream(OutputStreamNull.INSTANCE))) {
      assertEquals(0, replay.awaitCaughtUp(Duration.ofMinutes(3)).totalLag());
      awaitEqualToOracle(f, 4, "v4", Duration.ofMinutes(2));
    }
    f.assertLateOnesAreGeneratorLate(4);
    // Without checkpointing a Flink replay could not see its progress: refused up front.
    Launched noCheckpoints =
        launch(f.commandArgs("kappa-replay", "--version=5", "--runner=FlinkRunner"));
    assertEquals(noCheckpoints.toString(), Launcher.USAGE_ERROR, noCheckpoints.exit);
    assertThat(noCheckpoints.err, containsString("--checkpointingInterval"));
  }

  /**
   * Logic change (allowed lateness 0 s in version 1, the default 600 s in version 2) and live
   * events: version 1 serves while version 2 replays the whole log and new events keep arriving;
   * after the cut-over the serving view equals the oracle over history plus new events (given
   * version 2's late records), and version 1 stays untouched until it is dropped.
   */
  @Test
  public void changedLogicReplaysBesideTheServedVersionWhileEventsArrive() throws Exception {
    KappaFixture f = new KappaFixture(sandbox, "live");
    List<GeneratedRecord> all = history(SEED + 1, 4000);
    int split = all.size() * 3 / 5;
    f.write(all.subList(0, split));

    // Version 1: zero allowed lateness, through the launcher: cut over automatically once caught
    // up, then the command exits and its pipeline stops (the table keeps serving what it wrote).
    Launched v1 =
        launch(
            f.commandArgs(
                "kappa-replay",
                "--version=1",
                "--allowedLatenessSeconds=0",
                "--cutoverWhenCaughtUp=true",
                "--exitWhenCaughtUp=true",
                "--replayProgressSeconds=1"));
    assertEquals(v1.toString(), 0, v1.exit);
    assertThat(v1.out, containsString("version 1 caught up with the live point"));
    assertThat(v1.out, containsString("revenue_per_merchant_hour_kappa now serves version 1"));
    assertThat(v1.out, containsString("lag=0 ["));
    KappaFixture.Views servedV1 = f.actual("kappa", Instant.MAX);
    assertThat(servedV1.pageViews().size(), greaterThan(0));
    long lateV1 = f.lateCount(1);

    // Version 2 with the default lateness, while the rest of the events arrive.
    try (KappaReplay.Running v2 =
        KappaReplay.start(f.replayOptions(2), new PrintStream(OutputStreamNull.INSTANCE))) {
      long liveTotal = v2.livePoint().values().stream().mapToLong(Long::longValue).sum();
      assertEquals(split, liveTotal);
      List<GeneratedRecord> rest = all.subList(split, all.size());
      int batch = rest.size() / 4 + 1;
      for (int i = 0; i < rest.size(); i += batch) {
        f.write(rest.subList(i, Math.min(rest.size(), i + batch)));
        // Until the cut-over, readers keep getting version 1, unchanged.
        assertEquals(servedV1, f.actual("kappa", Instant.MAX));
        Thread.sleep(500);
      }
      ReplayProgress caughtUp = v2.awaitCaughtUp(Duration.ofMinutes(3));
      assertTrue(caughtUp.caughtUp());
      assertEquals(servedV1, f.actual("kappa", Instant.MAX));
      v2.views().cutover(2);
      f.writeSentinels(SENTINEL);
      awaitEqualToOracle(f, 2, "kappa", Duration.ofMinutes(2));
    }
    f.assertLateOnesAreGeneratorLate(2);
    f.assertLateOnesAreGeneratorLate(1);
    // The logic change shows: zero lateness routed more records late, and the views differ.
    assertThat(f.lateCount(2), lessThan(lateV1));
    assertNotEquals(servedV1, f.actual("kappa", Instant.MAX));
    // Version 1 is dropped only on request, and never while served.
    assertEquals(0, launch(f.commandArgs("kappa-cutover", "--version=2", "--dropVersion=1")).exit);
    Launched status = launch(f.commandArgs("kappa-status"));
    assertThat(
        status.out,
        containsString("page_views_per_minute_kappa: serves version 2; versions present [2]"));
    Launched back = launch(f.commandArgs("kappa-cutover", "--version=1"));
    assertEquals(back.toString(), Launcher.USAGE_ERROR, back.exit);
  }

  /**
   * SIGKILL a replay running in its own JVM midway, then run the same command again: the restart
   * replays the version from the start (empties its tables, re-seeds the group) and ends with the
   * oracle's view. Resuming from the committed offsets instead would start past the records whose
   * window state died with the JVM, and the sums would come out short.
   */
  @Test
  public void replayKilledMidwayAndRestartedGivesTheSameView() throws Exception {
    KappaFixture f = new KappaFixture(sandbox, "restart");
    f.write(history(SEED + 2, 3000));
    f.writeSentinels(SENTINEL);
    String group = "kappa-v1";

    Process child = startChild(f, "--version=1", "--replayProgressSeconds=1");
    children.add(child);
    Map<TopicPartition, Long> committedAtKill;
    Map<TopicPartition, Long> liveAt;
    long liveTotal;
    try (KafkaPositions kafka = KafkaPositions.connect(f.bootstrap())) {
      Map<TopicPartition, Long> live =
          kafka.endOffsets(List.of(f.transactionsTopic, f.clicksTopic));
      liveAt = live;
      liveTotal = live.values().stream().mapToLong(Long::longValue).sum();
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (true) {
        if (!child.isAlive()) {
          throw new AssertionError(
              "the replay exited early with " + child.exitValue() + "; see " + workDir);
        }
        assertTrue("no progress in time", System.nanoTime() < deadline);
        long done = sumFor(kafka.committed(group), live);
        if (done > liveTotal / 5) {
          child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
          committedAtKill = kafka.committed(group);
          break;
        }
        Thread.sleep(200);
      }
    }
    long doneAtKill = sumFor(committedAtKill, liveAt);
    assertThat("killed midway", doneAtKill, lessThan(liveTotal));

    try (KappaReplay.Running restarted =
        KappaReplay.start(f.replayOptions(1), new PrintStream(OutputStreamNull.INSTANCE))) {
      // The restart began at the start of the log, not where the killed run had committed.
      restarted.startOffsets().values().forEach(offset -> assertEquals(0L, (long) offset));
      restarted.awaitCaughtUp(Duration.ofMinutes(3));
      awaitEqualToOracle(f, 1, "v1", Duration.ofMinutes(2));
    }
    f.assertLateOnesAreGeneratorLate(1);
  }

  // ---------------------------------------------------------------------------------------------

  /** The sum of {@code offsets} over the partitions of {@code of} (a group spans other topics). */
  private static long sumFor(Map<TopicPartition, Long> offsets, Map<TopicPartition, Long> of) {
    return of.keySet().stream().mapToLong(tp -> offsets.getOrDefault(tp, 0L)).sum();
  }

  /** Polls until the tables with {@code suffix} equal the oracle given version's late records. */
  private static void awaitEqualToOracle(
      KappaFixture f, int version, String suffix, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    KappaFixture.Views expected = null;
    KappaFixture.Views actual = null;
    while (System.nanoTime() < deadline) {
      expected = f.expected(version, CLOSED_BEFORE);
      actual = f.actual(suffix, CLOSED_BEFORE);
      if (expected.equals(actual)) {
        assertThat(expected.revenue().size(), greaterThan(0));
        assertThat(expected.pageViews().size(), greaterThan(0));
        return;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError(
        "version "
            + version
            + " ("
            + suffix
            + ") did not converge to the oracle: expected "
            + expected.revenue().size()
            + " revenue / "
            + expected.pageViews().size()
            + " page-view rows, got "
            + actual.revenue().size()
            + " / "
            + actual.pageViews().size()
            + "; first differences: "
            + firstDifferences(expected, actual));
  }

  private static String firstDifferences(KappaFixture.Views expected, KappaFixture.Views actual) {
    List<Object> missing = new ArrayList<>(expected.revenue());
    missing.removeAll(actual.revenue());
    List<Object> extra = new ArrayList<>(actual.revenue());
    extra.removeAll(expected.revenue());
    List<Object> missingPv = new ArrayList<>(expected.pageViews());
    missingPv.removeAll(actual.pageViews());
    List<Object> extraPv = new ArrayList<>(actual.pageViews());
    extraPv.removeAll(expected.pageViews());
    return "revenue missing "
        + head(missing)
        + " unexpected "
        + head(extra)
        + "; page views missing "
        + head(missingPv)
        + " unexpected "
        + head(extraPv);
  }

  private static String head(List<Object> rows) {
    return rows.size() <= 3
        ? rows.toString()
        : rows.subList(0, 3) + " (+" + (rows.size() - 3) + ")";
  }

  /** What a launcher command printed. */
  private record Launched(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out ---\n" + out + "\n--- err ---\n" + err;
    }
  }

  private static Launched launch(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        Launcher.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Launched(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** {@code kappa-replay} through the launcher in a child JVM (this test's class path). */
  private static Process startChild(KappaFixture f, String... extra) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-cp");
    String cp = System.getProperty("surefire.test.class.path");
    command.add(cp == null || cp.isBlank() ? System.getProperty("java.class.path") : cp);
    command.add(Launcher.class.getName());
    command.addAll(List.of(f.commandArgs("kappa-replay", extra)));
    File log = workDir.resolve("child-" + f.name + ".log").toFile();
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
  }

  /** Discards output. */
  private static final class OutputStreamNull extends java.io.OutputStream {
    static final OutputStreamNull INSTANCE = new OutputStreamNull();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
