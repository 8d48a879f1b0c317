package io.beamsuite.lambda;

import io.beamsuite.pipelines.options.OptionsValidation;
import io.beamsuite.pipelines.options.PipelineSettings;
import io.beamsuite.pipelines.wiring.DeadLetterOutput;
import io.beamsuite.pipelines.wiring.EventSource;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.records.RawRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * {@code lambda-archive}: appends the Kafka topics' records, byte for byte, to the master dataset —
 * {@code <archiveDir>/<topic>/dt=YYYY-MM-DD/hr=HH/archive-<run>-....jsonl}, partitioned by the UTC
 * hour of the record's event time (a record without a readable one, by its Kafka timestamp), the
 * layout the generator writes and the batch layer reads. Every run writes new files named after a
 * run id of its own; nothing existing is ever rewritten.
 *
 * <p>A payload that cannot be one line of a JSON-lines file (it contains CR or LF) becomes a dead
 * letter ({@value #NOT_LINE_FRAMABLE}) with its bytes, never a corrupt line. Malformed JSON and
 * invalid UTF-8 are archived as they are: the master dataset is the raw input, and the batch layer
 * dead-letters them as the speed layer does.
 *
 * <p>Bounded with {@code --maxRecords}/{@code --maxReadSeconds} (with a {@code --groupId}, the next
 * run continues from the committed offsets); otherwise it runs unbounded and writes new files every
 * {@code --archiveFlushSeconds}.
 *
 * <pre>{@code
 * Pipeline p = Pipeline.create(options);
 * MasterDatasetArchive.build(p, options.as(ArchiveOptions.class));
 * p.run().waitUntilFinish();
 * }</pre>
 */
public final class MasterDatasetArchive {
  /** Dead-letter reason of a payload containing a line break. */
  public static final String NOT_LINE_FRAMABLE = "not_line_framable";

  private static final DateTimeFormatter PARTITION =
      DateTimeFormatter.ofPattern("'dt='yyyy-MM-dd'/hr='HH").withZone(ZoneOffset.UTC);

  private MasterDatasetArchive() {}

  /** Adds the archive's steps to {@code pipeline}. */
  public static void build(Pipeline pipeline, ArchiveOptions options) {
    PipelineSettings settings = OptionsValidation.validate(options);
    if (settings.source().isFile()) {
      throw new IllegalArgumentException("--source: lambda-archive reads Kafka, --source=kafka");
    }
    OptionsValidation.requireAtLeast("--archiveFlushSeconds", options.getArchiveFlushSeconds(), 1);
    String runId =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
                .withZone(ZoneOffset.UTC)
                .format(java.time.Instant.now())
            + "-"
            + UUID.randomUUID().toString().substring(0, 8);
    boolean bounded = options.getMaxRecords() > 0 || options.getMaxReadSeconds() > 0;

    List<PCollection<DeadLetter>> deadLetters = new ArrayList<>();
    for (String topic : List.of(options.getTransactionsTopic(), options.getClicksTopic())) {
      PCollectionTuple lines =
          pipeline
              .apply("Read-" + topic, EventSource.of(settings, options, topic))
              .apply(
                  "ToLine-" + topic,
                  ParDo.of(new ToPartitionedLineFn(topic))
                      .withOutputTags(LINES, TupleTagList.of(NOT_ARCHIVED)));
      PCollection<KV<String, byte[]>> partitioned =
          lines.get(LINES).setCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()));
      if (!bounded) {
        partitioned =
            partitioned.apply(
                "Flush-" + topic,
                Window.<KV<String, byte[]>>into(new GlobalWindows())
                    .triggering(
                        Repeatedly.forever(
                            AfterProcessingTime.pastFirstElementInPane()
                                .plusDelayOf(
                                    Duration.standardSeconds(options.getArchiveFlushSeconds()))))
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes());
      }
      FileIO.Write<String, KV<String, byte[]>> write =
          FileIO.<String, KV<String, byte[]>>writeDynamic()
              .by(KV::getKey)
              .withDestinationCoder(StringUtf8Coder.of())
              .via(Contextful.fn(KV::getValue), new RawLinesSink())
              .to(options.getArchiveDir())
              .withNaming(
                  partition ->
                      FileIO.Write.defaultNaming(partition + "/archive-" + runId, ".jsonl"));
      if (!bounded) {
        write = write.withNumShards(1);
      }
      partitioned.apply("Write-" + topic, write);
      deadLetters.add(lines.get(NOT_ARCHIVED).setCoder(DeadLetter.coder()));
    }
    PCollectionList.of(deadLetters)
        .apply("DeadLetters", DeadLetterOutput.to(OptionsValidation.database(options), options));
  }

  private static final TupleTag<KV<String, byte[]>> LINES = new TupleTag<>("lines") {};
  private static final TupleTag<DeadLetter> NOT_ARCHIVED = new TupleTag<>("notArchived") {};

  /** The record's partition directory and its bytes, or a dead letter if it holds a line break. */
  static final class ToPartitionedLineFn extends DoFn<RawRecord, KV<String, byte[]>> {
    private final String topic;
    private final Counter archived =
        Metrics.counter(MasterDatasetArchive.class, "records_archived");

    ToPartitionedLineFn(String topic) {
      this.topic = topic;
    }

    @ProcessElement
    public void process(
        @Element RawRecord record, @Timestamp Instant timestamp, MultiOutputReceiver out) {
      byte[] payload = record.getPayload();
      for (byte b : payload) {
        if (b == '\n' || b == '\r') {
          out.get(NOT_ARCHIVED)
              .output(
                  DeadLetter.builder()
                      .setStage("archive-" + topic)
                      .setReason(NOT_LINE_FRAMABLE)
                      .setDetail(
                          "payload contains a line break; a JSON-lines file cannot hold it verbatim")
                      .setErrorClass("")
                      .setPayload(payload)
                      .setFailedAt(Instant.now())
                      .setSource(record.getSource())
                      .build());
          return;
        }
      }
      archived.inc();
      out.get(LINES).output(KV.of(partition(topic, timestamp), payload));
    }

    static String partition(String topic, Instant timestamp) {
      ZonedDateTime utc =
          java.time.Instant.ofEpochMilli(timestamp.getMillis()).atZone(ZoneOffset.UTC);
      return topic + "/" + PARTITION.format(utc);
    }
  }

  /** Writes each payload's bytes unchanged, then a line feed. */
  static final class RawLinesSink implements FileIO.Sink<byte[]> {
    private transient OutputStream out;

    @Override
    public void open(WritableByteChannel channel) {
      out = Channels.newOutputStream(channel);
    }

    @Override
    public void write(byte[] payload) throws IOException {
      out.write(payload);
      out.write('\n');
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}
