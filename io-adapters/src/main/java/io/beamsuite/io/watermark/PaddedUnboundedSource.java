package io.beamsuite.io.watermark;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * An {@link UnboundedSource} that always splits into at least the number of splits the runner asks
 * for: when the wrapped source returns fewer (a Kafka topic with fewer partitions than the
 * parallelism), the rest are <em>empty splits</em> that read nothing and whose watermark is the end
 * of time.
 *
 * <p>Why: Beam's Flink runner (2.70) gives each source subtask the splits whose index modulo the
 * parallelism is its own. A subtask left without a split, if it registered before the splits were
 * computed, is never told that no split will come: it emits no watermark and never finishes, and
 * since an operator's watermark is the minimum over its inputs, every event-time window, timer and
 * join downstream waits forever — silently. An empty split gives that subtask something to finish:
 * its reader reports the end of time, the subtask ends, and Flink drops it from the minimum. On
 * other runners an empty split is equally inert (a reader whose watermark is the end of time is
 * done). The records read are exactly the wrapped source's.
 *
 * <pre>{@code
 * PCollection<KafkaRecord<byte[], byte[]>> records =
 *     p.apply("ReadKafka",
 *         Read.from(PaddedUnboundedSource.of(KafkaUnboundedSources.of(kafkaRead))));
 * }</pre>
 *
 * @param <T> the records read
 * @param <C> the wrapped source's checkpoint mark
 */
public final class PaddedUnboundedSource<T, C extends UnboundedSource.CheckpointMark>
    extends UnboundedSource<T, PaddedUnboundedSource.Mark<C>> {
  private static final long serialVersionUID = 1L;

  private final UnboundedSource<T, C> source;
  // An empty split keeps the source only for its coders; it never opens a reader on it.
  private final boolean empty;

  private PaddedUnboundedSource(UnboundedSource<T, C> source, boolean empty) {
    this.source = source;
    this.empty = empty;
  }

  /** Wraps {@code source}; reads exactly its records. */
  public static <T, C extends CheckpointMark> PaddedUnboundedSource<T, C> of(
      UnboundedSource<T, C> source) {
    checkArgumentNotNull(source, "source");
    return new PaddedUnboundedSource<>(source, false);
  }

  /** Whether this split reads nothing (one added so that every reader has a split). */
  public boolean isEmpty() {
    return empty;
  }

  @Override
  public List<PaddedUnboundedSource<T, C>> split(int desiredNumSplits, PipelineOptions options)
      throws Exception {
    List<PaddedUnboundedSource<T, C>> splits = new ArrayList<>();
    if (empty) {
      splits.add(this);
      return splits;
    }
    for (UnboundedSource<T, C> split : source.split(desiredNumSplits, options)) {
      splits.add(new PaddedUnboundedSource<>(split, false));
    }
    while (splits.size() < desiredNumSplits) {
      splits.add(new PaddedUnboundedSource<>(source, true));
    }
    return splits;
  }

  @Override
  public UnboundedReader<T> createReader(PipelineOptions options, @Nullable Mark<C> checkpoint)
      throws IOException {
    if (empty) {
      return new EmptyReader<>(this);
    }
    C inner = checkpoint == null ? null : checkpoint.inner;
    return new DelegatingReader<>(this, source.createReader(options, inner));
  }

  @Override
  public Coder<Mark<C>> getCheckpointMarkCoder() {
    return new MarkCoder<>(source.getCheckpointMarkCoder());
  }

  @Override
  public Coder<T> getOutputCoder() {
    return source.getOutputCoder();
  }

  @Override
  public boolean requiresDeduping() {
    return source.requiresDeduping();
  }

  @Override
  public boolean offsetBasedDeduplicationSupported() {
    return source.offsetBasedDeduplicationSupported();
  }

  @Override
  public void validate() {
    source.validate();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    source.populateDisplayData(builder);
    builder.add(DisplayData.item("emptySplit", empty).withLabel("Empty padding split"));
  }

  /** The wrapped source's checkpoint mark; {@code null} for an empty split. */
  public static final class Mark<C extends CheckpointMark> implements CheckpointMark {
    private final @Nullable C inner;

    Mark(@Nullable C inner) {
      this.inner = inner;
    }

    @Override
    public void finalizeCheckpoint() throws IOException {
      if (inner != null) {
        inner.finalizeCheckpoint();
      }
    }

    @Override
    public byte[] getOffsetLimit() {
      return inner == null ? new byte[0] : inner.getOffsetLimit();
    }
  }

  private static final class MarkCoder<C extends CheckpointMark> extends CustomCoder<Mark<C>> {
    private static final long serialVersionUID = 1L;
    private final NullableCoder<C> innerCoder;

    MarkCoder(Coder<C> innerCoder) {
      this.innerCoder = NullableCoder.of(innerCoder);
    }

    @Override
    public void encode(Mark<C> value, OutputStream out) throws IOException {
      innerCoder.encode(value.inner, out);
    }

    @Override
    public Mark<C> decode(InputStream in) throws IOException {
      return new Mark<>(innerCoder.decode(in));
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      innerCoder.verifyDeterministic();
    }
  }

  private static final class DelegatingReader<T, C extends CheckpointMark>
      extends UnboundedReader<T> {
    private final PaddedUnboundedSource<T, C> source;
    private final UnboundedReader<T> reader;

    DelegatingReader(PaddedUnboundedSource<T, C> source, UnboundedReader<T> reader) {
      this.source = source;
      this.reader = reader;
    }

    @Override
    public boolean start() throws IOException {
      return reader.start();
    }

    @Override
    public boolean advance() throws IOException {
      return reader.advance();
    }

    @Override
    public T getCurrent() {
      return reader.getCurrent();
    }

    @Override
    public Instant getCurrentTimestamp() {
      return reader.getCurrentTimestamp();
    }

    @Override
    public byte[] getCurrentRecordId() {
      return reader.getCurrentRecordId();
    }

    @Override
    public byte[] getCurrentRecordOffset() {
      return reader.getCurrentRecordOffset();
    }

    @Override
    public Instant getWatermark() {
      return reader.getWatermark();
    }

    @Override
    @SuppressWarnings("unchecked")
    public CheckpointMark getCheckpointMark() {
      return new Mark<>((C) reader.getCheckpointMark());
    }

    @Override
    public long getSplitBacklogBytes() {
      return reader.getSplitBacklogBytes();
    }

    @Override
    public long getTotalBacklogBytes() {
      return reader.getTotalBacklogBytes();
    }

    @Override
    public UnboundedSource<T, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }

  private static final class EmptyReader<T, C extends CheckpointMark> extends UnboundedReader<T> {
    private final PaddedUnboundedSource<T, C> source;

    EmptyReader(PaddedUnboundedSource<T, C> source) {
      this.source = source;
    }

    @Override
    public boolean start() {
      return false;
    }

    @Override
    public boolean advance() {
      return false;
    }

    @Override
    public T getCurrent() {
      throw new NoSuchElementException("an empty split has no records");
    }

    @Override
    public Instant getCurrentTimestamp() {
      throw new NoSuchElementException("an empty split has no records");
    }

    @Override
    public Instant getWatermark() {
      return BoundedWindow.TIMESTAMP_MAX_VALUE;
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return new Mark<C>(null);
    }

    @Override
    public long getSplitBacklogBytes() {
      return 0;
    }

    @Override
    public UnboundedSource<T, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}
