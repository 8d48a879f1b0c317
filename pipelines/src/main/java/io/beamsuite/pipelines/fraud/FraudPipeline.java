package io.beamsuite.pipelines.fraud;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.JdbcUpsertSink;
import io.beamsuite.io.kafka.KafkaJsonSink;
import io.beamsuite.pipelines.model.Customer;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.pipelines.options.Guarantee;
import io.beamsuite.pipelines.options.LowLatencyOptions;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.options.SourceSpec;
import io.beamsuite.pipelines.wiring.DeadLetterOutput;
import io.beamsuite.pipelines.wiring.EventSource;
import io.beamsuite.pipelines.wiring.LateRecordSink;
import io.beamsuite.pipelines.wiring.UniqueEvents;
import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.cdc.DebeziumJson;
import io.beamsuite.transforms.enrichment.Enrichment;
import io.beamsuite.transforms.enrichment.EnrichmentResult;
import io.beamsuite.transforms.enrichment.JoinFn;
import io.beamsuite.transforms.errors.DeadLetter;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * {@code fraud}: three rules over unique transactions, each alert keyed by its transaction and
 * emitted when that transaction is processed (docs/pipelines.md, fraud):
 *
 * <ul>
 *   <li>{@code amount_over_limit} — the transaction joined <em>as of its event time</em> with the
 *       customer row valid then (from the customers CDC stream) exceeds the credit limit;
 *   <li>{@code many_countries} — the customer's transactions in the trailing window {@code [t -
 *       --countryWindowMinutes, t]} span at least {@code --minCountries} countries;
 *   <li>{@code velocity} — they number at least {@code --velocityCount} within {@code [t -
 *       --velocityWindowMinutes, t]}.
 * </ul>
 *
 * <p>The trailing-window rules ({@link TrailingWindowRules}) branch off right after dedup and see
 * every unique transaction, matched or not; unmatched transactions (no customer version valid at
 * their time) are counted by the join ({@code unmatched}). A transaction arriving out of order
 * re-evaluates the later ones whose windows it joins, so alert rows only appear or grow. Alerts are
 * upserted into {@code fraud_alerts} keyed {@code (rule, alert_key)} and sent as JSON to {@code
 * --alertsTopic} (key {@code customer_id}; exactly once with {@code --guarantee=exactly-once},
 * which waits for checkpoints). Malformed transactions and change envelopes, failed joins, refused
 * rows and transactions beyond {@code --maxCustomerHistory} go to the dead letters; records too
 * late for the trailing-window rules go to {@code late_records}.
 *
 * <p><b>Validity time of customer versions.</b> A version is valid from the row's {@code
 * updated_at}, not from the CDC commit time: {@code updated_at} is the business time the row
 * carries and the time the workload is expressed in, while the commit time is merely when the row
 * reached Postgres (a snapshot row, for example, is "committed" when the capture started). So each
 * created, updated or snapshot change is re-stamped with {@code updated_at} before the join;
 * deletes carry no {@code updated_at} of their own and end validity at their commit time.
 *
 * <pre>{@code
 * FraudOptions options = PipelineOptionsFactory.fromArgs(args).as(FraudOptions.class);
 * Pipeline p = Pipeline.create(options);
 * FraudPipeline.build(p, options);
 * p.run().waitUntilFinish();
 * }</pre>
 */
public final class FraudPipeline {
  /** The alerts table. */
  public static final String ALERTS_TABLE = "fraud_alerts";

  public static final String AMOUNT_OVER_LIMIT = "amount_over_limit";
  public static final String MANY_COUNTRIES = "many_countries";
  public static final String VELOCITY = "velocity";

  private FraudPipeline() {}

  /** Adds the fraud steps to {@code pipeline}. */
  public static void build(Pipeline pipeline, FraudOptions options) {
    Settings settings = validate(options);
    if (streaming(settings.common(), options)) {
      LowLatencyOptions.preferLowLatencyOnFlink(options);
    }
    JdbcConnectionSpec db = OptionsValidation.database(options);
    Duration lateness = Duration.standardSeconds(options.getAllowedLatenessSeconds());

    UniqueEvents.Result<Transaction> transactions =
        pipeline
            .apply(
                "ReadTransactions",
                EventSource.of(settings.common(), options, options.getTransactionsTopic()))
            .apply(
                "UniqueTransactions",
                UniqueEvents.of(Transaction.class, "parse-transactions", options));

    DebeziumJson.Result<String, Customer> customerChanges =
        pipeline
            .apply(
                "ReadCustomerChanges",
                // Change records carry the row's updated_at as event time, so the change stream's
                // watermark (and its records in flight) hold the as-of join back until the
                // versions valid for a transaction have arrived; Kafka record time (the commit,
                // usually far later than the business time) let transactions overtake them.
                EventSource.of(settings.common(), options, options.getCustomersTopic())
                    .withSource(settings.customersSource())
                    .withMaxRecords(customersMaxRecords(options))
                    .withMaxOutOfOrdernessSeconds(options.getCustomersMaxOutOfOrdernessSeconds())
                    .withEventTimeField("after.updated_at"))
            .apply(
                "ParseCustomerChanges",
                DebeziumJson.parse(Customer.class)
                    .withKeyField("customer_id")
                    .withStage("parse-" + options.getCustomersTopic()));
    PCollection<ChangeEvent<String, Customer>> customerVersions =
        customerChanges
            .changes()
            .apply("ValidFromUpdatedAt", MapElements.via(new ValidFromUpdatedAt()))
            .setCoder(customerChanges.changes().getCoder());

    EnrichmentResult<Transaction, EnrichedTransaction> withLimits =
        transactions
            .unique()
            .apply(
                "CreditLimitAsOfEventTime",
                Enrichment.asOf(
                        (Transaction t) -> t.customerId, customerVersions, new WithCreditLimit())
                    .withVersionRetention(
                        Duration.standardMinutes(options.getCustomerVersionRetentionMinutes()))
                    .withIdleTimeout(
                        Duration.standardSeconds(options.getCustomersIdleTimeoutSeconds()))
                    .withStage("enrich-customers"));
    PCollection<FraudAlert> overLimit =
        withLimits.enriched().apply("AmountOverLimit", ParDo.of(new AmountOverLimitFn()));

    // The trailing-window rules need no credit limit: they branch off right after dedup and never
    // wait behind the as-of join.
    TrailingWindowRules.Result trailing =
        transactions
            .unique()
            .apply(
                "TrailingWindowRules",
                TrailingWindowRules.of()
                    .withManyCountries(
                        Duration.standardMinutes(options.getCountryWindowMinutes()),
                        options.getMinCountries())
                    .withVelocity(
                        Duration.standardMinutes(options.getVelocityWindowMinutes()),
                        options.getVelocityCount())
                    .withAllowedLateness(lateness)
                    .withMaxHistory(options.getMaxCustomerHistory()));

    PCollection<FraudAlert> alerts =
        PCollectionList.of(overLimit)
            .and(trailing.alerts())
            .apply("AllAlerts", Flatten.pCollections());

    PCollection<DeadLetter> alertFailures =
        alerts
            .apply(
                "WriteAlerts",
                JdbcUpsertSink.<FraudAlert>to(db, ALERTS_TABLE)
                    .withColumn("rule", "text", a -> a.rule)
                    .withColumn("alert_key", "text", a -> a.alertKey)
                    .withColumn("customer_id", "text", a -> a.customerId)
                    .withColumn("event_time", "timestamptz", FraudAlert::eventTime)
                    .withColumn("observed", "bigint", a -> a.observed)
                    .withColumn("threshold", "bigint", a -> a.threshold)
                    .withKey("rule", "alert_key")
                    .withMaxBufferTime(Duration.millis(options.getAlertFlushMillis()))
                    .withStage("write-" + ALERTS_TABLE))
            .failures();
    if (!options.getAlertsTopic().isEmpty()) {
      KafkaJsonSink sink =
          KafkaJsonSink.to(options.getBootstrapServers(), options.getAlertsTopic())
              .withClientProperties(OptionsValidation.kafkaClient(options));
      if (settings.common().guarantee() == Guarantee.EXACTLY_ONCE) {
        sink = sink.withExactlyOnce(1, "beamsuite-fraud-" + options.getAlertsTopic());
      }
      alerts
          .apply("AlertsAsJson", MapElements.via(new ToKeyedJson()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
          .apply("PublishAlerts", sink);
    }

    PCollectionList.of(transactions.deadLetters())
        .and(customerChanges.deadLetters())
        .and(withLimits.failures())
        .and(alertFailures)
        .and(trailing.deadLetters())
        .and(
            trailing
                .lateManyCountries()
                .apply("LateManyCountries", LateRecordSink.<Transaction>to(db, MANY_COUNTRIES)))
        .and(
            trailing
                .lateVelocity()
                .apply("LateVelocity", LateRecordSink.<Transaction>to(db, VELOCITY)))
        .apply("DeadLetters", DeadLetterOutput.to(db, options));
  }

  /** The run's parsed settings and the parsed {@code --customersSource}. */
  private record Settings(PipelineSettings common, SourceSpec customersSource) {}

  private static Settings validate(FraudOptions options) {
    PipelineSettings common = OptionsValidation.validate(options);
    OptionsValidation.requireNonBlank("--transactionsTopic", options.getTransactionsTopic());
    OptionsValidation.requireNonBlank("--customersTopic", options.getCustomersTopic());
    SourceSpec customersSource;
    try {
      customersSource = SourceSpec.parse(options.getCustomersSource());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--customersSource: expected 'kafka' or 'file:<glob>', got '"
              + options.getCustomersSource()
              + "'",
          e);
    }
    if (options.getAlertsTopic() == null) {
      throw new IllegalArgumentException("--alertsTopic: give a topic, or an empty value for none");
    }
    OptionsValidation.requireAtLeast("--customersMaxRecords", options.getCustomersMaxRecords(), 0);
    OptionsValidation.requireAtLeast(
        "--customersMaxOutOfOrdernessSeconds", options.getCustomersMaxOutOfOrdernessSeconds(), 0);
    OptionsValidation.requireAtLeast(
        "--countryWindowMinutes", options.getCountryWindowMinutes(), 1);
    OptionsValidation.requireAtLeast("--minCountries", options.getMinCountries(), 1);
    OptionsValidation.requireAtLeast(
        "--velocityWindowMinutes", options.getVelocityWindowMinutes(), 1);
    OptionsValidation.requireAtLeast("--velocityCount", options.getVelocityCount(), 1);
    OptionsValidation.requireAtLeast(
        "--customerVersionRetentionMinutes", options.getCustomerVersionRetentionMinutes(), 0);
    OptionsValidation.requireAtLeast("--maxCustomerHistory", options.getMaxCustomerHistory(), 1);
    OptionsValidation.requireAtLeast(
        "--customersIdleTimeoutSeconds", options.getCustomersIdleTimeoutSeconds(), 1);
    OptionsValidation.requireAtLeast("--alertFlushMillis", options.getAlertFlushMillis(), 1);
    return new Settings(common, customersSource);
  }

  /** A streaming run: asked for, or an unbounded Kafka read of the transactions. */
  private static boolean streaming(PipelineSettings settings, FraudOptions options) {
    boolean unboundedKafka =
        !settings.source().isFile()
            && options.getMaxRecords() == 0
            && options.getMaxReadSeconds() == 0;
    return unboundedKafka || options.as(StreamingOptions.class).isStreaming();
  }

  private static long customersMaxRecords(FraudOptions options) {
    return options.getCustomersMaxRecords() > 0
        ? options.getCustomersMaxRecords()
        : options.getMaxRecords();
  }

  /**
   * Makes a created, updated or snapshot version valid from the row's {@code updated_at} (see the
   * class documentation); a delete keeps its commit time.
   */
  static final class ValidFromUpdatedAt
      extends SimpleFunction<ChangeEvent<String, Customer>, ChangeEvent<String, Customer>> {
    @Override
    public ChangeEvent<String, Customer> apply(ChangeEvent<String, Customer> change) {
      Customer row = change.after();
      if (change.isDelete() || row == null) {
        return change;
      }
      return ChangeEvent.of(
          change.op(),
          change.key(),
          change.before(),
          row,
          change.position(),
          row.updatedAtMillis());
    }
  }

  /** The join of the as-of enrichment: the transaction and the customer's credit limit. */
  static final class WithCreditLimit implements JoinFn<Transaction, Customer, EnrichedTransaction> {
    @Override
    public EnrichedTransaction join(Transaction transaction, Customer customer) {
      return new EnrichedTransaction(transaction, customer.creditLimitCents);
    }
  }

  /** {@code amount_over_limit}: strictly more than the limit; keyed by the transaction's id. */
  static final class AmountOverLimitFn extends DoFn<EnrichedTransaction, FraudAlert> {
    @ProcessElement
    public void process(@Element EnrichedTransaction e, OutputReceiver<FraudAlert> out) {
      Transaction t = e.transaction;
      if (t.amountCents > e.creditLimitCents) {
        out.output(
            new FraudAlert(
                AMOUNT_OVER_LIMIT,
                t.eventId,
                t.customerId,
                t.eventTimeMillis,
                t.amountCents,
                e.creditLimitCents));
      }
    }
  }

  /** The alerts-topic record: key {@code customer_id}, value the alert as JSON. */
  static final class ToKeyedJson extends SimpleFunction<FraudAlert, KV<String, String>> {
    @Override
    public KV<String, String> apply(FraudAlert alert) {
      return KV.of(alert.customerId, alert.toJson());
    }
  }
}
