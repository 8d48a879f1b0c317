package io.beamsuite.pipelines.fraud;

import io.beamsuite.pipelines.model.EventCoders.TransactionCoder;
import io.beamsuite.pipelines.model.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A transaction joined with the credit limit of its customer's row valid at the transaction's event
 * time (the as-of join of {@link FraudPipeline}).
 *
 * <pre>{@code
 * EnrichedTransaction e = new EnrichedTransaction(txn, customer.creditLimitCents);
 * boolean over = e.transaction.amountCents > e.creditLimitCents;
 * }</pre>
 */
@DefaultCoder(EnrichedTransaction.EnrichedTransactionCoder.class)
public final class EnrichedTransaction {
  public final Transaction transaction;
  public final long creditLimitCents;

  public EnrichedTransaction(Transaction transaction, long creditLimitCents) {
    this.transaction = transaction;
    this.creditLimitCents = creditLimitCents;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof EnrichedTransaction)) {
      return false;
    }
    EnrichedTransaction e = (EnrichedTransaction) o;
    return transaction.equals(e.transaction) && creditLimitCents == e.creditLimitCents;
  }

  @Override
  public int hashCode() {
    return Objects.hash(transaction, creditLimitCents);
  }

  @Override
  public String toString() {
    return "EnrichedTransaction{" + transaction + ", limit=" + creditLimitCents + "}";
  }

  /** Its default coder: the transaction's own coder, then the limit. */
  public static final class EnrichedTransactionCoder extends AtomicCoder<EnrichedTransaction> {
    private static final EnrichedTransactionCoder INSTANCE = new EnrichedTransactionCoder();

    public static EnrichedTransactionCoder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} looks up. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(EnrichedTransaction.class), INSTANCE);
    }

    @Override
    public void encode(EnrichedTransaction e, OutputStream out) throws IOException {
      TransactionCoder.of().encode(e.transaction, out);
      VarLongCoder.of().encode(e.creditLimitCents, out);
    }

    @Override
    public EnrichedTransaction decode(InputStream in) throws IOException {
      return new EnrichedTransaction(
          TransactionCoder.of().decode(in), VarLongCoder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
