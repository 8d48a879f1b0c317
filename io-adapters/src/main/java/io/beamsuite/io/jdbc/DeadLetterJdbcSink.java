package io.beamsuite.io.jdbc;

import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.SourceCoordinates;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;

/**
 * Appends {@link DeadLetter}s to a PostgreSQL table (default {@value #DEFAULT_TABLE}), created on
 * demand with columns {@code stage, reason, detail, error_class, payload bytea, failed_at
 * timestamptz, source_topic, source_partition, source_offset}. The payload is stored byte for byte
 * (also when it is not valid UTF-8). Writes are batched and retried like {@link JdbcUpsertSink}'s;
 * it is an append, so a replayed dead letter is stored again. Dead letters the database refuses
 * (for example text with a NUL character) come back in {@link JdbcUpsertSink.Result#failures()}.
 *
 * <pre>{@code
 * parsed.deadLetters().apply("StoreDeadLetters", DeadLetterJdbcSink.to(db));
 * }</pre>
 */
public final class DeadLetterJdbcSink
    extends PTransform<PCollection<DeadLetter>, JdbcUpsertSink.Result> {
  /** The default table name. */
  public static final String DEFAULT_TABLE = "dead_letters";

  private final JdbcConnectionSpec connection;
  private final String table;
  private final int batchSize;

  private DeadLetterJdbcSink(JdbcConnectionSpec connection, String table, int batchSize) {
    this.connection = connection;
    this.table = SqlIdentifiers.qualifiedName(table);
    this.batchSize = batchSize;
  }

  /** Appends to {@value #DEFAULT_TABLE}. */
  public static DeadLetterJdbcSink to(JdbcConnectionSpec connection) {
    return new DeadLetterJdbcSink(connection, DEFAULT_TABLE, JdbcUpsertSink.DEFAULT_BATCH_SIZE);
  }

  /** Appends to another table (validated now). */
  public DeadLetterJdbcSink withTable(String table) {
    return new DeadLetterJdbcSink(connection, table, batchSize);
  }

  /** Dead letters per batch. */
  public DeadLetterJdbcSink withBatchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    return new DeadLetterJdbcSink(connection, table, batchSize);
  }

  JdbcUpsertSink<DeadLetter> appendSink() {
    return JdbcUpsertSink.<DeadLetter>to(connection, table)
        .withColumn("stage", "text", DeadLetter::getStage)
        .withColumn("reason", "text", DeadLetter::getReason)
        .withColumn("detail", "text", DeadLetter::getDetail)
        .withColumn("error_class", "text", DeadLetter::getErrorClass)
        .withColumn("payload", "bytea", DeadLetter::getPayload)
        .withColumn("failed_at", "timestamp with time zone", DeadLetter::getFailedAt)
        .withColumn("source_topic", "text", d -> source(d) == null ? null : source(d).getTopic())
        .withColumn(
            "source_partition", "integer", d -> source(d) == null ? null : source(d).getPartition())
        .withColumn(
            "source_offset", "bigint", d -> source(d) == null ? null : source(d).getOffset())
        .withBatchSize(batchSize)
        .withStage("jdbc-dead-letters");
  }

  private static SourceCoordinates source(DeadLetter letter) {
    return letter.getSource();
  }

  @Override
  public JdbcUpsertSink.Result expand(PCollection<DeadLetter> input) {
    return input.apply("AppendDeadLetters", appendSink());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    connection.populateDisplayData(builder);
    builder.add(DisplayData.item("table", table));
  }
}
