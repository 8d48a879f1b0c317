package io.beamsuite.transforms.dedup;

import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
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
