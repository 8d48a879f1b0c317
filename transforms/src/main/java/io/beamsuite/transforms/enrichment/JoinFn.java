package io.beamsuite.transforms.enrichment;

import java.io.Serializable;

/**
 * Combines a record with the dimension value found for it. Shared by every {@link Enrichment}
 * strategy; must be a pure function of its arguments.
 *
 * <pre>{@code
 * JoinFn<Transaction, Customer, EnrichedTransaction> join =
 *     (txn, customer) -> new EnrichedTransaction(txn, customer.tier, customer.creditLimitCents);
 * }</pre>
 */
@FunctionalInterface
public interface JoinFn<InputT, DimT, OutputT> extends Serializable {
  OutputT join(InputT record, DimT dimension) throws Exception;
}
