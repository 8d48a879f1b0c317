package io.beamsuite.transforms.records;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.errors.DeadLetter;
import java.io.Serializable;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;

/**
 * Where a record came from in a partitioned log: topic, partition and offset.
 *
 * <p>Carried by {@link RawRecord} and copied into every {@link DeadLetter} so an operator can find
 * the original record again (for example with {@code kafka-console-consumer --offset}).
 *
 * <pre>{@code
 * SourceCoordinates where = SourceCoordinates.of("clicks", 0, 4711L);
 * }</pre>
 */
@AutoValue
@DefaultSchema(AutoValueSchema.class)
public abstract class SourceCoordinates implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The topic (or file) the record was read from. */
  public abstract String getTopic();

  /** The partition within the topic; 0 for unpartitioned sources. */
  public abstract int getPartition();

  /** The offset (or line number) within the partition. */
  public abstract long getOffset();

  /** Creates coordinates for one record. */
  @SchemaCreate
  public static SourceCoordinates of(String topic, int partition, long offset) {
    return new AutoValue_SourceCoordinates(topic, partition, offset);
  }
}
