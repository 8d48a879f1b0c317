package io.beamsuite.kappa;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.ServingViews;
import io.beamsuite.pipelines.options.EventTimeWatermarkOptions;
import io.beamsuite.pipelines.options.FlinkStreamingBundles;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.views.EventTimeRange;
import io.beamsuite.pipelines.views.RevenueAndPageViews;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.kafka.common.TopicPartition;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kappa-replay}: replays the transactions and clicks topics through the unchanged views
 * ({@link RevenueAndPageViews}, the code the Lambda layers run) into version {@code N}'s tables
 * {@code <view>_v<N>}, watches it catch up with the live head and, if asked, cuts the serving views
 * over to it.
 *
 * <ol>
 *   <li>The <b>live point</b> is the end offset of every partition when the replay starts.
 *   <li>The replay's consumer group ({@code kappa-v<N>} unless {@code --groupId}) is seeded with
 *       the start offsets of {@code --from}; KafkaIO starts each partition there and commits its
 *       position back as the runner finalizes checkpoints (every bundle on Direct, every checkpoint
 *       on Flink).
 *   <li>The Kafka watermark follows event time only ({@link EventTimeWatermarkOptions}): history is
 *       windowed as it was lived, not closed by today's wall clock.
 *   <li><b>Caught up</b>: every partition's position (committed offset; on the Direct runner, for
 *       single-partition topics, also start + the reader's {@code records_read}) is within {@code
 *       --caughtUpLag} of the live point. The source's watermark then has reached the live point's
 *       event time minus {@code --maxOutOfOrdernessSeconds} (it follows the largest event time
 *       read).
 * </ol>
 *
 * <p>Restart: running the command again replays version {@code N} from {@code --from} again: it
 * empties the version's tables (refused while they are served) and re-seeds the group. Resuming
 * from the committed offsets alone would lose the windows' in-flight state and write partial sums.
 *
 * <pre>{@code
 * KappaReplay.Running replay = KappaReplay.start(options, System.out);
 * ReplayProgress progress = replay.awaitCaughtUp(Duration.ofMinutes(5));
 * KappaViews.on(db).cutover(options.getVersion());
 * }</pre>
 */
public final class KappaReplay {
  private static final Logger LOG = LoggerFactory.getLogger(KappaReplay.class);

  private KappaReplay() {}

  /** The launcher task: replay, report progress, optionally cut over; returns the exit status. */
  public static int run(KappaReplayOptions options, PrintStream out) throws Exception {
    Running replay = start(options, out);
    Thread onExit = new Thread(replay::close, "kappa-replay-exit");
    Runtime.getRuntime().addShutdownHook(onExit);
    boolean announced = false;
    long everyMillis = Math.max(1, options.getReplayProgressSeconds()) * 1000;
    try {
      while (true) {
        long wakeAt = System.currentTimeMillis() + everyMillis;
        while (System.currentTimeMillis() < wakeAt
            && replay.failure() == null
            && !replay.finished()) {
          Thread.sleep(200);
        }
        if (replay.failure() != null) {
          out.println("kappa-replay: the pipeline failed: " + replay.failure());
          LOG.error("kappa-replay failed", replay.failure());
          return 1;
        }
        if (replay.finished()) {
          PipelineResult.State state = replay.result().getState();
          out.println("kappa-replay: the pipeline ended " + state);
          return state == PipelineResult.State.DONE ? 0 : 1;
        }
        ReplayProgress progress = replay.poll();
        out.println(progress.line());
        if (progress.caughtUp() && !announced) {
          announced = true;
          // The records read is a measurement (the positions reached), not the topics' sizes.
          out.printf(
              "kappa-replay: version %d caught up with the live point after %.1f s (%d records read)%n",
              options.getVersion(),
              progress.elapsedMillis() / 1000.0,
              replay.recordsRead(progress));
          if (options.getCutoverWhenCaughtUp()) {
            for (ServingViews.Published p : replay.views().cutover(options.getVersion())) {
              out.printf("kappa-replay: %s now serves version %d%n", p.view(), p.version());
            }
          }
          if (options.getExitWhenCaughtUp()) {
            out.println(
                replay.detachedOnCluster()
                    ? "kappa-replay: exiting; the job keeps running on the Flink cluster"
                    : "kappa-replay: exiting; the pipeline stops with this command");
            return 0;
          }
        }
      }
    } finally {
      replay.close();
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException shuttingDown) {
        // exiting anyway
      }
    }
  }

  /**
   * Validates the options, prepares the version and the consumer group, and starts the pipeline.
   */
  public static Running start(KappaReplayOptions options, PrintStream out) throws Exception {
    int version = options.getVersion();
    if (version < 1) {
      throw new IllegalArgumentException("--version: must be >= 1, got " + version);
    }
    PipelineSettings settings = OptionsValidation.validate(options);
    if (settings.source().isFile()) {
      throw new IllegalArgumentException(
          "--source: kappa-replay replays Kafka topics; the master dataset is the Lambda batch layer's");
    }
    if (options.getMaxRecords() != 0
        || options.getMaxReadSeconds() != 0
        || options.getTransactionsMaxRecords() != 0
        || options.getClicksMaxRecords() != 0) {
      throw new IllegalArgumentException(
          "--maxRecords/--maxReadSeconds/--transactionsMaxRecords/--clicksMaxRecords: a replay runs"
              + " until it has caught up, then stays live");
    }
    OptionsValidation.requireAtLeast("--caughtUpLag", options.getCaughtUpLag(), 0);
    ReplayStart from = ReplayStart.parse(options.getFrom());
    String runner = options.getRunner().getSimpleName();
    // Runner option classes only on their runner: each runner artifact carries its runner alone.
    if (runner.equals("FlinkRunner")
        && options.as(FlinkPipelineOptions.class).getCheckpointingInterval() <= 0) {
      throw new IllegalArgumentException(
          "--checkpointingInterval: kappa-replay on Flink needs checkpointing (KafkaIO commits the"
              + " replay's offsets on checkpoints; that is how progress and catch-up are measured)");
    }
    if (runner.equals("DirectRunner")) {
      // The runner's own option, not a builder's: Pipeline.create(options) hands it to the Direct
      // runner, whose run() must return so that this command can poll the replay.
      options.as(DirectOptions.class).setBlockOnRun(false);
    }
    JdbcConnectionSpec db = OptionsValidation.database(options);
    KappaViews views = KappaViews.on(db);
    if (views.isServed(version)) {
      throw new IllegalArgumentException(
          "--version: version " + version + " is being served; replay into a new version");
    }
    String group = settings.groupId() != null ? settings.groupId() : "kappa-v" + version;
    List<String> topics = List.of(options.getTransactionsTopic(), options.getClicksTopic());

    KafkaPositions kafka =
        KafkaPositions.connect(
            options.getBootstrapServers(), OptionsValidation.kafkaClient(options));
    try {
      Map<TopicPartition, Long> live = kafka.endOffsets(topics);
      Map<TopicPartition, Long> start = from.resolve(kafka, topics);
      @Nullable Instant liveEventTime = kafka.eventTimeBefore(live, 50);
      ReplayVersionTables.rewrite(db, version);
      kafka.seed(group, start);
      out.printf(
          "kappa-replay: version %d from %s, consumer group %s%n  start %s%n  live point %s"
              + " (event time about %s)%n",
          version, from, group, start, live, liveEventTime);

      // The one difference from the live pipelines: a watermark that follows event time only.
      PipelineSettings replay = settings.withGroupId(group).withEventTimeWatermark(true);
      Pipeline pipeline = Pipeline.create(options);
      RevenueAndPageViews.build(
          pipeline, options, replay, EventTimeRange.all(), view -> KappaViews.table(view, version));
      FlinkStreamingBundles.preferOneElementBundles(pipeline);
      Map<String, String> readStepByTopic =
          Map.of(
              options.getTransactionsTopic(), RevenueAndPageViews.READ_TRANSACTIONS_STEP,
              options.getClicksTopic(), RevenueAndPageViews.READ_CLICKS_STEP);
      Running running =
          new Running(
              kafka,
              views,
              group,
              start,
              live,
              readStepByTopic,
              options.getCaughtUpLag(),
              detached(options));
      running.launch(pipeline);
      return running;
    } catch (Exception | Error e) {
      kafka.close();
      throw e;
    }
  }

  private static boolean detached(KappaReplayOptions options) {
    if (!options.getRunner().getSimpleName().equals("FlinkRunner")) {
      return false;
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    String master = flink.getFlinkMaster();
    return !flink.getAttachedMode()
        && master != null
        && !Set.of("[auto]", "[local]", "[collection]").contains(master);
  }

  /** A started replay. Not thread-safe: poll from one thread. */
  public static final class Running implements AutoCloseable {
    private final KafkaPositions kafka;
    private final KappaViews views;
    private final String group;
    private final Map<TopicPartition, Long> start;
    private final Map<TopicPartition, Long> live;
    private final boolean detachedOnCluster;
    private final AtomicReference<PipelineResult> result = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final ReplayProgressMonitor monitor;
    private boolean closed;

    private Running(
        KafkaPositions kafka,
        KappaViews views,
        String group,
        Map<TopicPartition, Long> start,
        Map<TopicPartition, Long> live,
        Map<String, String> readStepByTopic,
        long caughtUpLag,
        boolean detachedOnCluster) {
      this.kafka = kafka;
      this.views = views;
      this.group = group;
      this.start = start;
      this.live = live;
      this.detachedOnCluster = detachedOnCluster;
      this.monitor =
          new ReplayProgressMonitor(
              kafka, group, start, live, readStepByTopic, caughtUpLag, result::get);
    }

    private void launch(Pipeline pipeline) {
      // FlinkRunner's run() blocks for an attached streaming job: run it aside and poll from here.
      Thread runner =
          new Thread(
              () -> {
                try {
                  PipelineResult r = pipeline.run();
                  result.set(r);
                } catch (Throwable t) {
                  failure.set(t);
                }
              },
              "kappa-replay-pipeline");
      runner.setDaemon(true);
      runner.start();
    }

    /**
     * How far the replay has got: per partition, the group's committed offset. On the Direct runner
     * a bundle's offsets are committed only when the next non-empty bundle is read, so the last
     * records before a pause stay uncommitted until more arrive; for a single-partition topic the
     * reader's {@code records_read} counter (start + records read) then gives the exact position.
     * For topics with several partitions only the committed offsets count.
     */
    public ReplayProgress poll() {
      return monitor.poll();
    }

    /** Records between the replay's start offsets and the positions {@code progress} found. */
    public long recordsRead(ReplayProgress progress) {
      return monitor.recordsRead(progress);
    }

    /** Polls every second until caught up; throws if the pipeline fails or time runs out. */
    public ReplayProgress awaitCaughtUp(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      ReplayProgress last = null;
      while (System.nanoTime() < deadline) {
        if (failure.get() != null) {
          throw new IllegalStateException("the replay failed", failure.get());
        }
        last = poll();
        if (last.caughtUp()) {
          return last;
        }
        Thread.sleep(1000);
      }
      throw new IllegalStateException(
          "not caught up after " + timeout + ": " + (last == null ? "no progress" : last.line()));
    }

    /** The consumer group the replay commits to. */
    public String groupId() {
      return group;
    }

    /** The live point: end offsets when the replay started. */
    public Map<TopicPartition, Long> livePoint() {
      return live;
    }

    /** The start offsets. */
    public Map<TopicPartition, Long> startOffsets() {
      return start;
    }

    public KappaViews views() {
      return views;
    }

    /** The pipeline's result once {@code run()} returned (null before). */
    public @Nullable PipelineResult result() {
      return result.get();
    }

    /** Why launching or running the pipeline failed, if it did. */
    public @Nullable Throwable failure() {
      PipelineResult r = result.get();
      if (failure.get() == null && r != null && r.getState() == PipelineResult.State.FAILED) {
        failure.compareAndSet(null, new IllegalStateException("pipeline state FAILED"));
      }
      return failure.get();
    }

    /** Whether the pipeline reached a terminal state. */
    public boolean finished() {
      PipelineResult r = result.get();
      return r != null && !detachedOnCluster && r.getState().isTerminal();
    }

    boolean detachedOnCluster() {
      return detachedOnCluster;
    }

    /** Cancels the pipeline (unless it runs detached on a cluster) and closes the clients. */
    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      PipelineResult r = result.get();
      if (r != null && !detachedOnCluster && !r.getState().isTerminal()) {
        try {
          r.cancel();
        } catch (Exception e) {
          LOG.warn("could not cancel the replay: {}", e.toString());
        }
      }
      kafka.close();
    }
  }
}
