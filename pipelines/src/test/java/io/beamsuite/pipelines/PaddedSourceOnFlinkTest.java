package io.beamsuite.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import io.beamsuite.io.watermark.PaddedUnboundedSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * The cause of "streaming on Flink produces nothing when a topic has fewer partitions than the
 * parallelism", reproduced without Kafka, and its fix. Beam's Flink runner (2.70) computes a
 * source's splits asynchronously; a reader subtask that registered before that and got no split is
 * never told that none will come, so it emits no watermark and the job's event time stands still. A
 * source that takes a while to split into a single split, at parallelism 2, shows it: its windows
 * never fire and the job never ends. Wrapped in {@link PaddedUnboundedSource}, the second subtask
 * gets an empty split, finishes, and every window fires.
 */
public class PaddedSourceOnFlinkTest {
  private static final int RECORDS = 600; // one a second: 10 one-minute windows
  private static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  private static final Duration SPLIT_DELAY = Duration.standardSeconds(6);
  private static final Set<String> FIRED = ConcurrentHashMap.newKeySet();

  @Test(timeout = 180_000)
  public void paddedSourceLetsEveryWindowFireAtParallelismTwo() {
    FIRED.clear();
    // Attached: run() returns once the job has finished, which needs every source subtask done.
    PipelineResult result = run(PaddedUnboundedSource.of(new SlowSplittingSource()), true);
    assertEquals(PipelineResult.State.DONE, result.getState());
    Set<String> expected = new TreeSet<>();
    for (int minute = 0; minute < RECORDS / 60; minute++) {
      expected.add(START.plus(Duration.standardMinutes(minute)) + "=60");
    }
    assertEquals(expected, new TreeSet<>(FIRED));
  }

  @Test
  public void withoutPaddingTheSplitlessSubtaskHoldsEventTimeStill() {
    FIRED.clear();
    PipelineResult result = run(new SlowSplittingSource(), false);
    PipelineResult.State state;
    try {
      state = result.waitUntilFinish(SPLIT_DELAY.plus(Duration.standardSeconds(20)));
    } finally {
      cancel(result);
    }
    // If a Beam upgrade makes this finish, the runner tells split-less readers; the padding stays
    // harmless but could go.
    assertNotEquals(PipelineResult.State.DONE, state);
    assertEquals(Set.of(), FIRED);
  }

  private static void cancel(PipelineResult result) {
    try {
      result.cancel();
    } catch (IOException | RuntimeException e) {
      // Already finished.
    }
  }

  private static PipelineResult run(UnboundedSource<Long, ?> source, boolean attached) {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--parallelism=2",
                "--streaming=true",
                "--attachedMode=" + attached)
            .create();
    Pipeline p = Pipeline.create(options);
    p.apply(Read.from(source))
        .apply(Window.<Long>into(FixedWindows.of(Duration.standardMinutes(1))))
        .apply(Combine.globally(Count.<Long>combineFn()).withoutDefaults())
        .apply(ParDo.of(new RecordFiredFn()));
    return p.run();
  }

  private static final class RecordFiredFn extends DoFn<Long, Void> {
    @ProcessElement
    public void process(@Element Long count, BoundedWindow window) {
      FIRED.add(((IntervalWindow) window).start() + "=" + count);
    }
  }

  /** {@link #RECORDS} longs one second apart, then the end of time; one split, found slowly. */
  private static final class SlowSplittingSource extends UnboundedSource<Long, Position> {
    @Override
    public List<SlowSplittingSource> split(int desiredNumSplits, PipelineOptions options)
        throws InterruptedException {
      Thread.sleep(SPLIT_DELAY.getMillis()); // like a broker round trip on a busy machine
      return List.of(this);
    }

    @Override
    public UnboundedReader<Long> createReader(PipelineOptions options, @Nullable Position mark) {
      return new CountingReader(this, mark == null ? -1 : mark.last);
    }

    @Override
    public Coder<Position> getCheckpointMarkCoder() {
      return new PositionCoder();
    }

    @Override
    public Coder<Long> getOutputCoder() {
      return VarLongCoder.of();
    }
  }

  private static final class Position implements UnboundedSource.CheckpointMark {
    final long last;

    Position(long last) {
      this.last = last;
    }

    @Override
    public void finalizeCheckpoint() {}
  }

  private static final class PositionCoder extends CustomCoder<Position> {
    @Override
    public void encode(Position value, OutputStream out) throws IOException {
      VarLongCoder.of().encode(value.last, out);
    }

    @Override
    public Position decode(InputStream in) throws IOException {
      return new Position(VarLongCoder.of().decode(in));
    }
  }

  private static final class CountingReader extends UnboundedSource.UnboundedReader<Long> {
    private final SlowSplittingSource source;
    private long current;

    CountingReader(SlowSplittingSource source, long last) {
      this.source = source;
      this.current = last;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      if (current + 1 >= RECORDS) {
        current = RECORDS;
        return false;
      }
      current++;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current < 0 || current >= RECORDS) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return START.plus(Duration.standardSeconds(getCurrent()));
    }

    @Override
    public Instant getWatermark() {
      return current >= RECORDS
          ? BoundedWindow.TIMESTAMP_MAX_VALUE
          : START.plus(Duration.standardSeconds(Math.max(0, current)));
    }

    @Override
    public UnboundedSource.CheckpointMark getCheckpointMark() {
      return new Position(current);
    }

    @Override
    public UnboundedSource<Long, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}
