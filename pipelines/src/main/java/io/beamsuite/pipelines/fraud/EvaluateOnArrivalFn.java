package io.beamsuite.pipelines.fraud;

import static io.beamsuite.pipelines.fraud.TrailingWindowRules.STAGE;
import static io.beamsuite.pipelines.fraud.TrailingWindowRules.saturatedAdd;

import io.beamsuite.pipelines.fraud.TrailingWindowRules.Rules;
import io.beamsuite.pipelines.fraud.TrailingWindowRules.Tags;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.transforms.errors.DeadLetters;
import io.beamsuite.transforms.windowing.LateRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.BagState;
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
 * Unbounded: evaluates each transaction on arrival against its customer's retained history. See the
 * class documentation for lateness and retention.
 */
final class EvaluateOnArrivalFn extends DoFn<KV<String, Transaction>, FraudAlert> {
  static final String HISTORY = "history";
  static final String CLOCK = "clock";
  static final String EXPIRY = "expiry";

  /** Expiry timers are rounded up to this grid, so one compaction drops a batch of entries. */
  static final long EXPIRY_GRID_MILLIS = 10_000;

  private static final long LAST_TIMER = GlobalWindow.INSTANCE.maxTimestamp().getMillis();

  private final Rules rules;
  private final long allowedLatenessMillis;
  private final long retentionMillis;
  private final int maxHistory;
  private final Tags tags;

  @StateId(HISTORY)
  private final StateSpec<BagState<HistoryEntry>> historySpec =
      StateSpecs.bag(HistoryEntry.EntryCoder.INSTANCE);

  @StateId(CLOCK)
  private final StateSpec<ValueState<CustomerClock>> clockSpec =
      StateSpecs.value(CustomerClock.ClockCoder.INSTANCE);

  @TimerId(EXPIRY)
  private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  private final Counter transactionsIn = counter("transactions_in");
  private final Counter late = counter("late_records");
  private final Counter repeated = counter("repeated_in_history");
  private final Counter historyFull = counter("customer_history_full");
  private final Counter reevaluated = counter("reevaluated_out_of_order");
  private final Counter expired = counter("history_expired");

  EvaluateOnArrivalFn(Rules rules, long allowedLatenessMillis, int maxHistory, Tags tags) {
    this.rules = rules;
    this.allowedLatenessMillis = allowedLatenessMillis;
    this.retentionMillis = rules.longestWindowMillis() + allowedLatenessMillis;
    this.maxHistory = maxHistory;
    this.tags = tags;
  }

  private static Counter counter(String name) {
    return Metrics.counter(TrailingWindowRules.class, name);
  }

  @ProcessElement
  public void process(
      @Element KV<String, Transaction> element,
      @StateId(HISTORY) BagState<HistoryEntry> history,
      @StateId(CLOCK) ValueState<CustomerClock> clockState,
      @TimerId(EXPIRY) Timer expiry,
      MultiOutputReceiver out) {
    transactionsIn.inc();
    Transaction t = element.getValue();
    CustomerClock stored = clockState.read();
    CustomerClock clock = stored == null ? new CustomerClock() : stored;
    if (clock.firedUpTo != CustomerClock.NONE
        && saturatedAdd(t.eventTimeMillis, allowedLatenessMillis) <= clock.firedUpTo) {
      routeLate(t, clock, out);
      return;
    }
    if (clock.entries >= maxHistory) {
      historyFull.inc();
      out.get(tags.deadLetters)
          .output(
              DeadLetters.forRecord(
                  STAGE,
                  "customer_history_full",
                  t,
                  new IllegalStateException(
                      "customer holds " + clock.entries + " transactions, the most allowed")));
      return;
    }
    List<HistoryEntry> sorted = new ArrayList<>(clock.entries + 1);
    Set<String> ids = new HashSet<>();
    boolean laterSeen = false;
    for (HistoryEntry e : history.read()) {
      if (ids.add(e.eventId)) {
        sorted.add(e);
        laterSeen |= e.eventTimeMillis >= t.eventTimeMillis;
      }
    }
    if (ids.contains(t.eventId)) {
      repeated.inc();
      return;
    }
    HistoryEntry entry = HistoryEntry.of(t);
    history.add(entry);
    clock.entries++;
    sorted.add(entry);
    sorted.sort(HistoryEntry.BY_TIME);
    if (laterSeen) {
      reevaluated.inc();
    }
    // t itself, and every later (or same-instant) transaction whose window t now joins.
    long at = t.eventTimeMillis;
    for (FraudAlert alert :
        rules.evaluate(
            element.getKey(),
            sorted,
            time -> time >= at && time - at <= rules.countryWindowMillis,
            time -> time >= at && time - at <= rules.velocityWindowMillis)) {
      out.get(tags.alerts).output(alert);
    }
    requestExpiry(clock, expiry, expiryOf(at));
    clockState.write(clock);
  }

  private void routeLate(Transaction t, CustomerClock clock, MultiOutputReceiver out) {
    late.inc();
    Instant known = new Instant(saturatedAdd(clock.firedUpTo, 1));
    Instant eventTime = new Instant(t.eventTimeMillis);
    String reason =
        "the watermark is at or past "
            + known
            + ", at or after the transaction's time plus allowed lateness "
            + Duration.millis(allowedLatenessMillis);
    out.get(tags.lateCountries)
        .output(
            LateRecord.of(
                t,
                eventTime,
                eventTime.minus(Duration.millis(rules.countryWindowMillis)),
                eventTime,
                known,
                reason));
    out.get(tags.lateVelocity)
        .output(
            LateRecord.of(
                t,
                eventTime,
                eventTime.minus(Duration.millis(rules.velocityWindowMillis)),
                eventTime,
                known,
                reason));
  }

  /** Drops the entries no on-time transaction can need any more, rewriting the bag once. */
  @OnTimer(EXPIRY)
  public void onExpiry(
      OnTimerContext context,
      @StateId(HISTORY) BagState<HistoryEntry> history,
      @StateId(CLOCK) ValueState<CustomerClock> clockState,
      @TimerId(EXPIRY) Timer expiry) {
    CustomerClock clock = clockState.read();
    if (clock == null) {
      return;
    }
    clock.firedUpTo = Math.max(clock.firedUpTo, context.fireTimestamp().getMillis());
    clock.timerTarget = CustomerClock.NONE;
    List<HistoryEntry> survivors = new ArrayList<>();
    long earliest = Long.MAX_VALUE;
    int before = 0;
    for (HistoryEntry e : history.read()) {
      before++;
      if (expiryOf(e.eventTimeMillis) > clock.firedUpTo) {
        survivors.add(e);
        earliest = Math.min(earliest, e.eventTimeMillis);
      }
    }
    expired.inc(before - survivors.size());
    history.clear();
    survivors.forEach(history::add);
    clock.entries = survivors.size();
    if (!survivors.isEmpty()) {
      requestExpiry(clock, expiry, expiryOf(earliest));
    }
    // Kept with an empty history: its firedUpTo still routes a very late record late instead
    // of evaluating it against a history that was dropped.
    clockState.write(clock);
  }

  /** When an entry at {@code eventTime} may go: no on-time record can need it after that. */
  private long expiryOf(long eventTimeMillis) {
    long due = saturatedAdd(eventTimeMillis, retentionMillis);
    long rounded = saturatedAdd(due, Math.floorMod(-due, EXPIRY_GRID_MILLIS));
    return Math.min(rounded, LAST_TIMER);
  }

  private static void requestExpiry(CustomerClock clock, Timer expiry, long target) {
    if (clock.timerTarget == CustomerClock.NONE || target < clock.timerTarget) {
      expiry.set(new Instant(target));
      clock.timerTarget = target;
    }
  }

  /** A customer's small fixed-size state: its knowledge of the watermark and its timer. */
  static final class CustomerClock {
    static final long NONE = Long.MIN_VALUE;

    /** The latest expiry timer that fired: the input watermark is past it. */
    long firedUpTo = NONE;

    /** Target of the pending expiry timer, or {@link #NONE}. */
    long timerTarget = NONE;

    /** Entries in the history bag. */
    int entries;

    /** Explicit coder: two fixed-width times and a count. */
    static final class ClockCoder extends AtomicCoder<CustomerClock> {
      private static final long serialVersionUID = 1L;
      static final ClockCoder INSTANCE = new ClockCoder();
      private static final Coder<Long> LONG = BigEndianLongCoder.of();

      @Override
      public void encode(CustomerClock clock, OutputStream out) throws IOException {
        LONG.encode(clock.firedUpTo, out);
        LONG.encode(clock.timerTarget, out);
        VarIntCoder.of().encode(clock.entries, out);
      }

      @Override
      public CustomerClock decode(InputStream in) throws IOException {
        CustomerClock clock = new CustomerClock();
        clock.firedUpTo = LONG.decode(in);
        clock.timerTarget = LONG.decode(in);
        clock.entries = VarIntCoder.of().decode(in);
        return clock;
      }

      @Override
      public void verifyDeterministic() {}
    }
  }
}
