package io.beamsuite.io.watermark;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says so when an unbounded input's event-time watermark stops moving while records keep arriving —
 * the state in which windows, timers and event-time joins downstream silently produce nothing.
 *
 * <p>About once a second per worker, a sampled record becomes a probe: its event time is set as an
 * event-time timer, which fires once the input watermark passes it. If it has not fired {@link
 * #withThreshold threshold} of processing time after the probe arrived, the monitor logs a warning
 * naming the input and the likely causes, counts {@code watermark_stalls}, and emits the warning
 * text on its output; it repeats every threshold while the stall lasts, and logs when the watermark
 * moves again. Only the watermark is read, through a timer, so it works on every runner; the cost
 * is one timestamp read per record plus a keyed element per second.
 *
 * <pre>{@code
 * PCollection<RawRecord> clicks = p.apply("ReadClicks", KafkaJsonSource.of(servers, "clicks"));
 * clicks.apply("WatchClicksWatermark",
 *     WatermarkStallMonitor.<RawRecord>of("topic clicks").withThreshold(Duration.standardMinutes(2)));
 * }</pre>
 *
 * @param <T> the records of the watched input
 */
@AutoValue
public abstract class WatermarkStallMonitor<T>
    extends PTransform<PCollection<T>, PCollection<String>> {
  /** Threshold unless {@link #withThreshold} says otherwise. */
  public static final Duration DEFAULT_THRESHOLD = Duration.standardMinutes(2);

  private static final long PROBE_INTERVAL_MILLIS = 1_000;

  abstract String inputName();

  abstract Duration threshold();

  abstract Builder<T> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setInputName(String inputName);

    abstract Builder<T> setThreshold(Duration threshold);

    abstract WatermarkStallMonitor<T> build();
  }

  /** Watches the input called {@code inputName} in the warnings (e.g. {@code "topic clicks"}). */
  public static <T> WatermarkStallMonitor<T> of(String inputName) {
    checkArgumentNotNull(inputName, "inputName");
    return new AutoValue_WatermarkStallMonitor.Builder<T>()
        .setInputName(inputName)
        .setThreshold(DEFAULT_THRESHOLD)
        .build();
  }

  /** How long a probe may wait for the watermark before the input counts as stalled. */
  public WatermarkStallMonitor<T> withThreshold(Duration threshold) {
    checkArgumentNotNull(threshold, "threshold");
    if (!threshold.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("threshold must be positive, got " + threshold);
    }
    return toBuilder().setThreshold(threshold).build();
  }

  @Override
  public PCollection<String> expand(PCollection<T> input) {
    return input
        .apply("SampleProbes", ParDo.of(new SampleProbesFn<T>(inputName())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("DetectStalls", ParDo.of(new DetectStallsFn(threshold())))
        .setCoder(StringUtf8Coder.of());
  }

  /** Emits (input name, wall-clock millis) for at most one record per second per instance. */
  private static final class SampleProbesFn<T> extends DoFn<T, KV<String, Long>> {
    private final String inputName;
    private transient long lastProbeMillis;

    SampleProbesFn(String inputName) {
      this.inputName = inputName;
    }

    @ProcessElement
    public void processElement(OutputReceiver<KV<String, Long>> out) {
      long now = System.currentTimeMillis();
      if (now - lastProbeMillis >= PROBE_INTERVAL_MILLIS) {
        lastProbeMillis = now;
        out.output(KV.of(inputName, now));
      }
    }
  }

  /** Per input: one pending probe at a time, its watermark timer and its stall check. */
  static final class DetectStallsFn extends DoFn<KV<String, Long>, String> {
    static final String PROBE_TIME = "probeEventTime";
    static final String STALL_CHECKS = "stallChecks";
    static final String WATERMARK_PASSED = "watermarkPassed";
    static final String STALL_CHECK = "stallCheck";
    private static final Logger LOG = LoggerFactory.getLogger(WatermarkStallMonitor.class);

    private final Duration threshold;
    private final Counter stalls = Metrics.counter(WatermarkStallMonitor.class, "watermark_stalls");

    @StateId(PROBE_TIME)
    private final StateSpec<ValueState<Instant>> probeTimeSpec = StateSpecs.value();

    @StateId(STALL_CHECKS)
    private final StateSpec<ValueState<Integer>> stallChecksSpec = StateSpecs.value();

    @TimerId(WATERMARK_PASSED)
    private final TimerSpec watermarkPassedSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @TimerId(STALL_CHECK)
    private final TimerSpec stallCheckSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    DetectStallsFn(Duration threshold) {
      this.threshold = threshold;
    }

    @ProcessElement
    public void processElement(
        @Timestamp Instant eventTime,
        @StateId(PROBE_TIME) ValueState<Instant> probeTime,
        @StateId(STALL_CHECKS) ValueState<Integer> stallChecks,
        @TimerId(WATERMARK_PASSED) Timer watermarkPassed,
        @TimerId(STALL_CHECK) Timer stallCheck) {
      if (probeTime.read() != null) {
        return; // the pending probe decides
      }
      probeTime.write(eventTime);
      stallChecks.write(0);
      watermarkPassed.set(eventTime);
      stallCheck.offset(threshold).setRelative();
    }

    @OnTimer(WATERMARK_PASSED)
    public void onWatermarkPassed(
        @Key String inputName,
        @StateId(PROBE_TIME) ValueState<Instant> probeTime,
        @StateId(STALL_CHECKS) ValueState<Integer> stallChecks,
        @TimerId(STALL_CHECK) Timer stallCheck) {
      Integer checks = stallChecks.read();
      if (checks != null && checks > 0) {
        LOG.info(
            "The event-time watermark of {} moves again (past {}).", inputName, probeTime.read());
      }
      probeTime.clear();
      stallChecks.clear();
      stallCheck.clear();
    }

    @OnTimer(STALL_CHECK)
    public void onStallCheck(
        @Key String inputName,
        @StateId(PROBE_TIME) ValueState<Instant> probeTime,
        @StateId(STALL_CHECKS) ValueState<Integer> stallChecks,
        @TimerId(STALL_CHECK) Timer stallCheck,
        OutputReceiver<String> out) {
      Instant stuckBefore = probeTime.read();
      if (stuckBefore == null) {
        return;
      }
      int checks = stallChecks.read() == null ? 1 : stallChecks.read() + 1;
      stallChecks.write(checks);
      String warning =
          String.format(
              "The event-time watermark of %s has not passed %s for at least %d s while records"
                  + " arrive: windows, timers and event-time joins downstream emit nothing until it"
                  + " moves. Likely causes: a reader or partition that receives no records (Kafka"
                  + " topics with fewer partitions than the parallelism, or partitions nothing is"
                  + " written to, when the watermark follows event time only), a watermark delay"
                  + " (--maxOutOfOrdernessSeconds) longer than this, or a source that cannot reach"
                  + " its broker.",
              inputName, stuckBefore, threshold.getStandardSeconds() * checks);
      LOG.warn(warning);
      stalls.inc();
      out.output(warning);
      stallCheck.offset(threshold).setRelative();
    }
  }
}
