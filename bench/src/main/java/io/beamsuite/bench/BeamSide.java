package io.beamsuite.bench;

import io.beamsuite.pipelines.launcher.Launcher;
import io.beamsuite.pipelines.model.Click;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.pipelines.views.PageViewsPerMinute;
import io.beamsuite.pipelines.views.RevenuePerMerchantHour;
import io.beamsuite.transforms.dedup.Dedup;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.json.ParseJson;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.windowing.WindowResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The Beam side: the installed {@link BenchEvents} read by index through a bounded {@code
 * GenerateSequence} (timestamped with each record's event time), then the pipelines' own steps —
 * {@link ParseJson}, {@link Dedup} by {@code event_id} (1 h retention, 64 key buckets: the
 * pipelines' defaults) and {@link RevenuePerMerchantHour} or {@link PageViewsPerMinute} — into
 * {@link ResultSink}.
 *
 * <pre>{@code
 * long records = BeamSide.run(View.REVENUE, List.of("--runner=FlinkRunner", "--flinkMaster=[local]"), null);
 * }</pre>
 */
final class BeamSide {
  static final AtomicLong DEAD_LETTERS = new AtomicLong();

  private BeamSide() {}

  /**
   * {@link #flinkEmbedded} streaming from the embedded broker, detached (the latency sections keep
   * feeding while the job runs), then {@code extra}.
   */
  static String[] flinkEmbeddedStreamingFromKafka(String bootstrapServers, String... extra) {
    List<String> args =
        flinkEmbedded(
            "--streaming=true",
            "--attachedMode=false",
            "--bootstrapServers=" + bootstrapServers,
            "--source=kafka");
    args.addAll(Arrays.asList(extra));
    return args.toArray(new String[0]);
  }

  /**
   * The runner flags every Beam-on-Flink side starts from: embedded Flink at parallelism 2 with the
   * Flink defaults the launcher gives a user's command with the same flags ({@link
   * Launcher#withFlinkRunnerDefaults}), so a side that builds its pipeline without the launcher
   * runs as that command would.
   */
  static List<String> flinkEmbedded(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"));
    args.addAll(Arrays.asList(extra));
    return Launcher.withFlinkRunnerDefaults(args);
  }

  /**
   * Runs the view over every installed record with {@code args}; {@code coder} replaces the
   * inferred (schema) coder of the parsed events when not null. Returns the records read.
   */
  static long run(View view, List<String> args, Coder<?> coder) {
    Pipeline p =
        Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create());
    PCollection<RawRecord> raw = read(p);
    if (view == View.REVENUE) {
      ParseJson<Transaction> parse =
          ParseJson.of(Transaction.class).withStage("parse-transactions");
      if (coder != null) {
        @SuppressWarnings("unchecked")
        Coder<Transaction> c = (Coder<Transaction>) coder;
        parse = parse.withCoder(c);
      }
      ParseJson.Result<Transaction> parsed = raw.apply("Parse", parse);
      countDeadLetters(parsed.deadLetters());
      parsed
          .parsed()
          .apply("Dedup", Dedup.<Transaction>byId(t -> t.eventId).withKeyBuckets(64))
          .unique()
          .apply("RevenuePerMerchantHour", RevenuePerMerchantHour.create())
          .results()
          .apply("CountingSink", ParDo.of(new RecordFn()));
    } else {
      ParseJson.Result<Click> parsed =
          raw.apply("Parse", ParseJson.of(Click.class).withStage("parse-clicks"));
      countDeadLetters(parsed.deadLetters());
      parsed
          .parsed()
          .apply("Dedup", Dedup.<Click>byId(c -> c.eventId).withKeyBuckets(64))
          .unique()
          .apply("PageViewsPerMinute", PageViewsPerMinute.create())
          .results()
          .apply("CountingSink", ParDo.of(new RecordFn()));
    }
    p.run().waitUntilFinish();
    return BenchEvents.size();
  }

  /** The installed records, by index, timestamped with their event time. */
  static PCollection<RawRecord> read(Pipeline p) {
    return p.apply(
            "ReadInstalledEvents",
            GenerateSequence.from(0)
                .to(BenchEvents.size())
                .withTimestampFn(i -> new Instant(BenchEvents.eventTime(i))))
        .apply("ToRawRecord", ParDo.of(new ToRawRecordFn()));
  }

  private static void countDeadLetters(PCollection<DeadLetter> deadLetters) {
    deadLetters.apply("CountDeadLetters", ParDo.of(new CountDeadLetterFn()));
  }

  static final class ToRawRecordFn extends DoFn<Long, RawRecord> {
    @ProcessElement
    public void process(@Element Long index, OutputReceiver<RawRecord> out) {
      out.output(RawRecord.of(BenchEvents.payload(index)));
    }
  }

  static final class RecordFn extends DoFn<WindowResult<String, Long>, Void> {
    @ProcessElement
    public void process(@Element WindowResult<String, Long> result) {
      ResultSink.record(result.key(), result.windowStart().getMillis(), result.value());
    }
  }

  static final class CountDeadLetterFn extends DoFn<DeadLetter, Void> {
    @ProcessElement
    public void process(@Element DeadLetter deadLetter) {
      DEAD_LETTERS.incrementAndGet();
    }
  }

  /** The default Dedup retention, for the native side's equivalent. */
  static final Duration DEDUP_RETENTION = Dedup.DEFAULT_RETENTION;
}
