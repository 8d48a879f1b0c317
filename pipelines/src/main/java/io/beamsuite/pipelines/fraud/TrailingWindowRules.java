package io.beamsuite.pipelines.fraud;

import com.google.auto.value.AutoValue;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.results.TaggedOutputs;
import io.beamsuite.transforms.windowing.LateRecord;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * The {@code many_countries} and {@code velocity} rules of {@link FraudPipeline}, per transaction
 * over its customer's trailing event-time window {@code [t - w, t]} (both ends inclusive): an alert
 * keyed by the transaction as soon as it is processed, no window close to wait for
 * (docs/pipelines.md, fraud).
 *
 * <p><b>Unbounded input</b>: one keyed step per customer holds its recent transactions in a bag
 * ({@code history}, appended to per record) and a small {@code clock}. A record reads the bag once,
 * is evaluated, and re-evaluates the later transactions whose windows it joins (arrival out of
 * order), so alerts only ever appear or grow. One event-time timer ({@code expiry}) drops what no
 * on-time record can need any more (older than the longest window plus the allowed lateness) and is
 * the customer's only knowledge of the watermark: a record is late when its event time plus the
 * allowed lateness is at or before the last timer that fired, the portable rule of the windowed
 * aggregations. Per record the cost is reading and sorting the history, capped by {@link
 * #withMaxHistory}; records beyond the cap become dead letters ({@code customer_history_full}).
 *
 * <p><b>Bounded input</b>: nothing is late, so each customer's transactions are grouped, sorted
 * once and both windows slide over them.
 *
 * <pre>{@code
 * TrailingWindowRules.Result rules =
 *     uniqueTransactions.apply(
 *         TrailingWindowRules.of()
 *             .withManyCountries(Duration.standardMinutes(10), 3)
 *             .withVelocity(Duration.standardMinutes(1), 5)
 *             .withAllowedLateness(Duration.standardMinutes(10)));
 * rules.alerts(); // FraudAlert rows keyed (rule, event_id)
 * }</pre>
 */
@AutoValue
public abstract class TrailingWindowRules
    extends PTransform<PCollection<Transaction>, TrailingWindowRules.Result> {
  /** Stage of the dead letters this transform writes. */
  public static final String STAGE = "fraud-trailing-rules";

  /** Default cap on a customer's retained transactions. */
  public static final int DEFAULT_MAX_HISTORY = 10_000;

  abstract long countryWindowMillis();

  abstract long minCountries();

  abstract long velocityWindowMillis();

  abstract long velocityCount();

  abstract long allowedLatenessMillis();

  abstract int maxHistory();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setCountryWindowMillis(long countryWindowMillis);

    abstract Builder setMinCountries(long minCountries);

    abstract Builder setVelocityWindowMillis(long velocityWindowMillis);

    abstract Builder setVelocityCount(long velocityCount);

    abstract Builder setAllowedLatenessMillis(long allowedLatenessMillis);

    abstract Builder setMaxHistory(int maxHistory);

    abstract TrailingWindowRules build();
  }

  /** The pipeline's defaults: 3 countries in 10 min, 5 transactions in 1 min, 10 min lateness. */
  public static TrailingWindowRules of() {
    return new AutoValue_TrailingWindowRules.Builder()
        .setCountryWindowMillis(600_000)
        .setMinCountries(3)
        .setVelocityWindowMillis(60_000)
        .setVelocityCount(5)
        .setAllowedLatenessMillis(600_000)
        .setMaxHistory(DEFAULT_MAX_HISTORY)
        .build();
  }

  /** {@code many_countries}: at least {@code minimum} distinct countries within {@code window}. */
  public TrailingWindowRules withManyCountries(Duration window, long minimum) {
    requirePositive("country window", window.getMillis());
    requirePositive("minimum countries", minimum);
    return toBuilder().setCountryWindowMillis(window.getMillis()).setMinCountries(minimum).build();
  }

  /** {@code velocity}: at least {@code minimum} transactions within {@code window}. */
  public TrailingWindowRules withVelocity(Duration window, long minimum) {
    requirePositive("velocity window", window.getMillis());
    requirePositive("velocity count", minimum);
    return toBuilder()
        .setVelocityWindowMillis(window.getMillis())
        .setVelocityCount(minimum)
        .build();
  }

  /** How long (event time) after the watermark passed a transaction it is still accepted. */
  public TrailingWindowRules withAllowedLateness(Duration lateness) {
    if (lateness.getMillis() < 0) {
      throw new IllegalArgumentException("allowed lateness must be >= 0, got " + lateness);
    }
    return toBuilder().setAllowedLatenessMillis(lateness.getMillis()).build();
  }

  /** Most transactions kept per customer in a streaming run; see the class documentation. */
  public TrailingWindowRules withMaxHistory(int maxHistory) {
    requirePositive("max history", maxHistory);
    return toBuilder().setMaxHistory(maxHistory).build();
  }

  private static void requirePositive(String what, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be positive, got " + value);
    }
  }

  @Override
  public Result expand(PCollection<Transaction> transactions) {
    Rules rules =
        new Rules(countryWindowMillis(), minCountries(), velocityWindowMillis(), velocityCount());
    Tags tags = new Tags();
    PCollectionTuple outputs;
    if (transactions.isBounded() == PCollection.IsBounded.BOUNDED) {
      outputs =
          transactions
              .apply("ByCustomer", ParDo.of(new ProjectFn()))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), HistoryEntry.EntryCoder.INSTANCE))
              .apply("GroupPerCustomer", GroupByKey.create())
              .apply(
                  "EvaluateEveryTransaction",
                  ParDo.of(new EvaluateGroupFn(rules)).withOutputTags(tags.alerts, tags.others()));
    } else {
      outputs =
          transactions
              .apply("KeyByCustomer", ParDo.of(new KeyFn()))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), transactions.getCoder()))
              .apply(
                  "EvaluateOnArrival",
                  ParDo.of(
                          new EvaluateOnArrivalFn(
                              rules, allowedLatenessMillis(), maxHistory(), tags))
                      .withOutputTags(tags.alerts, tags.others()));
    }
    Coder<LateRecord<Transaction>> lateCoder = LateRecord.coder(transactions.getCoder());
    return new Result(
        transactions.getPipeline(),
        outputs.get(tags.alerts),
        outputs.get(tags.lateCountries).setCoder(lateCoder),
        outputs.get(tags.lateVelocity).setCoder(lateCoder),
        outputs.get(tags.deadLetters).setCoder(DeadLetter.coder()));
  }

  /** Alerts, records late for each rule, and dead letters. */
  public static final class Result extends TaggedOutputs {
    private final PCollection<FraudAlert> alerts;
    private final PCollection<LateRecord<Transaction>> lateManyCountries;
    private final PCollection<LateRecord<Transaction>> lateVelocity;
    private final PCollection<DeadLetter> deadLetters;

    Result(
        Pipeline pipeline,
        PCollection<FraudAlert> alerts,
        PCollection<LateRecord<Transaction>> lateManyCountries,
        PCollection<LateRecord<Transaction>> lateVelocity,
        PCollection<DeadLetter> deadLetters) {
      super(pipeline);
      this.alerts = output(new TupleTag<FraudAlert>("alerts"), alerts);
      this.lateManyCountries =
          output(new TupleTag<LateRecord<Transaction>>("lateManyCountries"), lateManyCountries);
      this.lateVelocity =
          output(new TupleTag<LateRecord<Transaction>>("lateVelocity"), lateVelocity);
      this.deadLetters = output(new TupleTag<DeadLetter>("deadLetters"), deadLetters);
    }

    /** One alert per transaction and rule met (again, larger, when a later arrival adds to it). */
    public PCollection<FraudAlert> alerts() {
      return alerts;
    }

    /** Transactions late for {@code many_countries} (window {@code [t - w, t]}). */
    public PCollection<LateRecord<Transaction>> lateManyCountries() {
      return lateManyCountries;
    }

    /** Transactions late for {@code velocity} (the same transactions, with its window). */
    public PCollection<LateRecord<Transaction>> lateVelocity() {
      return lateVelocity;
    }

    /** Transactions refused because their customer's history was full. */
    public PCollection<DeadLetter> deadLetters() {
      return deadLetters;
    }
  }

  /** The output tags of both engines. */
  static final class Tags implements Serializable {
    private static final long serialVersionUID = 1L;
    final TupleTag<FraudAlert> alerts = new TupleTag<FraudAlert>() {};
    final TupleTag<LateRecord<Transaction>> lateCountries =
        new TupleTag<LateRecord<Transaction>>() {};
    final TupleTag<LateRecord<Transaction>> lateVelocity =
        new TupleTag<LateRecord<Transaction>>() {};
    final TupleTag<DeadLetter> deadLetters = new TupleTag<DeadLetter>() {};

    TupleTagList others() {
      return TupleTagList.of(lateCountries).and(lateVelocity).and(deadLetters);
    }
  }

  /**
   * The two rules over a customer's history sorted by {@link HistoryEntry#BY_TIME}: both windows
   * slide forward over the transactions to evaluate, so a pass is linear in the history.
   */
  static final class Rules implements Serializable {
    private static final long serialVersionUID = 1L;
    final long countryWindowMillis;
    final long minCountries;
    final long velocityWindowMillis;
    final long velocityCount;

    Rules(long countryWindowMillis, long minCountries, long velocityWindowMillis, long count) {
      this.countryWindowMillis = countryWindowMillis;
      this.minCountries = minCountries;
      this.velocityWindowMillis = velocityWindowMillis;
      this.velocityCount = count;
    }

    long longestWindowMillis() {
      return Math.max(countryWindowMillis, velocityWindowMillis);
    }

    /**
     * Alerts of the transactions of {@code sorted} whose event time {@code evaluate} accepts for
     * the rule: {@code evaluateCountries} for many_countries, {@code evaluateVelocity} for
     * velocity.
     */
    List<FraudAlert> evaluate(
        String customerId,
        List<HistoryEntry> sorted,
        LongPredicate evaluateCountries,
        LongPredicate evaluateVelocity) {
      List<FraudAlert> alerts = new ArrayList<>();
      slide(
          customerId,
          sorted,
          FraudPipeline.MANY_COUNTRIES,
          countryWindowMillis,
          minCountries,
          true,
          evaluateCountries,
          alerts);
      slide(
          customerId,
          sorted,
          FraudPipeline.VELOCITY,
          velocityWindowMillis,
          velocityCount,
          false,
          evaluateVelocity,
          alerts);
      return alerts;
    }

    private static void slide(
        String customerId,
        List<HistoryEntry> sorted,
        String rule,
        long windowMillis,
        long minimum,
        boolean distinctCountries,
        LongPredicate evaluate,
        List<FraudAlert> alerts) {
      Map<String, Integer> countries = new HashMap<>();
      int from = 0;
      int to = 0; // window = sorted[from, to)
      for (HistoryEntry t : sorted) {
        if (!evaluate.test(t.eventTimeMillis)) {
          continue;
        }
        // Inclusive upper end: every transaction at t's instant is in t's window.
        while (to < sorted.size() && sorted.get(to).eventTimeMillis <= t.eventTimeMillis) {
          countries.merge(sorted.get(to).country, 1, Integer::sum);
          to++;
        }
        while (sorted.get(from).eventTimeMillis < t.eventTimeMillis - windowMillis) {
          countries.merge(sorted.get(from).country, -1, (a, b) -> a + b == 0 ? null : a + b);
          from++;
        }
        long observed = distinctCountries ? countries.size() : to - from;
        if (observed >= minimum) {
          alerts.add(
              new FraudAlert(rule, t.eventId, customerId, t.eventTimeMillis, observed, minimum));
        }
      }
    }
  }

  private static final class ProjectFn extends DoFn<Transaction, KV<String, HistoryEntry>> {
    @ProcessElement
    public void process(@Element Transaction t, OutputReceiver<KV<String, HistoryEntry>> out) {
      out.output(KV.of(t.customerId, HistoryEntry.of(t)));
    }
  }

  private static final class KeyFn extends DoFn<Transaction, KV<String, Transaction>> {
    @ProcessElement
    public void process(@Element Transaction t, OutputReceiver<KV<String, Transaction>> out) {
      out.output(KV.of(t.customerId, t));
    }
  }

  /** Bounded: all of a customer's transactions at once, each evaluated exactly once. */
  private static final class EvaluateGroupFn
      extends DoFn<KV<String, Iterable<HistoryEntry>>, FraudAlert> {
    private final Rules rules;

    EvaluateGroupFn(Rules rules) {
      this.rules = rules;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<HistoryEntry>> customer, OutputReceiver<FraudAlert> out) {
      List<HistoryEntry> sorted = new ArrayList<>();
      for (HistoryEntry e : customer.getValue()) {
        sorted.add(e);
      }
      sorted.sort(HistoryEntry.BY_TIME);
      for (FraudAlert alert : rules.evaluate(customer.getKey(), sorted, t -> true, t -> true)) {
        out.output(alert);
      }
    }
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    if (((a ^ sum) & (b ^ sum)) < 0) {
      return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return sum;
  }
}
