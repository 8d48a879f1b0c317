package io.beamsuite.io.jdbc;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.records.SourceCoordinates;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;

/**
 * Stores {@link DeadLetter}s in a PostgreSQL table (default {@value #DEFAULT_TABLE}), created on
 * demand with columns {@code stage, reason, detail, error_class, payload bytea, failed_at
 * timestamptz, source_topic, source_partition, source_offset}. The payload is stored byte for byte
 * (also when it is not valid UTF-8). Writes are batched and retried like {@link JdbcUpsertSink}'s.
 * A dead letter with source coordinates is stored once per stage and source position (a unique
 * index on {@code stage, source_topic, source_partition, source_offset}), so a replay after a
 * restart from a checkpoint, a re-run over the same files or a Kappa replay does not count it
 * twice; one without coordinates is always appended. Dead letters the database refuses (for example
 * text with a NUL character) come back in {@link JdbcUpsertSink.Result#failures()}.
 *
 * <pre>{@code
 * parsed.deadLetters().apply("StoreDeadLetters", DeadLetterJdbcSink.to(db));
 * }</pre>
 */
@AutoValue
public abstract class DeadLetterJdbcSink
    extends PTransform<PCollection<DeadLetter>, JdbcUpsertSink.Result> {
  /** The default table name. */
  public static final String DEFAULT_TABLE = "dead_letters";

  abstract JdbcConnectionSpec connection();

  abstract String table();

  abstract int batchSize();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setConnection(JdbcConnectionSpec connection);

    abstract Builder setTable(String table);

    abstract Builder setBatchSize(int batchSize);

    abstract DeadLetterJdbcSink build();
  }

  /** Stores into {@value #DEFAULT_TABLE}. */
  public static DeadLetterJdbcSink to(JdbcConnectionSpec connection) {
    return new AutoValue_DeadLetterJdbcSink.Builder()
        .setConnection(connection)
        .setTable(SqlIdentifiers.qualifiedName(DEFAULT_TABLE))
        .setBatchSize(JdbcUpsertSink.DEFAULT_BATCH_SIZE)
        .build();
  }

  /** Stores into another table (validated now). */
  public DeadLetterJdbcSink withTable(String table) {
    return toBuilder().setTable(SqlIdentifiers.qualifiedName(table)).build();
  }

  /** Dead letters per batch. */
  public DeadLetterJdbcSink withBatchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    return toBuilder().setBatchSize(batchSize).build();
  }

  JdbcUpsertSink<DeadLetter> storeSink() {
    return JdbcUpsertSink.<DeadLetter>to(connection(), table())
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
        .withUniqueKey("stage", "source_topic", "source_partition", "source_offset")
        .withBatchSize(batchSize())
        .withStage("jdbc-dead-letters");
  }

  private static SourceCoordinates source(DeadLetter letter) {
    return letter.getSource();
  }

  @Override
  public JdbcUpsertSink.Result expand(PCollection<DeadLetter> input) {
    return input.apply("StoreDeadLetters", storeSink());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    connection().populateDisplayData(builder);
    builder.add(DisplayData.item("table", table()));
  }
}
