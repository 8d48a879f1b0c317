package io.beamsuite.transforms.enrichment;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Looks up dimension values for a batch of keys in an external system (a database, a service). One
 * call serves many records: {@code Enrichment.lookup} batches the keys of a bundle and caches
 * answers, so an implementation should answer a whole list with one round trip.
 *
 * <p>Keys with no value are simply absent from the returned map (the record goes to {@code
 * unmatched}); a thrown exception is a failure of the whole call, retried with backoff and then
 * sent to the failures output with every record of the batch. Instances are serialized to workers;
 * open connections in {@link #setup()}, not in the constructor.
 *
 * <pre>{@code
 * LookupFn<String, Customer> customers = keys -> customerDao.findAll(keys); // Map<String, Customer>
 * }</pre>
 */
@FunctionalInterface
public interface LookupFn<K, V> extends Serializable {
  /** Called once per worker instance before the first lookup. */
  default void setup() throws Exception {}

  /** Values for the keys that have one; at most one call per batch. */
  Map<K, V> lookup(List<K> keys) throws Exception;

  /** Called when the worker instance is discarded. */
  default void teardown() throws Exception {}
}
