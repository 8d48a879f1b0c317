package io.beamsuite.transforms.dedup;

import java.util.Iterator;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
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
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Unbounded input, ids hashed into buckets (the DirectRunner's default, or when asked): each bucket
 * maps its ids to their latest event time and queues (id, forget-at) entries in event-time order.
 * One timer per bucket fires at the end of the next expiry slot (a sixteenth of the retention) and
 * forgets exactly the entries due, never scanning or copying the bucket; an id is thus forgotten
 * within one slot after its retention ends. Needs {@code MapState} and {@code OrderedListState},
 * which Dataflow Runner v2 streaming does not have.
 */
final class BucketedExpiringDedupFn<T> extends DoFn<KV<Integer, KV<String, T>>, T> {
  private static final String LATEST_EVENT_TIMES = "latestEventTimes";
  private static final String EXPIRY_QUEUE = "expiryQueue";
  private static final String NEXT_SLOT = "nextSlot";
  private static final String EXPIRY = "expiry";
  private static final long LAST = GlobalWindow.INSTANCE.maxTimestamp().getMillis();

  private final long retentionMillis;
  private final long slotMillis;
  private final FirstArrivalOutputs<T> outputs;

  @StateId(LATEST_EVENT_TIMES)
  private final StateSpec<MapState<String, Long>> latestSpec =
      StateSpecs.map(StringUtf8Coder.of(), VarLongCoder.of());

  @StateId(EXPIRY_QUEUE)
  private final StateSpec<OrderedListState<String>> queueSpec =
      StateSpecs.orderedList(StringUtf8Coder.of());

  @StateId(NEXT_SLOT)
  private final StateSpec<ValueState<Long>> nextSlotSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId(EXPIRY)
  private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  BucketedExpiringDedupFn(Duration retention, FirstArrivalOutputs<T> outputs) {
    this.retentionMillis = retention.getMillis();
    this.slotMillis = Math.max(1, retentionMillis / 16);
    this.outputs = outputs;
  }

  @ProcessElement
  public void processElement(
      @Element KV<Integer, KV<String, T>> element,
      @Timestamp Instant timestamp,
      @StateId(LATEST_EVENT_TIMES) MapState<String, Long> latestEventTimes,
      @StateId(EXPIRY_QUEUE) OrderedListState<String> expiryQueue,
      @StateId(NEXT_SLOT) ValueState<Long> nextSlot,
      @TimerId(EXPIRY) Timer expiry,
      MultiOutputReceiver out) {
    String id = element.getValue().getKey();
    Long latest = latestEventTimes.get(id).read();
    outputs.emit(latest == null, element.getValue().getValue(), out);
    long time = timestamp.getMillis();
    if (latest == null || time > latest) {
      latestEventTimes.put(id, time);
      long forgetAt = Math.min(time + retentionMillis, LAST);
      expiryQueue.add(TimestampedValue.of(id, new Instant(forgetAt)));
      schedule(slotEnd(forgetAt), nextSlot, expiry);
    }
  }

  @OnTimer(EXPIRY)
  public void onExpiry(
      OnTimerContext context,
      @StateId(LATEST_EVENT_TIMES) MapState<String, Long> latestEventTimes,
      @StateId(EXPIRY_QUEUE) OrderedListState<String> expiryQueue,
      @StateId(NEXT_SLOT) ValueState<Long> nextSlot,
      @TimerId(EXPIRY) Timer expiry) {
    long firedAt = context.fireTimestamp().getMillis();
    Instant dueBefore = new Instant(firedAt + 1);
    for (TimestampedValue<String> entry :
        expiryQueue.readRange(BoundedWindow.TIMESTAMP_MIN_VALUE, dueBefore)) {
      ReadableState<Long> latest = latestEventTimes.get(entry.getValue());
      Long time = latest.read();
      // A later copy queued a later entry: only the id's latest entry forgets it.
      if (time != null && time + retentionMillis <= firedAt) {
        latestEventTimes.remove(entry.getValue());
      }
    }
    expiryQueue.clearRange(BoundedWindow.TIMESTAMP_MIN_VALUE, dueBefore);
    nextSlot.clear();
    Iterator<TimestampedValue<String>> rest =
        expiryQueue.readRange(dueBefore, BoundedWindow.TIMESTAMP_MAX_VALUE).iterator();
    if (rest.hasNext()) {
      schedule(slotEnd(rest.next().getTimestamp().getMillis()), nextSlot, expiry);
    }
  }

  private static void schedule(long slot, ValueState<Long> nextSlot, Timer expiry) {
    Long next = nextSlot.read();
    if (next == null || slot < next) {
      expiry.set(new Instant(slot));
      nextSlot.write(slot);
    }
  }

  /** The end of the expiry slot holding {@code forgetAt}. */
  private long slotEnd(long forgetAt) {
    long end = forgetAt + Math.floorMod(-forgetAt, slotMillis);
    return Math.min(end, LAST);
  }
}
