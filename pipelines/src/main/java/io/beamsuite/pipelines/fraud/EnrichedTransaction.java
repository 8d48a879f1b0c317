package io.beamsuite.pipelines.fraud;

import io.beamsuite.pipelines.model.Transaction;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
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
@DefaultSchema(JavaFieldSchema.class)
public final class EnrichedTransaction {
  public final Transaction transaction;
  public final long creditLimitCents;

  @SchemaCreate
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
}
