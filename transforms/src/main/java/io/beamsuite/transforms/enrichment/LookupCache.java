package io.beamsuite.transforms.enrichment;

import java.util.LinkedHashMap;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A bounded LRU map whose entries expire a fixed time after they were written. Not thread-safe:
 * each {@link LookupEnrichment} DoFn instance owns one and a DoFn instance is only ever used by one
 * thread at a time.
 *
 * <p>Confirmed misses are cached too (an {@link Entry} with {@code found == false}), so a hot key
 * that has no dimension value is not looked up again until its entry expires.
 */
final class LookupCache<K, V> {
  /** What the cache knows about a key: its value, or that the external system has none. */
  static final class Entry<V> {
    final boolean found;
    final @Nullable V value;
    final long writtenAtNanos;

    Entry(boolean found, @Nullable V value, long writtenAtNanos) {
      this.found = found;
      this.value = value;
      this.writtenAtNanos = writtenAtNanos;
    }
  }

  private final long ttlNanos;
  private final LookupEnrichment.Ticker ticker;
  private final LinkedHashMap<K, Entry<V>> entries;

  LookupCache(long maxEntries, long ttlNanos, LookupEnrichment.Ticker ticker) {
    this.ttlNanos = ttlNanos;
    this.ticker = ticker;
    // Access order makes the eldest entry the least recently used one.
    this.entries =
        new LinkedHashMap<K, Entry<V>>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
            return size() > maxEntries;
          }
        };
  }

  /** The live entry for {@code key}, or {@code null} if there is none or it expired. */
  @Nullable Entry<V> get(K key) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      return null;
    }
    // Subtraction, not comparison of absolute values: nanoTime may overflow.
    if (ticker.nanos() - entry.writtenAtNanos >= ttlNanos) {
      entries.remove(key);
      return null;
    }
    return entry;
  }

  void putFound(K key, V value) {
    entries.put(key, new Entry<>(true, value, ticker.nanos()));
  }

  void putAbsent(K key) {
    entries.put(key, new Entry<>(false, null, ticker.nanos()));
  }

  int size() {
    return entries.size();
  }
}
