package io.beamsuite.transforms.dedup;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;
import java.io.Serializable;
import java.util.Iterator;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Unbounded input, one state key per id: the id's latest event time and one expiry timer, so
 * forgetting an id touches nothing else.
 */
final class ExpiringDedupFn<T> extends DoFn<KV<String, T>, T> {
  private static final String LATEST_EVENT_TIME = "latestEventTime";
  private static final String EXPIRY = "expiry";

  private final Duration retention;
  private final FirstArrivalOutputs<T> outputs;

  @StateId(LATEST_EVENT_TIME)
  private final StateSpec<ValueState<Instant>> latestEventTimeSpec = StateSpecs.value();

  @TimerId(EXPIRY)
  private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  ExpiringDedupFn(Duration retention, FirstArrivalOutputs<T> outputs) {
    this.retention = retention;
    this.outputs = outputs;
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, T> element,
      @Timestamp Instant timestamp,
      @StateId(LATEST_EVENT_TIME) ValueState<Instant> latestEventTime,
      @TimerId(EXPIRY) Timer expiry,
      MultiOutputReceiver out) {
    Instant latest = latestEventTime.read();
    outputs.emit(latest == null, element.getValue(), out);
    if (latest == null || timestamp.isAfter(latest)) {
      latestEventTime.write(timestamp);
      Instant forgetAt = timestamp.plus(retention);
      Instant last = GlobalWindow.INSTANCE.maxTimestamp();
      expiry.set(forgetAt.isAfter(last) ? last : forgetAt);
    }
  }

  @OnTimer(EXPIRY)
  public void onExpiry(@StateId(LATEST_EVENT_TIME) ValueState<Instant> latestEventTime) {
    latestEventTime.clear();
  }
}
