package io.beamsuite.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.time.Time;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The headline work as a hand-written native Flink DataStream job, one job for both views, on a
 * local (MiniCluster) environment of parallelism 2 in {@link RuntimeExecutionMode#BATCH} (a bounded
 * input, as the FlinkRunner runs a bounded Beam pipeline in batch mode). Per view: the topic's
 * files by index ({@code fromSequence}), each file read and split into lines by one subtask, each
 * line parsed with {@link StrictParser} into {@code (event_id, key, value, event time)}, event-time
 * timestamps, repeated ids dropped (keyed {@code ValueState}, cleared by an event-time timer after
 * Dedup's default retention), sums per key in {@code TumblingEventTimeWindows} of the view's size,
 * and the rows upserted into the view's table by {@link ViewRowsWriter} in the sink.
 */
final class NativeFlinkSide {
  static final int PARALLELISM = 2;

  private NativeFlinkSide() {}

  /** Runs both views over the master dataset {@code events} into the tables of {@code jdbcUrl}. */
  @SuppressWarnings("deprecation") // Time: the 1.19 window API the FlinkRunner is built on
  static void run(Path events, String jdbcUrl) throws Exception {
    ViewRowsWriter.createTables(jdbcUrl);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(PARALLELISM);
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    for (View view : View.values()) {
      List<String> files = new ArrayList<>();
      HeadlineWorkload.files(events, view.topic).forEach(f -> files.add(f.toString()));
      env.fromSequence(0, files.size() - 1)
          .name("files-" + view.topic.topicName())
          .rebalance()
          .flatMap(new ReadAndParseFn(view, files))
          .returns(Types.TUPLE(Types.STRING, Types.STRING, Types.LONG, Types.LONG))
          .assignTimestampsAndWatermarks(
              WatermarkStrategy.<Tuple4<String, String, Long, Long>>forBoundedOutOfOrderness(
                      HeadlineWorkload.DISORDER)
                  .withTimestampAssigner((event, previous) -> event.f3))
          .keyBy(t -> t.f0)
          .process(new DedupFn(BeamSide.DEDUP_RETENTION.getMillis()))
          .returns(Types.TUPLE(Types.STRING, Types.STRING, Types.LONG, Types.LONG))
          .keyBy(t -> t.f1)
          .window(TumblingEventTimeWindows.of(Time.milliseconds(view.window.toMillis())))
          .aggregate(new SumFn(), new ToRowFn())
          .returns(Types.TUPLE(Types.STRING, Types.LONG, Types.LONG))
          .addSink(new UpsertSinkFn(view, jdbcUrl))
          .name("upsert-" + view.batchTable());
    }
    env.execute("native-revenue-and-page-views");
  }

  /**
   * The start-up cost of a Flink job on this machine: the same local environment running a job with
   * one element and nothing to do (MiniCluster start, job submission, stop).
   */
  static void runEmptyJob() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(PARALLELISM);
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.fromSequence(0, 0).sinkTo(new DiscardingSink<>());
    env.execute("native-empty");
  }

  /**
   * File index to its lines' {@code (event_id, key, value, event time)}; unparseable lines dropped.
   */
  static final class ReadAndParseFn
      extends RichFlatMapFunction<Long, Tuple4<String, String, Long, Long>> {
    private final View view;
    private final List<String> files;
    private transient StrictParser parser;

    ReadAndParseFn(View view, List<String> files) {
      this.view = view;
      this.files = files;
    }

    @Override
    public void open(Configuration parameters) {
      parser = new StrictParser(view.type);
    }

    @Override
    public void flatMap(Long index, Collector<Tuple4<String, String, Long, Long>> out) {
      HeadlineWorkload.forEachLine(
          Path.of(files.get(index.intValue())),
          payload -> {
            Object event = parser.parse(payload);
            if (event != null) {
              out.collect(
                  Tuple4.of(
                      view.eventId(event),
                      view.key(event),
                      view.value(event),
                      view.eventTimeMillis(event)));
            }
          });
    }
  }

  /** First copy of each id; the id's state is cleared {@code retention} after its event time. */
  static final class DedupFn
      extends KeyedProcessFunction<
          String, Tuple4<String, String, Long, Long>, Tuple4<String, String, Long, Long>> {
    private final long retentionMillis;
    private transient ValueState<Boolean> seen;

    DedupFn(long retentionMillis) {
      this.retentionMillis = retentionMillis;
    }

    @Override
    public void open(Configuration parameters) {
      seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen", Types.BOOLEAN));
    }

    @Override
    public void processElement(
        Tuple4<String, String, Long, Long> event,
        Context ctx,
        Collector<Tuple4<String, String, Long, Long>> out)
        throws Exception {
      if (seen.value() == null) {
        seen.update(true);
        ctx.timerService().registerEventTimeTimer(ctx.timestamp() + retentionMillis);
        out.collect(event);
      }
    }

    @Override
    public void onTimer(
        long timestamp, OnTimerContext ctx, Collector<Tuple4<String, String, Long, Long>> out) {
      seen.clear();
    }
  }

  static final class SumFn
      implements AggregateFunction<Tuple4<String, String, Long, Long>, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Tuple4<String, String, Long, Long> event, Long sum) {
      return Math.addExact(sum, event.f2);
    }

    @Override
    public Long getResult(Long sum) {
      return sum;
    }

    @Override
    public Long merge(Long a, Long b) {
      return Math.addExact(a, b);
    }
  }

  /** The window's sum as a row: {@code (key, window start, value)}. */
  static final class ToRowFn
      extends ProcessWindowFunction<Long, Tuple3<String, Long, Long>, String, TimeWindow> {
    @Override
    public void process(
        String key,
        Context context,
        Iterable<Long> sums,
        Collector<Tuple3<String, Long, Long>> out) {
      for (long sum : sums) {
        out.collect(Tuple3.of(key, context.window().getStart(), sum));
      }
    }
  }

  /** Upserts each subtask's rows into the view's table, in batches ({@link ViewRowsWriter}). */
  static final class UpsertSinkFn extends RichSinkFunction<Tuple3<String, Long, Long>> {
    private final View view;
    private final String jdbcUrl;
    private transient ViewRowsWriter rows;

    UpsertSinkFn(View view, String jdbcUrl) {
      this.view = view;
      this.jdbcUrl = jdbcUrl;
    }

    @Override
    public void open(Configuration parameters) throws Exception {
      rows = new ViewRowsWriter(jdbcUrl, view);
    }

    @Override
    public void invoke(Tuple3<String, Long, Long> row, Context context) throws Exception {
      rows.write(row.f0, row.f1, row.f2);
    }

    @Override
    public void close() throws Exception {
      if (rows != null) {
        rows.close();
      }
    }
  }
}
