package io.beamsuite.pipelines.fraud;

import io.beamsuite.pipelines.options.LowLatencyOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link FraudPipeline}.
 *
 * <pre>{@code
 * FraudOptions options =
 *     PipelineOptionsFactory.fromArgs(
 *             "--source=file:/data/transactions/*.jsonl",
 *             "--customersSource=file:/data/cdc/customers.jsonl",
 *             "--alertsTopic=")
 *         .as(FraudOptions.class);
 * }</pre>
 */
public interface FraudOptions extends LowLatencyOptions {
  @Description("Kafka topic of card transactions")
  @Default.String("transactions")
  String getTransactionsTopic();

  void setTransactionsTopic(String topic);

  @Description(
      "Where customer changes come from: 'kafka' (--customersTopic) or 'file:<glob>' of Debezium"
          + " JSON envelopes, one per line (bounded)")
  @Default.String("kafka")
  String getCustomersSource();

  void setCustomersSource(String source);

  @Description("Kafka topic of the Debezium change stream of the customers table")
  @Default.String("cdc.public.customers")
  String getCustomersTopic();

  void setCustomersTopic(String topic);

  @Description(
      "Stop reading the customers topic after this many records; 0 = the same bound as"
          + " --maxRecords (which otherwise applies to each input)")
  @Default.Long(0)
  long getCustomersMaxRecords();

  void setCustomersMaxRecords(long maxRecords);

  @Description("Kafka topic receiving one JSON message per alert row written; empty = none")
  @Default.String("alerts")
  String getAlertsTopic();

  void setAlertsTopic(String topic);

  @Description(
      "Trailing window of the many_countries rule, in minutes: a transaction t looks at its"
          + " customer's transactions in [t - window, t]")
  @Default.Long(10)
  long getCountryWindowMinutes();

  void setCountryWindowMinutes(long minutes);

  @Description(
      "many_countries fires when a transaction's window holds at least this many countries")
  @Default.Long(3)
  long getMinCountries();

  void setMinCountries(long countries);

  @Description(
      "Trailing window of the velocity rule, in minutes: a transaction t looks at its customer's"
          + " transactions in [t - window, t]")
  @Default.Long(1)
  long getVelocityWindowMinutes();

  void setVelocityWindowMinutes(long minutes);

  @Description("velocity fires when a transaction's window holds at least this many transactions")
  @Default.Long(5)
  long getVelocityCount();

  void setVelocityCount(long count);

  @Description(
      "How far (event time) behind the watermark a transaction may be and still be joined with the"
          + " customer version valid then; older ones become too_late_for_as_of_join dead letters."
          + " Keep it above the lateness the workload has")
  @Default.Long(1440)
  long getCustomerVersionRetentionMinutes();

  void setCustomerVersionRetentionMinutes(long minutes);

  @Description(
      "Most transactions the trailing-window rules keep per customer in a streaming run (what a"
          + " transaction's evaluation reads); beyond it a transaction becomes a"
          + " customer_history_full dead letter for those rules")
  @Default.Integer(TrailingWindowRules.DEFAULT_MAX_HISTORY)
  int getMaxCustomerHistory();

  void setMaxCustomerHistory(int transactions);

  @Description(
      "Event-time disorder the customers change stream's watermark allows, in seconds (its"
          + " own bound: change records arrive in commit order, so their updated_at is out of"
          + " order only by how long a transaction stays open). Default 1")
  @Default.Long(1)
  long getCustomersMaxOutOfOrdernessSeconds();

  void setCustomersMaxOutOfOrdernessSeconds(long seconds);

  @Description(
      "How long (processing time) a transaction waits for the customers change stream's"
          + " watermark before it is joined with the customer versions known (an idle or stuck"
          + " change stream must not hold alerts back)")
  @Default.Long(30)
  long getCustomersIdleTimeoutSeconds();

  void setCustomersIdleTimeoutSeconds(long seconds);

  @Description(
      "Alert rows wait at most this long in the table writer's buffer before they are written,"
          + " besides batch-full and end-of-bundle flushes")
  @Default.Long(200)
  long getAlertFlushMillis();

  void setAlertFlushMillis(long millis);
}
