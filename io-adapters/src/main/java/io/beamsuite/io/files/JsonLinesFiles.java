package io.beamsuite.io.files;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamsuite.io.kafka.EventTimes;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.Arrays;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * JSON-lines files as a bounded source and a sink: the batch counterpart of the Kafka adapters (the
 * Lambda master dataset, {@code --source=file:...}).
 *
 * <p>{@link #read(String)} emits every line of every matched file as a {@link RawRecord}: the
 * line's bytes verbatim (without the {@code \n} or {@code \r\n} terminator; never decoded, so
 * invalid UTF-8 reaches the dead letters byte for byte) and {@link SourceCoordinates}(file path, 0,
 * line number), line numbers starting at 1. Empty lines are emitted too (as empty payloads the
 * parser dead-letters), so nothing vanishes. With {@link Read#withTimestamps()} each record is
 * timestamped with its {@code event_time}, like {@code KafkaJsonSource}; a record without a
 * readable one keeps the file element's timestamp (the minimum timestamp in a bounded read; file
 * systems do not reliably report modification times) and is dead-lettered by the parser downstream.
 * Counter: {@code lines_read}.
 *
 * <p>{@link #write(String, String)} writes strings one per line to {@code
 * <dir>/<prefix>-SSSSS-of-NNNNN.jsonl}. For bounded input; an unbounded input must be windowed and
 * given {@link Write#withNumShards}.
 *
 * <pre>{@code
 * PCollection<RawRecord> raw =
 *     p.apply(JsonLinesFiles.read("/data/master/clicks/**.jsonl").withTimestamps());
 * results.apply(JsonLinesFiles.write("/data/out", "page-views"));
 * }</pre>
 */
public final class JsonLinesFiles {
  /** Suffix of written files. */
  public static final String SUFFIX = ".jsonl";

  private JsonLinesFiles() {}

  /** Reads all files matching {@code glob} (Beam file pattern, e.g. {@code /data/**.jsonl}). */
  public static Read read(String glob) {
    checkArgumentNotNull(glob, "glob");
    if (glob.isBlank()) {
      throw new IllegalArgumentException("glob must be non-blank");
    }
    return new Read(glob, false);
  }

  /** Writes lines to files {@code <dir>/<prefix>-*.jsonl}. */
  public static Write write(String dir, String prefix) {
    checkArgumentNotNull(dir, "dir");
    checkArgumentNotNull(prefix, "prefix");
    if (dir.isBlank() || prefix.isBlank()) {
      throw new IllegalArgumentException("dir and prefix must be non-blank");
    }
    return new Write(dir, prefix, 0);
  }

  /** See {@link JsonLinesFiles#read(String)}. */
  public static final class Read extends PTransform<PBegin, PCollection<RawRecord>> {
    private final String glob;
    private final boolean timestamps;

    private Read(String glob, boolean timestamps) {
      this.glob = glob;
      this.timestamps = timestamps;
    }

    /** Timestamps each record with its {@code event_time} (else the file element's timestamp). */
    public Read withTimestamps() {
      return new Read(glob, true);
    }

    @Override
    public PCollection<RawRecord> expand(PBegin input) {
      return input
          .apply(
              "Match",
              FileIO.match()
                  .filepattern(glob)
                  // An empty master partition is normal; a typo in the glob shows as zero lines.
                  .withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW_IF_WILDCARD))
          .apply("Open", FileIO.readMatches())
          .apply("ReadLines", ParDo.of(new ReadLinesFn(timestamps)));
    }
  }

  static final class ReadLinesFn extends DoFn<FileIO.ReadableFile, RawRecord> {
    private static final long serialVersionUID = 1L;
    private final boolean timestamps;
    private final Counter linesRead = Metrics.counter(JsonLinesFiles.class, "lines_read");

    ReadLinesFn(boolean timestamps) {
      this.timestamps = timestamps;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<RawRecord> out)
        throws IOException {
      String name = file.getMetadata().resourceId().toString();
      // Block reads and a scan for '\n': a byte-at-a-time read through synchronized streams was a
      // tenth of a batch run's CPU.
      try (InputStream in = Channels.newInputStream(file.open())) {
        byte[] buffer = new byte[1 << 16];
        byte[] partial = new byte[256]; // a line that spans buffer refills
        int partialLength = 0;
        long lineNumber = 0;
        int read;
        while ((read = in.read(buffer)) != -1) {
          int start = 0;
          for (int i = 0; i < read; i++) {
            if (buffer[i] != '\n') {
              continue;
            }
            byte[] line;
            if (partialLength == 0) {
              line = Arrays.copyOfRange(buffer, start, i);
            } else {
              line = Arrays.copyOf(partial, partialLength + i - start);
              System.arraycopy(buffer, start, line, partialLength, i - start);
              partialLength = 0;
            }
            emit(out, name, ++lineNumber, line);
            start = i + 1;
          }
          int rest = read - start;
          if (rest > 0) {
            if (partialLength + rest > partial.length) {
              partial = Arrays.copyOf(partial, Math.max(partial.length * 2, partialLength + rest));
            }
            System.arraycopy(buffer, start, partial, partialLength, rest);
            partialLength += rest;
          }
        }
        // A last line without a terminator is still a record.
        if (partialLength > 0) {
          emit(out, name, ++lineNumber, Arrays.copyOf(partial, partialLength));
        }
      }
    }

    private void emit(OutputReceiver<RawRecord> out, String file, long lineNumber, byte[] bytes) {
      byte[] payload =
          bytes.length > 0 && bytes[bytes.length - 1] == '\r'
              ? Arrays.copyOf(bytes, bytes.length - 1)
              : bytes;
      RawRecord record = RawRecord.of(payload, SourceCoordinates.of(file, 0, lineNumber));
      linesRead.inc();
      Instant eventTime = timestamps ? EventTimes.eventTimeOrNull(payload) : null;
      if (eventTime != null) {
        out.outputWithTimestamp(record, eventTime);
      } else {
        out.output(record);
      }
    }
  }

  /** See {@link JsonLinesFiles#write(String, String)}. */
  public static final class Write extends PTransform<PCollection<String>, WriteFilesResult<Void>> {
    private final String dir;
    private final String prefix;
    private final int numShards;

    private Write(String dir, String prefix, int numShards) {
      this.dir = dir;
      this.prefix = prefix;
      this.numShards = numShards;
    }

    /** A fixed number of output files (default: chosen by the runner). */
    public Write withNumShards(int numShards) {
      if (numShards <= 0) {
        throw new IllegalArgumentException("numShards must be positive");
      }
      return new Write(dir, prefix, numShards);
    }

    @Override
    public WriteFilesResult<Void> expand(PCollection<String> input) {
      FileIO.Write<Void, String> write =
          FileIO.<String>write().via(TextIO.sink()).to(dir).withPrefix(prefix).withSuffix(SUFFIX);
      if (numShards > 0) {
        write = write.withNumShards(numShards);
      }
      return input.apply("WriteJsonLines", write);
    }
  }
}
