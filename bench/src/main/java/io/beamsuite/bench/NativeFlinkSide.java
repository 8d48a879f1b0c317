package io.beamsuite.bench;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.DiscardingSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.time.Time;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The hand-written native Flink DataStream job doing the same work as {@link BeamSide}: read the
 * installed records by index ({@code fromSequence}, event time from the same array, bounded
 * out-of-orderness watermarks), parse with {@link StrictParser} into {@code (event_id, key,
 * value)} tuples, drop repeated ids (keyed {@code ValueState}, cleared by an event-time timer after
 * the same 1 h retention), sum per key in tumbling event-time windows with the same allowed
 * lateness, into {@link ResultSink}. Same JVM, parallelism 2.
 */
final class NativeFlinkSide {
  private NativeFlinkSide() {}

  /** Runs the job; {@code objectReuse} enables Flink's object reuse. Returns the records read. */
  @SuppressWarnings("deprecation") // Time/DiscardingSink: the 1.19 API the FlinkRunner is built on
  static long run(View view, boolean objectReuse) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2);
    if (objectReuse) {
      env.getConfig().enableObjectReuse();
    }
    long n = BenchEvents.size();
    long windowMillis = view.window.toMillis();
    env.fromSequence(0, n - 1)
        .assignTimestampsAndWatermarks(
            WatermarkStrategy.<Long>forBoundedOutOfOrderness(Duration.ofMinutes(1))
                .withTimestampAssigner((i, previous) -> BenchEvents.eventTime(i)))
        .flatMap(new ParseFn(view))
        .returns(Types.TUPLE(Types.STRING, Types.STRING, Types.LONG))
        .keyBy(t -> t.f0)
        .process(new DedupFn(BeamSide.DEDUP_RETENTION.getMillis()))
        .returns(Types.TUPLE(Types.STRING, Types.STRING, Types.LONG))
        .keyBy(t -> t.f1)
        .window(TumblingEventTimeWindows.of(Time.milliseconds(windowMillis)))
        .allowedLateness(Time.minutes(10))
        .aggregate(new SumFn(), new RecordWindowFn())
        .addSink(new DiscardingSink<>());
    env.execute("native-" + view.table);
    return n;
  }

  /** Payload index to {@code (event_id, key, value)}; records ParseJson would reject are dropped. */
  static final class ParseFn extends RichFlatMapFunction<Long, Tuple3<String, String, Long>> {
    private final View view;
    private transient StrictParser parser;

    ParseFn(View view) {
      this.view = view;
    }

    @Override
    public void open(Configuration parameters) {
      parser = new StrictParser(view.type);
    }

    @Override
    public void flatMap(Long index, Collector<Tuple3<String, String, Long>> out) {
      Object event = parser.parse(BenchEvents.payload(index));
      if (event != null) {
        out.collect(Tuple3.of(view.eventId(event), view.key(event), view.value(event)));
      }
    }
  }

  /** First copy of each id; the id's state is cleared {@code retention} after its event time. */
  static final class DedupFn
      extends KeyedProcessFunction<String, Tuple3<String, String, Long>, Tuple3<String, String, Long>> {
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
        Tuple3<String, String, Long> event, Context ctx, Collector<Tuple3<String, String, Long>> out)
        throws Exception {
      if (seen.value() == null) {
        seen.update(true);
        ctx.timerService().registerEventTimeTimer(ctx.timestamp() + retentionMillis);
        out.collect(event);
      }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Tuple3<String, String, Long>> out) {
      seen.clear();
    }
  }

  static final class SumFn implements AggregateFunction<Tuple3<String, String, Long>, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Tuple3<String, String, Long> event, Long sum) {
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

  static final class RecordWindowFn extends ProcessWindowFunction<Long, Long, String, TimeWindow> {
    @Override
    public void process(String key, Context context, Iterable<Long> sums, Collector<Long> out) {
      for (long sum : sums) {
        ResultSink.record(key, context.window().getStart(), sum);
      }
    }
  }
}
