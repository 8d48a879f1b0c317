package io.beamsuite.bench;

import io.beamsuite.pipelines.model.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * A hand-written coder for {@link Transaction} (field by field, no schema), the alternative to the
 * pipelines' schema coder in the coder ablation of the Beam-on-Flink benchmark.
 */
public final class TransactionCoder extends AtomicCoder<Transaction> {
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();
  private static final VarLongCoder LONG = VarLongCoder.of();

  public static TransactionCoder of() {
    return new TransactionCoder();
  }

  @Override
  public void encode(Transaction t, OutputStream out) throws IOException {
    STRING.encode(t.eventId, out);
    STRING.encode(t.customerId, out);
    STRING.encode(t.merchantId, out);
    LONG.encode(t.amountCents, out);
    STRING.encode(t.currency, out);
    STRING.encode(t.country, out);
    LONG.encode(t.eventTimeMillis, out);
  }

  @Override
  public Transaction decode(InputStream in) throws IOException {
    return new Transaction(
        STRING.decode(in),
        STRING.decode(in),
        STRING.decode(in),
        LONG.decode(in),
        STRING.decode(in),
        STRING.decode(in),
        LONG.decode(in));
  }

  @Override
  public void verifyDeterministic() {}
}
