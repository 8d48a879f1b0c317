package io.beamsuite.transforms.cdc;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A change's place in the source log, compared lexicographically: first the log position (for
 * PostgreSQL the LSN of the change), then a sequence number that orders changes sharing it.
 *
 * <pre>{@code
 * ChangePosition p = ChangePosition.of(23_808_248L, 0);
 * boolean newer = p.compareTo(ChangePosition.of(23_808_000L, 5)) > 0; // true
 * }</pre>
 */
@AutoValue
public abstract class ChangePosition implements Comparable<ChangePosition> {
  /** The log position, e.g. the PostgreSQL LSN. */
  public abstract long logPosition();

  /** Orders changes with the same log position. */
  public abstract long sequence();

  public static ChangePosition of(long logPosition, long sequence) {
    return new AutoValue_ChangePosition(logPosition, sequence);
  }

  @Override
  public int compareTo(ChangePosition other) {
    int byLog = Long.compare(logPosition(), other.logPosition());
    return byLog != 0 ? byLog : Long.compare(sequence(), other.sequence());
  }

  /** Whether this position is strictly after {@code other}; anything is after {@code null}. */
  public boolean isAfter(@Nullable ChangePosition other) {
    return other == null || compareTo(other) > 0;
  }

  /** A deterministic fixed-width coder. */
  public static Coder<ChangePosition> coder() {
    return PositionCoder.INSTANCE;
  }

  private static final class PositionCoder extends AtomicCoder<ChangePosition> {
    private static final long serialVersionUID = 1L;
    static final PositionCoder INSTANCE = new PositionCoder();

    @Override
    public void encode(ChangePosition value, OutputStream out) throws IOException {
      BigEndianLongCoder.of().encode(value.logPosition(), out);
      BigEndianLongCoder.of().encode(value.sequence(), out);
    }

    @Override
    public ChangePosition decode(InputStream in) throws IOException {
      return ChangePosition.of(
          BigEndianLongCoder.of().decode(in), BigEndianLongCoder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
