package io.beamsuite.transforms.enrichment;

import java.io.Serializable;
import java.util.Map;

/**
 * Loads a whole reference table, for {@link SideInputEnrichment}: small enough to broadcast to
 * every worker, reloaded periodically. Instances are serialized; open connections inside {@link
 * #load()}.
 *
 * <pre>{@code
 * ReferenceTable<String, String> countries = () -> Map.of("DE", "Germany", "FR", "France");
 * }</pre>
 */
@FunctionalInterface
public interface ReferenceTable<K, V> extends Serializable {
  /** The current contents of the table. */
  Map<K, V> load() throws Exception;
}
