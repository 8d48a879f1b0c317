package io.beamsuite.transforms.records;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.errors.DeadLetter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Comparator;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;

/**
 * Where a record came from in a partitioned log: topic, partition and offset.
 *
 * <p>Carried by {@link RawRecord} and copied into every {@link DeadLetter} so an operator can find
 * the original record again (for example with {@code kafka-console-consumer --offset}). Ordered by
 * topic, partition, offset: within a partition (or a file) that is the order the records were
 * written in, which is how {@code Dedup.withSourceOrder} tells a first copy on bounded input.
 *
 * <pre>{@code
 * SourceCoordinates where = SourceCoordinates.of("clicks", 0, 4711L);
 * }</pre>
 */
@AutoValue
@DefaultSchema(AutoValueSchema.class)
public abstract class SourceCoordinates implements Serializable, Comparable<SourceCoordinates> {
  private static final long serialVersionUID = 1L;

  private static final Comparator<SourceCoordinates> ORDER =
      Comparator.comparing(SourceCoordinates::getTopic)
          .thenComparingInt(SourceCoordinates::getPartition)
          .thenComparingLong(SourceCoordinates::getOffset);

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

  @Override
  public int compareTo(SourceCoordinates other) {
    return ORDER.compare(this, other);
  }

  /** A compact, deterministic coder: topic, partition, offset. */
  public static Coder<SourceCoordinates> coder() {
    return CoordinatesCoder.INSTANCE;
  }

  private static final class CoordinatesCoder extends AtomicCoder<SourceCoordinates> {
    private static final long serialVersionUID = 1L;
    static final CoordinatesCoder INSTANCE = new CoordinatesCoder();

    @Override
    public void encode(SourceCoordinates value, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(value.getTopic(), out);
      VarIntCoder.of().encode(value.getPartition(), out);
      VarLongCoder.of().encode(value.getOffset(), out);
    }

    @Override
    public SourceCoordinates decode(InputStream in) throws IOException {
      return of(
          StringUtf8Coder.of().decode(in),
          VarIntCoder.of().decode(in),
          VarLongCoder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
