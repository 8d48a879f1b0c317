package io.beamsuite.transforms.windowing;

import com.google.auto.value.AutoValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.joda.time.Instant;

/**
 * A record that arrived after its window had closed for good (the watermark had passed the window's
 * end plus the allowed lateness), routed by {@link WindowedAggregate} instead of being dropped.
 *
 * <p>A record that belongs to several windows (sliding windows) is routed once per closed window it
 * missed; it still counts in the windows that were open.
 *
 * <pre>{@code
 * lateRecords.apply(MapElements.into(TypeDescriptors.strings())
 *     .via((LateRecord<Click> late) -> late.reason()));
 * }</pre>
 */
@AutoValue
public abstract class LateRecord<T> {
  /** The record, unchanged. */
  public abstract T value();

  /** The record's event time. */
  public abstract Instant eventTime();

  /** Start of the closed window the record belonged to. */
  public abstract Instant windowStart();

  /** End of the closed window the record belonged to. */
  public abstract Instant windowEnd();

  /**
   * What the transform knew of the input watermark when the record was processed, a lower bound:
   * one millisecond past the latest event-time timer of the record's key that had fired (a timer
   * fires once the watermark is past it). The window's max timestamp plus the allowed lateness is
   * before it, Beam's own criterion for dropping the record.
   */
  public abstract Instant watermark();

  /** Why the record was not aggregated, readable by a person. */
  public abstract String reason();

  public static <T> LateRecord<T> of(
      T value,
      Instant eventTime,
      Instant windowStart,
      Instant windowEnd,
      Instant watermark,
      String reason) {
    return new AutoValue_LateRecord<>(value, eventTime, windowStart, windowEnd, watermark, reason);
  }

  /** A deterministic coder, given a deterministic coder for the records. */
  public static <T> Coder<LateRecord<T>> coder(Coder<T> valueCoder) {
    return new LateRecordCoder<>(valueCoder);
  }

  private static final class LateRecordCoder<T> extends StructuredCoder<LateRecord<T>> {
    private static final long serialVersionUID = 1L;
    private final Coder<T> valueCoder;

    LateRecordCoder(Coder<T> valueCoder) {
      this.valueCoder = valueCoder;
    }

    @Override
    public void encode(LateRecord<T> late, OutputStream out) throws IOException {
      valueCoder.encode(late.value(), out);
      InstantCoder.of().encode(late.eventTime(), out);
      InstantCoder.of().encode(late.windowStart(), out);
      InstantCoder.of().encode(late.windowEnd(), out);
      InstantCoder.of().encode(late.watermark(), out);
      StringUtf8Coder.of().encode(late.reason(), out);
    }

    @Override
    public LateRecord<T> decode(InputStream in) throws IOException {
      return LateRecord.of(
          valueCoder.decode(in),
          InstantCoder.of().decode(in),
          InstantCoder.of().decode(in),
          InstantCoder.of().decode(in),
          InstantCoder.of().decode(in),
          StringUtf8Coder.of().decode(in));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(valueCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "record coder must be deterministic", valueCoder);
    }
  }
}
