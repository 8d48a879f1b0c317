package io.beamsuite.io.files;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.generator.HourPartitionedJsonLinesWriter;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.io.kafka.EventTimes;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** JsonLinesFiles against the hour-partitioned master dataset and its own output. */
@RunWith(JUnit4.class)
public class JsonLinesFilesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void readsMasterDatasetWithLineCoordinatesAndEventTimes() throws Exception {
    Path root = tmp.newFolder("master").toPath();
    List<GeneratedRecord> records =
        EventGenerator.of(
                GeneratorConfig.builder()
                    .seed(7)
                    .eventCount(400)
                    .timeSpan(Duration.ofHours(3))
                    .duplicateRate(0.05)
                    .lateRate(0.05)
                    .malformedRate(0.05)
                    .includeOversizedMalformed(false)
                    .build())
            .generate();
    List<Path> files = new HourPartitionedJsonLinesWriter(root).write(records);
    assertTrue("several hour partitions", files.size() > 3);

    // Expected coordinates from the writer's contract (one part-0 per partition, arrival order),
    // not from reading the files back.
    Map<Path, Long> lines = new HashMap<>();
    List<String> expected = new ArrayList<>();
    for (GeneratedRecord r : records) {
      Path file =
          HourPartitionedJsonLinesWriter.partitionDir(root, r.topic(), r.partitionTime())
              .resolve("part-0.jsonl");
      long line = lines.merge(file, 1L, Long::sum);
      Instant ts;
      if (r.label() != RecordLabel.MALFORMED) {
        ts = new Instant(r.eventTime().toEpochMilli());
      } else {
        Instant readable = EventTimes.eventTimeOrNull(r.payload());
        ts = readable != null ? readable : BoundedWindow.TIMESTAMP_MIN_VALUE;
      }
      expected.add(describe(file.toString(), line, r.payload(), ts));
    }

    PCollection<RawRecord> read =
        p.apply(JsonLinesFiles.read(root + "/**/*.jsonl").withTimestamps());
    PAssert.that(read.apply(ParDo.of(new DescribeFn()))).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  @Test
  public void writeThenReadRoundTrip() throws Exception {
    Path dir = tmp.newFolder("out").toPath();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      lines.add(
          "{\"event_id\":\"e"
              + i
              + "\",\"page\":\"/p/ü"
              + i
              + "\",\"event_time\":\"2024-01-01T00:00:0"
              + (i % 10)
              + "Z\"}");
    }
    Pipeline writer = Pipeline.create(PipelineOptionsFactory.create());
    writer
        .apply(Create.of(lines).withCoder(StringUtf8Coder.of()))
        .apply(JsonLinesFiles.write(dir.toString(), "views").withNumShards(3));
    writer.run().waitUntilFinish();

    List<Path> written;
    try (Stream<Path> s = Files.list(dir)) {
      written = s.filter(Files::isRegularFile).collect(Collectors.toList());
    }
    assertEquals(3, written.size());
    for (Path f : written) {
      String name = f.getFileName().toString();
      assertTrue(name, name.startsWith("views") && name.endsWith(JsonLinesFiles.SUFFIX));
    }

    PCollection<RawRecord> read = p.apply(JsonLinesFiles.read(dir + "/views*"));
    PAssert.that(read.apply(ParDo.of(new TextFn()))).containsInAnyOrder(lines);
    p.run().waitUntilFinish();
  }

  @Test
  public void keepsEmptyLinesAndLastLineWithoutTerminatorAndStripsCr() throws Exception {
    Path file = tmp.newFile("mixed.jsonl").toPath();
    byte[] invalidUtf8 = {'{', (byte) 0xc3, (byte) 0x28, '}'};
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    bytes.write("{\"a\":1}\r\n\n".getBytes(StandardCharsets.UTF_8));
    bytes.write(invalidUtf8);
    bytes.write("\n{\"b\":2}".getBytes(StandardCharsets.UTF_8));
    Files.write(file, bytes.toByteArray());
    String name = file.toString();
    PCollection<RawRecord> read = p.apply(JsonLinesFiles.read(name));
    PAssert.that(read)
        .containsInAnyOrder(
            RawRecord.of(
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8), SourceCoordinates.of(name, 0, 1)),
            RawRecord.of(new byte[0], SourceCoordinates.of(name, 0, 2)),
            RawRecord.of(invalidUtf8, SourceCoordinates.of(name, 0, 3)),
            RawRecord.of(
                "{\"b\":2}".getBytes(StandardCharsets.UTF_8), SourceCoordinates.of(name, 0, 4)));
    p.run().waitUntilFinish();
  }

  /** Lines longer than the reader's 64 KiB block and lines across block edges stay whole. */
  @Test
  public void linesAcrossReadBlocksStayWhole() throws Exception {
    Path file = tmp.newFile("long.jsonl").toPath();
    List<String> lines = new ArrayList<>();
    lines.add("{\"big\":\"" + "x".repeat(200_000) + "\"}");
    for (int i = 0; i < 5_000; i++) {
      lines.add("{\"i\":" + i + ",\"pad\":\"" + "y".repeat(i % 97) + "\"}");
    }
    lines.add("{\"big\":\"" + "z".repeat(70_000) + "\"}");
    Files.write(file, String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
    PCollection<RawRecord> read = p.apply(JsonLinesFiles.read(file.toString()));
    PAssert.that(read.apply(ParDo.of(new TextFn()))).containsInAnyOrder(lines);
    p.run().waitUntilFinish();
  }

  static String describe(String file, long line, byte[] payload, Instant ts) {
    return file
        + ":"
        + line
        + "|"
        + Base64.getEncoder().encodeToString(payload)
        + "|"
        + ts.getMillis();
  }

  static final class DescribeFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, @Timestamp Instant ts, OutputReceiver<String> out) {
      SourceCoordinates c = r.getSource();
      assertEquals(0, c.getPartition());
      out.output(describe(c.getTopic(), c.getOffset(), r.getPayload(), ts));
    }
  }

  static final class TextFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, OutputReceiver<String> out) {
      out.output(new String(r.getPayload(), StandardCharsets.UTF_8));
    }
  }
}
