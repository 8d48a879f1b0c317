package io.beamsuite.transforms.enrichment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * A record the as-of join holds until the versions valid at its event time are known: the record,
 * its event time, and its hold sequence number (which idle releases use to tell how long it has
 * waited).
 */
final class HeldRecord<InputT> {
  final InputT record;
  final long eventTime;
  final long sequence;

  HeldRecord(InputT record, long eventTime, long sequence) {
    this.record = record;
    this.eventTime = eventTime;
    this.sequence = sequence;
  }

  /** Explicit coder: event time fixed-width, sequence as a varint, then the record. */
  static final class HeldRecordCoder<InputT> extends CustomCoder<HeldRecord<InputT>> {
    private static final long serialVersionUID = 1L;
    private final Coder<InputT> recordCoder;

    HeldRecordCoder(Coder<InputT> recordCoder) {
      this.recordCoder = recordCoder;
    }

    @Override
    public void encode(HeldRecord<InputT> held, OutputStream out) throws IOException {
      BigEndianLongCoder.of().encode(held.eventTime, out);
      VarLongCoder.of().encode(held.sequence, out);
      recordCoder.encode(held.record, out);
    }

    @Override
    public HeldRecord<InputT> decode(InputStream in) throws IOException {
      long eventTime = BigEndianLongCoder.of().decode(in);
      long sequence = VarLongCoder.of().decode(in);
      return new HeldRecord<>(recordCoder.decode(in), eventTime, sequence);
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(recordCoder);
    }
  }
}
