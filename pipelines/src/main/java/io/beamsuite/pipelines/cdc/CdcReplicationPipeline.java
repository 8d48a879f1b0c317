package io.beamsuite.pipelines.cdc;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.MutationSink;
import io.beamsuite.pipelines.model.Customer;
import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.wiring.DeadLetterOutput;
import io.beamsuite.pipelines.wiring.EventSource;
import io.beamsuite.transforms.cdc.ApplyChanges;
import io.beamsuite.transforms.cdc.DebeziumJson;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * {@code cdc-replication}: Debezium change events of {@code customers} → {@link ChangeEvent}s
 * (malformed envelopes to the dead letters) → {@link ApplyChanges} (per key, in source-position
 * order; stale and repeated changes dropped and counted) → the replica table through {@link
 * MutationSink}, whose position guard keeps replays and restarts from moving a row backwards.
 *
 * <pre>{@code
 * Pipeline p = Pipeline.create(options);
 * CdcReplicationPipeline.build(p, options.as(CdcReplicationOptions.class));
 * p.run(); // streaming: runs until cancelled
 * }</pre>
 *
 * @see io.beamsuite.transforms.cdc.ChangeEvent
 */
public final class CdcReplicationPipeline {
  private CdcReplicationPipeline() {}

  /** Adds the replication steps to {@code pipeline}. */
  public static void build(Pipeline pipeline, CdcReplicationOptions options) {
    PipelineSettings settings = OptionsValidation.validate(options);
    OptionsValidation.requireAtLeast(
        "--tombstoneRetentionHours", options.getTombstoneRetentionHours(), 1);
    JdbcConnectionSpec db = OptionsValidation.database(options);

    DebeziumJson.Result<String, Customer> changes =
        pipeline
            .apply("ReadChanges", EventSource.of(settings, options, options.getChangesTopic()))
            .apply(
                "ParseChanges",
                DebeziumJson.parse(Customer.class)
                    .withKeyField("customer_id")
                    .withStage("parse-customer-changes"));
    ApplyChanges.Result<String, Customer> applied =
        changes
            .changes()
            .apply(
                "ApplyChanges",
                ApplyChanges.<String, Customer>create()
                    .withTombstoneRetention(
                        Duration.standardHours(options.getTombstoneRetentionHours())));
    MutationSink<String, Customer> replica =
        MutationSink.<String, Customer>to(
                db, OptionsValidation.requireSqlName("--replicaTable", options.getReplicaTable()))
            .withKeyColumn("customer_id", "text", id -> id)
            .withValueColumn("name", "text", c -> c.name)
            .withValueColumn("tier", "text", c -> c.tier)
            .withValueColumn("home_country", "text", c -> c.homeCountry)
            .withValueColumn("credit_limit_cents", "bigint", c -> c.creditLimitCents)
            .withValueColumn("updated_at", "timestamptz", Customer::updatedAt);

    PCollectionList.of(changes.deadLetters())
        .and(applied.deadLetters())
        .and(applied.mutations().apply("WriteReplica", replica).failures())
        .apply("DeadLetters", DeadLetterOutput.to(db, options));
  }
}
