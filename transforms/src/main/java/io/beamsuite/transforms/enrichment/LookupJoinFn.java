package io.beamsuite.transforms.enrichment;

import static io.beamsuite.transforms.enrichment.LookupEnrichment.MAX_BACKOFF_MILLIS;
import static org.apache.beam.sdk.util.Preconditions.checkStateNotNull;

import io.beamsuite.transforms.enrichment.LookupEnrichment.Reasons;
import io.beamsuite.transforms.enrichment.LookupEnrichment.Ticker;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetters;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

final class LookupJoinFn<InputT, K, V, OutputT> extends DoFn<InputT, OutputT> {
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  private final SerializableFunction<InputT, K> keyFn;
  private final LookupFn<K, V> lookupFn;
  private final JoinFn<InputT, V, OutputT> joinFn;
  private final int batchSize;
  private final long cacheMaxEntries;
  private final long cacheTtlNanos;
  private final int maxAttempts;
  private final long initialBackoffMillis;
  private final long timeoutMillis;
  private final String stage;
  private final Ticker ticker;
  private final TupleTag<OutputT> enrichedTag;
  private final TupleTag<InputT> unmatchedTag;
  private final TupleTag<DeadLetter> failuresTag;

  private final Counter recordsIn = Metrics.counter(LookupEnrichment.class, "records_in");
  private final Counter enriched = Metrics.counter(LookupEnrichment.class, "enriched");
  private final Counter unmatched = Metrics.counter(LookupEnrichment.class, "unmatched");
  private final Counter failures = Metrics.counter(LookupEnrichment.class, "failures");
  private final Counter cacheHits = Metrics.counter(LookupEnrichment.class, "cache_hits");
  private final Counter cacheMisses = Metrics.counter(LookupEnrichment.class, "cache_misses");
  private final Counter lookupCalls = Metrics.counter(LookupEnrichment.class, "lookup_calls");
  private final Counter keysLookedUp = Metrics.counter(LookupEnrichment.class, "keys_looked_up");
  private final Counter lookupRetries = Metrics.counter(LookupEnrichment.class, "lookup_retries");
  private final Distribution keysPerCall =
      Metrics.distribution(LookupEnrichment.class, "keys_per_call");
  private final Distribution latencyMs =
      Metrics.distribution(LookupEnrichment.class, "lookup_latency_ms");

  // Per instance: one instance serves one thread at a time, so no synchronization.
  private transient @Nullable LookupCache<K, V> cache;
  private transient @Nullable ExecutorService executor;
  private transient List<Buffered<InputT, K, V>> buffer = new ArrayList<>();
  // Distinct uncached keys of the buffered records not yet looked up, in arrival order.
  private transient LinkedHashSet<K> pendingKeys = new LinkedHashSet<>();

  LookupJoinFn(
      LookupEnrichment<InputT, K, V, OutputT> spec,
      TupleTag<OutputT> enrichedTag,
      TupleTag<InputT> unmatchedTag,
      TupleTag<DeadLetter> failuresTag) {
    this.keyFn = spec.keyFn();
    this.lookupFn = spec.lookupFn();
    this.joinFn = spec.joinFn();
    this.batchSize = spec.batchSize();
    this.cacheMaxEntries = spec.cacheMaxEntries();
    this.cacheTtlNanos = TimeUnit.MILLISECONDS.toNanos(spec.cacheTtl().getMillis()); // saturates
    this.maxAttempts = spec.maxAttempts();
    this.initialBackoffMillis = spec.initialBackoff().getMillis();
    this.timeoutMillis = spec.timeout().getMillis();
    this.stage = spec.stage();
    this.ticker = spec.ticker();
    this.enrichedTag = enrichedTag;
    this.unmatchedTag = unmatchedTag;
    this.failuresTag = failuresTag;
  }

  @Setup
  public void setup() throws Exception {
    buffer = new ArrayList<>();
    pendingKeys = new LinkedHashSet<>();
    cache = cacheMaxEntries > 0 ? new LookupCache<>(cacheMaxEntries, cacheTtlNanos, ticker) : null;
    ThreadFactory threads =
        runnable -> {
          Thread thread = new Thread(runnable, "lookup-enrichment-" + THREAD_IDS.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        };
    // Cached, not single-threaded: a call stuck after its timeout must not block the retry.
    executor = Executors.newCachedThreadPool(threads);
    lookupFn.setup();
  }

  @StartBundle
  public void startBundle() {
    // A bundle that failed half-way may have left records behind; they will be retried.
    buffer.clear();
    pendingKeys.clear();
  }

  @ProcessElement
  public void processElement(
      @Element InputT element,
      @Timestamp Instant timestamp,
      BoundedWindow window,
      MultiOutputReceiver out) {
    recordsIn.inc();
    Emitter now =
        new Emitter() {
          @Override
          public <T> void emit(TupleTag<T> tag, T value, Instant ts, BoundedWindow w) {
            out.get(tag).outputWithTimestamp(value, ts);
          }
        };
    K key;
    try {
      key = keyFn.apply(element);
    } catch (RuntimeException e) {
      fail(element, timestamp, window, Reasons.KEY_FAILED, e, now);
      return;
    }
    if (key == null) {
      emitUnmatched(element, timestamp, window, now);
      return;
    }
    LookupCache.Entry<V> cached = cache == null ? null : cache.get(key);
    if (cached != null) {
      cacheHits.inc();
      Buffered<InputT, K, V> record = new Buffered<>(element, key, timestamp, window);
      record.outcome = cached.found ? Outcome.of(cached.value) : Outcome.absent();
      emit(record, now);
      return;
    }
    cacheMisses.inc();
    buffer.add(new Buffered<>(element, key, timestamp, window));
    pendingKeys.add(key);
    if (pendingKeys.size() >= batchSize) {
      lookUpPendingKeys();
      emitWhatCanBeEmittedNow(timestamp, window, now);
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) {
    if (!pendingKeys.isEmpty()) {
      lookUpPendingKeys();
    }
    Emitter atFinish =
        new Emitter() {
          @Override
          public <T> void emit(TupleTag<T> tag, T value, Instant ts, BoundedWindow w) {
            context.output(tag, value, ts, w);
          }
        };
    for (Buffered<InputT, K, V> record : buffer) {
      emit(record, atFinish);
    }
    buffer.clear();
  }

  @Teardown
  public void teardown() throws Exception {
    try {
      lookupFn.teardown();
    } finally {
      if (executor != null) {
        executor.shutdownNow();
      }
    }
  }

  /** One lookup (with retries) for all pending keys; resolves every waiting record. */
  private void lookUpPendingKeys() {
    List<K> keys = new ArrayList<>(pendingKeys);
    pendingKeys.clear();
    Map<K, V> values;
    Outcome<V> failed = null;
    try {
      values = lookUpWithRetries(keys);
      for (K key : keys) {
        V value = values.get(key);
        if (cache != null) {
          if (value == null) {
            cache.putAbsent(key);
          } else {
            cache.putFound(key, value);
          }
        }
      }
    } catch (LookupFailedException e) {
      values = Map.of();
      failed = Outcome.failed(e.reason, e.last);
    }
    // Every buffered record without an outcome has its key in this batch.
    for (Buffered<InputT, K, V> record : buffer) {
      if (record.outcome == null) {
        record.outcome = failed != null ? failed : Outcome.of(values.get(record.key));
      }
    }
  }

  /**
   * Emits resolved records that {@code @ProcessElement} may output: same window as the current
   * record and a timestamp no earlier than its one. The rest wait for {@code @FinishBundle}.
   */
  private void emitWhatCanBeEmittedNow(
      Instant currentTimestamp, BoundedWindow currentWindow, Emitter now) {
    List<Buffered<InputT, K, V>> waiting = new ArrayList<>();
    for (Buffered<InputT, K, V> record : buffer) {
      if (record.outcome != null
          && record.window.equals(currentWindow)
          && !record.timestamp.isBefore(currentTimestamp)) {
        emit(record, now);
      } else {
        waiting.add(record);
      }
    }
    buffer = waiting;
  }

  private void emit(Buffered<InputT, K, V> record, Emitter emitter) {
    Outcome<V> outcome = checkStateNotNull(record.outcome, "outcome");
    if (outcome.failureReason != null) {
      fail(
          record.element,
          record.timestamp,
          record.window,
          outcome.failureReason,
          outcome.failure,
          emitter);
    } else if (outcome.value == null) {
      emitUnmatched(record.element, record.timestamp, record.window, emitter);
    } else {
      OutputT joined;
      try {
        joined = joinFn.join(record.element, outcome.value);
      } catch (Exception e) {
        fail(record.element, record.timestamp, record.window, Reasons.JOIN_FAILED, e, emitter);
        return;
      }
      if (joined == null) {
        fail(
            record.element,
            record.timestamp,
            record.window,
            Reasons.JOIN_FAILED,
            new NullPointerException("joinFn returned null"),
            emitter);
        return;
      }
      enriched.inc();
      emitter.emit(enrichedTag, joined, record.timestamp, record.window);
    }
  }

  private void emitUnmatched(
      InputT element, Instant timestamp, BoundedWindow window, Emitter emitter) {
    unmatched.inc();
    emitter.emit(unmatchedTag, element, timestamp, window);
  }

  private void fail(
      InputT element,
      Instant timestamp,
      BoundedWindow window,
      String reason,
      @Nullable Exception cause,
      Emitter emitter) {
    failures.inc();
    Metrics.counter(LookupEnrichment.class, "failures_" + reason).inc();
    emitter.emit(
        failuresTag, DeadLetters.forRecord(stage, reason, element, cause), timestamp, window);
  }

  private Map<K, V> lookUpWithRetries(List<K> keys) throws LookupFailedException {
    long backoffMillis = Math.min(initialBackoffMillis, MAX_BACKOFF_MILLIS);
    Exception last = null;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        lookupRetries.inc();
        sleep(backoffMillis / 2 + ThreadLocalRandom.current().nextLong(backoffMillis / 2 + 1));
        backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
      }
      lookupCalls.inc();
      keysLookedUp.inc(keys.size());
      keysPerCall.update(keys.size());
      long start = System.nanoTime();
      try {
        Map<K, V> values = callOnce(List.copyOf(keys));
        if (values == null) {
          throw new IllegalStateException("lookupFn returned null instead of a map");
        }
        return values;
      } catch (Exception e) {
        if (Thread.currentThread().isInterrupted()) {
          // This worker thread is being stopped: fail the bundle, do not dead-letter it.
          throw new IllegalStateException("Interrupted while looking up keys", e);
        }
        last = e;
      } finally {
        latencyMs.update(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      }
    }
    throw new LookupFailedException(
        last instanceof TimeoutException ? Reasons.LOOKUP_TIMEOUT : Reasons.LOOKUP_FAILED,
        checkStateNotNull(last, "last failure"));
  }

  private Map<K, V> callOnce(List<K> keys) throws Exception {
    Future<Map<K, V>> call =
        checkStateNotNull(executor, "executor").submit(() -> lookupFn.lookup(keys));
    try {
      return call.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new TimeoutException(
          "lookup of " + keys.size() + " key(s) did not finish within " + timeoutMillis + " ms");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception) {
        throw (Exception) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw e;
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw e;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while backing off before a retry", e);
    }
  }

  /** Where a record ends once its key has been resolved. */
  private static final class Outcome<V> {
    private static final Outcome<?> ABSENT = new Outcome<>(null, null, null);

    final @Nullable V value; // non-null: found
    final @Nullable String failureReason; // non-null: failed
    final @Nullable Exception failure;

    private Outcome(
        @Nullable V value, @Nullable String failureReason, @Nullable Exception failure) {
      this.value = value;
      this.failureReason = failureReason;
      this.failure = failure;
    }

    static <V> Outcome<V> of(@Nullable V value) {
      return value == null ? absent() : new Outcome<>(value, null, null);
    }

    @SuppressWarnings("unchecked")
    static <V> Outcome<V> absent() {
      return (Outcome<V>) ABSENT;
    }

    static <V> Outcome<V> failed(String reason, Exception failure) {
      return new Outcome<>(null, reason, failure);
    }
  }

  /** A record waiting for its key's lookup, then for a chance to be emitted. */
  private static final class Buffered<InputT, K, V> {
    final InputT element;
    final K key;
    final Instant timestamp;
    final BoundedWindow window;
    @Nullable Outcome<V> outcome;

    Buffered(InputT element, K key, Instant timestamp, BoundedWindow window) {
      this.element = element;
      this.key = key;
      this.timestamp = timestamp;
      this.window = window;
    }
  }

  /** Emits into one of the three outputs; differs between process and finish-bundle time. */
  private interface Emitter {
    <T> void emit(TupleTag<T> tag, T value, Instant timestamp, BoundedWindow window);
  }

  /** All attempts of one lookup failed. */
  private static final class LookupFailedException extends Exception {
    private static final long serialVersionUID = 1L;
    final String reason;
    final Exception last;

    LookupFailedException(String reason, Exception last) {
      super(last);
      this.reason = reason;
      this.last = last;
    }
  }
}
