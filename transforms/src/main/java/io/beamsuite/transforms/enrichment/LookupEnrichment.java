package io.beamsuite.transforms.enrichment;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.portability.AdditionalOutputs;
import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Enriches each record with a dimension value fetched from an external system by key, batching the
 * keys of a bundle into few {@link LookupFn#lookup} calls and optionally caching the answers. The
 * strategy behind {@code Enrichment.lookup(...)}.
 *
 * <p><b>Batching.</b> Records whose key is not cached are buffered with their timestamp and window.
 * As soon as the buffer holds {@link #withBatchSize batchSize} distinct uncached keys, and again at
 * the end of the bundle, the distinct keys are sent in one {@code lookup} call and the buffered
 * records are joined. Records are emitted with their own timestamp and window: from
 * {@code @ProcessElement} when that is allowed (same window, timestamp not earlier than the current
 * record's), otherwise at {@code @FinishBundle}. Pane information is not preserved. Keys must have
 * meaningful {@code equals}/{@code hashCode}.
 *
 * <p><b>Cache.</b> Off by default, because serving stale dimension data must be a deliberate
 * choice. {@link #withCache} gives every DoFn instance (one per worker thread) its own LRU cache of
 * at most {@code maxEntries} keys, each expiring {@code ttl} after it was written. Confirmed misses
 * are cached as well, so a hot key without a value is not looked up again within the TTL; failed
 * lookups are never cached. Memory is {@code maxEntries} per worker thread.
 *
 * <p><b>Retries and timeout.</b> A failed call is retried up to {@code maxAttempts} in total with
 * exponential backoff (starting at {@code initialBackoff}, doubling, capped at 10 s, with jitter
 * between half and the full delay). Each call runs on a separate thread and counts as failed when
 * it exceeds the {@link #withTimeout timeout}; it is then interrupted. A call that ignores
 * interruption keeps running in the background while the retry proceeds, so a {@code LookupFn} must
 * tolerate overlapping calls (e.g. use a connection pool). {@code Error}s are not caught.
 *
 * <p><b>Outputs.</b> Every record ends in exactly one output of the {@link EnrichmentResult}:
 *
 * <ul>
 *   <li>{@code enriched} — the {@link JoinFn} result for records whose key has a value;
 *   <li>{@code unmatched} — the record unchanged when its key has no value or {@code keyFn}
 *       returned {@code null};
 *   <li>{@code failures} — a {@link DeadLetter} (payload = the record as JSON) with reason {@link
 *       Reasons#LOOKUP_FAILED} or {@link Reasons#LOOKUP_TIMEOUT} for every record of a batch whose
 *       lookup failed after all attempts (detail = the last error's message), {@link
 *       Reasons#JOIN_FAILED} when the {@code JoinFn} threw or returned {@code null}, {@link
 *       Reasons#KEY_FAILED} when {@code keyFn} threw.
 * </ul>
 *
 * <p><b>Metrics</b> (namespace {@code LookupEnrichment.class}): counters {@code records_in =
 * enriched + unmatched + failures} (plus {@code failures_<reason>}); {@code cache_hits} and {@code
 * cache_misses} count keyed records answered or not answered by the cache (every keyed record is a
 * miss when the cache is off); per {@code lookup} invocation, retries included: counter {@code
 * lookup_calls}, counter {@code keys_looked_up}, distribution {@code keys_per_call}, distribution
 * {@code lookup_latency_ms}; counter {@code lookup_retries} counts the invocations after a first
 * failed one.
 *
 * <pre>{@code
 * EnrichmentResult<Transaction, EnrichedTransaction> result =
 *     transactions.apply(
 *         "EnrichWithCustomer",
 *         LookupEnrichment.of(
 *                 (Transaction txn) -> txn.customerId,
 *                 customerLookup, // LookupFn<String, Customer>
 *                 (Transaction txn, Customer c) -> new EnrichedTransaction(txn, c.tier))
 *             .withBatchSize(200)
 *             .withCache(100_000, Duration.standardMinutes(5))
 *             .withRetries(3, Duration.millis(100))
 *             .withTimeout(Duration.standardSeconds(2))
 *             .withOutputCoder(enrichedTransactionCoder)
 *             .withStage("enrich-customer"));
 * result.enriched().apply(...);
 * }</pre>
 */
@AutoValue
public abstract class LookupEnrichment<InputT, K, V, OutputT>
    extends PTransform<PCollection<InputT>, EnrichmentResult<InputT, OutputT>> {
  public static final int DEFAULT_BATCH_SIZE = 100;
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.millis(100);
  public static final Duration DEFAULT_TIMEOUT = Duration.standardSeconds(30);
  public static final String DEFAULT_STAGE = "enrich-lookup";

  /** Upper bound of a single backoff delay between attempts. */
  static final long MAX_BACKOFF_MILLIS = 10_000;

  /** Dead-letter reasons written by this transform. */
  public static final class Reasons {
    /** The lookup threw on every attempt. */
    public static final String LOOKUP_FAILED = "lookup_failed";

    /** The last attempt of the lookup exceeded the timeout. */
    public static final String LOOKUP_TIMEOUT = "lookup_timeout";

    /** The join function threw or returned {@code null}. */
    public static final String JOIN_FAILED = "join_failed";

    /** The key function threw. */
    public static final String KEY_FAILED = "key_failed";

    private Reasons() {}
  }

  /** Source of time for cache expiry; injectable so tests need not sleep. */
  @FunctionalInterface
  interface Ticker extends Serializable {
    long nanos();
  }

  private static final Ticker SYSTEM_TICKER = System::nanoTime;

  abstract SerializableFunction<InputT, K> keyFn();

  abstract LookupFn<K, V> lookupFn();

  abstract JoinFn<InputT, V, OutputT> joinFn();

  abstract int batchSize();

  /** 0: no cache. */
  abstract long cacheMaxEntries();

  abstract Duration cacheTtl();

  abstract int maxAttempts();

  abstract Duration initialBackoff();

  abstract Duration timeout();

  abstract @Nullable Coder<OutputT> outputCoder();

  abstract String stage();

  abstract Ticker ticker();

  abstract Builder<InputT, K, V, OutputT> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<InputT, K, V, OutputT> {
    abstract Builder<InputT, K, V, OutputT> setKeyFn(SerializableFunction<InputT, K> keyFn);

    abstract Builder<InputT, K, V, OutputT> setLookupFn(LookupFn<K, V> lookupFn);

    abstract Builder<InputT, K, V, OutputT> setJoinFn(JoinFn<InputT, V, OutputT> joinFn);

    abstract Builder<InputT, K, V, OutputT> setBatchSize(int batchSize);

    abstract Builder<InputT, K, V, OutputT> setCacheMaxEntries(long cacheMaxEntries);

    abstract Builder<InputT, K, V, OutputT> setCacheTtl(Duration cacheTtl);

    abstract Builder<InputT, K, V, OutputT> setMaxAttempts(int maxAttempts);

    abstract Builder<InputT, K, V, OutputT> setInitialBackoff(Duration initialBackoff);

    abstract Builder<InputT, K, V, OutputT> setTimeout(Duration timeout);

    abstract Builder<InputT, K, V, OutputT> setOutputCoder(@Nullable Coder<OutputT> outputCoder);

    abstract Builder<InputT, K, V, OutputT> setStage(String stage);

    abstract Builder<InputT, K, V, OutputT> setTicker(Ticker ticker);

    abstract LookupEnrichment<InputT, K, V, OutputT> build();
  }

  /**
   * Enriches records with the value {@code lookupFn} finds for the key {@code keyFn} extracts,
   * combined by {@code joinFn}. Defaults: batches of {@link #DEFAULT_BATCH_SIZE} keys, no cache,
   * {@link #DEFAULT_MAX_ATTEMPTS} attempts from {@link #DEFAULT_INITIAL_BACKOFF}, {@link
   * #DEFAULT_TIMEOUT} per call, stage {@link #DEFAULT_STAGE}.
   */
  public static <InputT, K, V, OutputT> LookupEnrichment<InputT, K, V, OutputT> of(
      SerializableFunction<InputT, K> keyFn,
      LookupFn<K, V> lookupFn,
      JoinFn<InputT, V, OutputT> joinFn) {
    checkArgumentNotNull(keyFn, "keyFn");
    checkArgumentNotNull(lookupFn, "lookupFn");
    checkArgumentNotNull(joinFn, "joinFn");
    return new AutoValue_LookupEnrichment.Builder<InputT, K, V, OutputT>()
        .setKeyFn(keyFn)
        .setLookupFn(lookupFn)
        .setJoinFn(joinFn)
        .setBatchSize(DEFAULT_BATCH_SIZE)
        .setCacheMaxEntries(0)
        .setCacheTtl(Duration.ZERO)
        .setMaxAttempts(DEFAULT_MAX_ATTEMPTS)
        .setInitialBackoff(DEFAULT_INITIAL_BACKOFF)
        .setTimeout(DEFAULT_TIMEOUT)
        .setStage(DEFAULT_STAGE)
        .setTicker(SYSTEM_TICKER)
        .build();
  }

  /** At most this many distinct keys per {@code lookup} call. */
  public LookupEnrichment<InputT, K, V, OutputT> withBatchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
    }
    return toBuilder().setBatchSize(batchSize).build();
  }

  /**
   * Caches up to {@code maxEntries} answers (values and confirmed misses) per worker thread, each
   * for {@code ttl} after it was fetched.
   */
  public LookupEnrichment<InputT, K, V, OutputT> withCache(long maxEntries, Duration ttl) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
    }
    if (ttl == null || !ttl.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("ttl must be positive, got " + ttl);
    }
    return toBuilder().setCacheMaxEntries(maxEntries).setCacheTtl(ttl).build();
  }

  /** Looks every uncached key up again (the default). */
  public LookupEnrichment<InputT, K, V, OutputT> withoutCache() {
    return toBuilder().setCacheMaxEntries(0).setCacheTtl(Duration.ZERO).build();
  }

  /**
   * Makes at most {@code maxAttempts} calls per batch (1 = no retry), waiting {@code
   * initialBackoff} before the second, then twice as long each time (capped at 10 s).
   */
  public LookupEnrichment<InputT, K, V, OutputT> withRetries(
      int maxAttempts, Duration initialBackoff) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (initialBackoff == null || initialBackoff.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException(
          "initialBackoff must not be negative, got " + initialBackoff);
    }
    return toBuilder().setMaxAttempts(maxAttempts).setInitialBackoff(initialBackoff).build();
  }

  /** A single {@code lookup} call taking longer than this fails (and is interrupted). */
  public LookupEnrichment<InputT, K, V, OutputT> withTimeout(Duration timeout) {
    if (timeout == null || !timeout.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    return toBuilder().setTimeout(timeout).build();
  }

  /**
   * The coder of the enriched records. Needed when the {@code JoinFn} is a lambda: its output type
   * is erased, so no coder can be inferred.
   */
  public LookupEnrichment<InputT, K, V, OutputT> withOutputCoder(Coder<OutputT> outputCoder) {
    checkArgumentNotNull(outputCoder, "outputCoder");
    return toBuilder().setOutputCoder(outputCoder).build();
  }

  /** The stage name written into dead letters. */
  public LookupEnrichment<InputT, K, V, OutputT> withStage(String stage) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException("stage must be a non-blank name");
    }
    return toBuilder().setStage(stage).build();
  }

  /** The clock of cache expiry; for tests. */
  LookupEnrichment<InputT, K, V, OutputT> withTicker(Ticker ticker) {
    checkArgumentNotNull(ticker, "ticker");
    return toBuilder().setTicker(ticker).build();
  }

  @Override
  public EnrichmentResult<InputT, OutputT> expand(PCollection<InputT> input) {
    Coder<OutputT> enrichedCoder =
        EnrichmentCoders.outputCoder(outputCoder(), input.getPipeline(), joinFn());
    TupleTag<OutputT> enrichedTag = new TupleTag<>();
    TupleTag<InputT> unmatchedTag = new TupleTag<>();
    TupleTag<DeadLetter> failuresTag = new TupleTag<>();
    PCollectionTuple outputs =
        input.apply(
            "LookupAndJoin",
            ParDo.of(new LookupJoinFn<>(this, enrichedTag, unmatchedTag, failuresTag))
                .withOutputTags(enrichedTag, TupleTagList.of(unmatchedTag).and(failuresTag)));
    return new EnrichmentResult<>(
        input.getPipeline(),
        enrichedTag,
        outputs.get(enrichedTag).setCoder(enrichedCoder),
        unmatchedTag,
        outputs.get(unmatchedTag).setCoder(input.getCoder()),
        failuresTag,
        AdditionalOutputs.consumed(
            "Failures", outputs.get(failuresTag).setCoder(DeadLetter.coder())));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("lookupFn", lookupFn().getClass()).withLabel("Lookup function"))
        .add(DisplayData.item("batchSize", batchSize()).withLabel("Keys per lookup call"))
        .add(DisplayData.item("cacheMaxEntries", cacheMaxEntries()).withLabel("Cache entries"))
        .add(DisplayData.item("cacheTtl", cacheTtl()).withLabel("Cache TTL"))
        .add(DisplayData.item("maxAttempts", maxAttempts()).withLabel("Attempts per batch"))
        .add(DisplayData.item("timeout", timeout()).withLabel("Timeout per call"))
        .add(DisplayData.item("stage", stage()).withLabel("Dead-letter stage"));
  }
}
