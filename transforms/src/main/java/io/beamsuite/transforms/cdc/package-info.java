/**
 * Change data capture: {@link io.beamsuite.transforms.cdc.DebeziumJson} parses Debezium change
 * events into {@link io.beamsuite.transforms.cdc.ChangeEvent}s (malformed envelopes become dead
 * letters, Kafka tombstones are counted and dropped), and {@link
 * io.beamsuite.transforms.cdc.ApplyChanges} applies them per key in {@link
 * io.beamsuite.transforms.cdc.ChangePosition} order, dropping stale and duplicate changes and
 * keeping bounded tombstones for deletes, to produce the {@link
 * io.beamsuite.transforms.cdc.Mutation}s a sink applies idempotently.
 *
 * <pre>{@code
 * PCollection<Mutation<String, Customer>> mutations =
 *     rawRecords
 *         .apply("ParseChanges",
 *             DebeziumJson.parse(Customer.class).withKeyField("customer_id"))
 *         .changes()
 *         .apply("ApplyChanges", ApplyChanges.<String, Customer>create())
 *         .mutations();
 * }</pre>
 */
package io.beamsuite.transforms.cdc;
