package io.beamsuite.io.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.generator.KafkaEventWriter;
import io.beamsuite.fixtures.generator.RecordLabel;
import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.io.watermark.PaddedUnboundedSource;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaUnboundedSources;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollection.IsBounded;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** KafkaJsonSource, KafkaJsonSink and DeadLetterKafkaSink against a real in-process broker. */
@RunWith(JUnit4.class)
public class KafkaAdaptersTest {
  private static final String CLICKS = "clicks";
  // Safety net: a bounded read that cannot reach its record count ends and the assertion fails.
  private static final org.joda.time.Duration MAX_READ = org.joda.time.Duration.standardSeconds(60);

  private static EmbeddedKafka kafka;
  private static List<GeneratedRecord> clicks;

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @BeforeClass
  public static void startKafkaAndWriteClicks() {
    kafka = new EmbeddedKafka().start();
    kafka.createTopic(CLICKS, 1);
    GeneratorConfig config =
        GeneratorConfig.builder()
            .seed(42)
            .eventCount(300)
            .topicWeights(1, 0, 0)
            .duplicateRate(0.05)
            .lateRate(0.05)
            .malformedRate(0.05)
            .includeOversizedMalformed(false)
            .build();
    clicks = EventGenerator.of(config).generate();
    try (KafkaEventWriter writer = new KafkaEventWriter(kafka.bootstrapServers())) {
      assertEquals(clicks.size(), writer.writeAll(clicks));
    }
  }

  @AfterClass
  public static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  public void roundTripReturnsEveryPayloadWithOffsetsAndEventTimes() throws Exception {
    List<String> expected = new ArrayList<>();
    for (int offset = 0; offset < clicks.size(); offset++) {
      GeneratedRecord r = clicks.get(offset);
      assertEquals(CLICKS, r.topic());
      expected.add(describe(CLICKS, 0, offset, r.payload(), expectedTimestamp(r)));
    }
    assertThat(
        clicks.stream().filter(r -> r.label() == RecordLabel.MALFORMED).count() > 0, equalTo(true));

    PCollection<RawRecord> read =
        p.apply(
            KafkaJsonSource.of(kafka.bootstrapServers(), CLICKS)
                .withMaxNumRecords(clicks.size())
                .withMaxReadTime(MAX_READ));
    PAssert.that(read.apply(ParDo.of(new DescribeFn()))).containsInAnyOrder(expected);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(
        clicks.size(),
        settledCounter(result, KafkaJsonSource.class, "records_read", clicks.size()));
  }

  @Test
  public void isUnboundedUnlessBounded() {
    p.enableAbandonedNodeEnforcement(false);
    KafkaJsonSource source = KafkaJsonSource.of("127.0.0.1:1", CLICKS);
    assertEquals(IsBounded.UNBOUNDED, p.apply("Unbounded", source).isBounded());
    assertEquals(IsBounded.BOUNDED, p.apply("MaxRecords", source.withMaxNumRecords(1)).isBounded());
    assertEquals(
        IsBounded.BOUNDED,
        p.apply("MaxTime", source.withMaxReadTime(org.joda.time.Duration.millis(1))).isBounded());
  }

  /**
   * Fewer partitions than readers: the padded source still gives every reader a split (the extra
   * ones empty, finished at once), and more partitions than readers leaves nothing to pad.
   */
  @Test
  public void paddedSourceGivesEveryReaderASplit() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    kafka.createTopic("clicks-three", 3);
    assertEquals(List.of(false, true, true, true), emptiness(CLICKS, 4, options));
    // KafkaIO rounds the split count up to a divisor of the partition count: 3 splits for 2
    // readers.
    assertEquals(List.of(false, false, false), emptiness("clicks-three", 2, options));
    assertEquals(List.of(false, false, false, true, true), emptiness("clicks-three", 5, options));

    PaddedUnboundedSource<KafkaRecord<byte[], byte[]>, ?> empty =
        paddedSource(CLICKS).split(2, options).get(1);
    try (UnboundedSource.UnboundedReader<KafkaRecord<byte[], byte[]>> reader =
        empty.createReader(options, null)) {
      assertEquals(false, reader.start());
      assertEquals(false, reader.advance());
      assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, reader.getWatermark());
      roundTripCheckpoint(empty, reader.getCheckpointMark());
    }
  }

  /** Records read through the padded splits on the Direct runner are exactly the topic's. */
  @Test
  public void paddedSourceReadsExactlyTheTopicsRecords() {
    PCollection<KafkaRecord<byte[], byte[]>> read =
        p.apply(
            Read.from(paddedSource(CLICKS))
                .withMaxNumRecords(clicks.size())
                .withMaxReadTime(MAX_READ));
    List<String> expected = new ArrayList<>();
    for (int offset = 0; offset < clicks.size(); offset++) {
      expected.add(CLICKS + "/0/" + offset);
    }
    PAssert.that(read.apply(ParDo.of(new PositionFn()))).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  /** An unbounded KafkaJsonSource reads through the padded source where KafkaIO reads legacy. */
  @Test
  public void unboundedReadUsesThePaddedSourceUnlessTheReadIsSdf() {
    p.enableAbandonedNodeEnforcement(false);
    p.apply("Unbounded", KafkaJsonSource.of(kafka.bootstrapServers(), CLICKS));
    List<String> sources = new ArrayList<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (node.getTransform() instanceof Read.Unbounded) {
              sources.add(
                  ((Read.Unbounded<?>) node.getTransform()).getSource().getClass().getSimpleName());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    assertEquals(List.of("PaddedUnboundedSource"), sources);
    assertTrue(KafkaJsonSource.runsLegacyRead(PipelineOptionsFactory.create()));
    assertEquals(
        false,
        KafkaJsonSource.runsLegacyRead(
            PipelineOptionsFactory.fromArgs("--experiments=use_sdf_read").create()));
  }

  private static PaddedUnboundedSource<KafkaRecord<byte[], byte[]>, ?> paddedSource(String topic) {
    return PaddedUnboundedSource.of(
        KafkaUnboundedSources.of(KafkaJsonSource.of(kafka.bootstrapServers(), topic).kafkaRead()));
  }

  private static List<Boolean> emptiness(String topic, int readers, PipelineOptions options)
      throws Exception {
    return paddedSource(topic).split(readers, options).stream()
        .map(PaddedUnboundedSource::isEmpty)
        .collect(Collectors.toList());
  }

  @SuppressWarnings("unchecked")
  private static <C extends UnboundedSource.CheckpointMark> void roundTripCheckpoint(
      PaddedUnboundedSource<?, C> source, UnboundedSource.CheckpointMark mark) throws Exception {
    org.apache.beam.sdk.coders.Coder<PaddedUnboundedSource.Mark<C>> coder =
        source.getCheckpointMarkCoder();
    PaddedUnboundedSource.Mark<C> decoded =
        CoderUtils.decodeFromByteArray(
            coder, CoderUtils.encodeToByteArray(coder, (PaddedUnboundedSource.Mark<C>) mark));
    decoded.finalizeCheckpoint(); // an empty split's mark has nothing to commit
  }

  private static final class PositionFn extends DoFn<KafkaRecord<byte[], byte[]>, String> {
    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> r, OutputReceiver<String> out) {
      out.output(r.getTopic() + "/" + r.getPartition() + "/" + r.getOffset());
    }
  }

  /**
   * The DirectRunner commits the last bundles' metrics just after waitUntilFinish; wait (at most 5
   * s) for the counter to reach {@code expected}, then return what it reached.
   */
  static long settledCounter(PipelineResult result, Class<?> namespace, String name, long expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    long value;
    do {
      value = 0;
      for (MetricResult<Long> c :
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(MetricNameFilter.named(namespace, name))
                      .build())
              .getCounters()) {
        value += c.getCommitted();
      }
      if (value == expected) {
        return value;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    return value;
  }

  @Test
  public void boundedReplayOfFirstRecordsReturnsExactlyThoseOffsets() {
    int n = 50;
    List<RawRecord> expected =
        IntStream.range(0, n)
            .mapToObj(
                i -> RawRecord.of(clicks.get(i).payload(), SourceCoordinates.of(CLICKS, 0, i)))
            .collect(Collectors.toList());
    PCollection<RawRecord> read =
        p.apply(
            KafkaJsonSource.of(kafka.bootstrapServers(), CLICKS)
                .withGroupId("replay-test")
                .withMaxNumRecords(n)
                .withMaxReadTime(MAX_READ));
    PAssert.that(read).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  @Test
  public void offsetRangeReplayReturnsExactlyThatRange() {
    long start = 100;
    long stop = 160;
    List<String> expected = new ArrayList<>();
    for (long offset = start; offset < stop; offset++) {
      GeneratedRecord r = clicks.get((int) offset);
      expected.add(describe(CLICKS, 0, offset, r.payload(), expectedTimestamp(r)));
    }
    PCollection<RawRecord> read =
        p.apply(
            KafkaJsonSource.of(kafka.bootstrapServers(), CLICKS)
                .withOffsetRange(0, start, stop)
                // later with* calls keep the range
                .withReadCommitted());
    PAssert.that(read.apply(ParDo.of(new DescribeFn()))).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  @Test(expected = IllegalArgumentException.class)
  public void offsetRangeRefusesMaxRecords() {
    KafkaJsonSource.of("127.0.0.1:1", CLICKS).withOffsetRange(0, 0, 10).withMaxNumRecords(5);
  }

  @Test
  public void groupIdCommitsReadOffsetsToKafka() throws Exception {
    int n = 40;
    String group = "commit-test";
    p.apply(
        KafkaJsonSource.of(kafka.bootstrapServers(), CLICKS)
            .withGroupId(group)
            .withMaxNumRecords(n)
            // Shorter than MAX_READ: this test does not depend on the read ending by count.
            .withMaxReadTime(org.joda.time.Duration.standardSeconds(15)));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(n, settledCounter(result, KafkaJsonSource.class, "records_read", n));

    TopicPartition tp = new TopicPartition(CLICKS, 0);
    try (Admin admin = kafka.admin()) {
      OffsetAndMetadata committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(30, TimeUnit.SECONDS)
              .get(tp);
      long offset = committed == null ? -1 : committed.offset();
      // Committed offsets cover at least every record emitted. They may run ahead of the bounded
      // read (observed: 330 after 40 emitted, when the reader ran to its max read time), which is
      // why KafkaJsonSource documents group commits for unbounded reads and offset ranges for
      // replays.
      assertTrue("committed " + offset, offset >= n && offset <= clicks.size());
    }
  }

  @Test
  public void tombstoneBecomesEmptyPayloadWithCoordinates() throws Exception {
    String topic = "tombstones";
    kafka.createTopic(topic, 1);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      producer
          .send(new ProducerRecord<>(topic, "k", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)))
          .get();
      producer.send(new ProducerRecord<>(topic, "k", null)).get();
    }
    PCollection<RawRecord> read =
        p.apply(
            KafkaJsonSource.of(kafka.bootstrapServers(), topic)
                .withMaxNumRecords(2)
                .withMaxReadTime(MAX_READ));
    PAssert.that(read)
        .containsInAnyOrder(
            RawRecord.of(
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8), SourceCoordinates.of(topic, 0, 0)),
            RawRecord.of(new byte[0], SourceCoordinates.of(topic, 0, 1)));
    p.run().waitUntilFinish();
  }

  @Test
  public void exactlyOnceWriteIsReadOnceWithReadCommitted() throws Exception {
    String topic = "eos-out";
    kafka.createTopic(topic, 1);
    List<KV<String, String>> records = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      records.add(KV.of("k" + (i % 7), "{\"event_id\":\"e" + i + "\",\"n\":" + i + "}"));
    }
    Pipeline writer = Pipeline.create(PipelineOptionsFactory.create());
    writer
        .apply(Create.of(records).withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())))
        .apply(
            KafkaJsonSink.to(kafka.bootstrapServers(), topic).withExactlyOnce(1, "eos-test-sink"));
    PipelineResult written = writer.run();
    written.waitUntilFinish();
    assertEquals(
        records.size(),
        settledCounter(written, KafkaJsonSink.class, "records_written", records.size()));

    // Every committed record exactly once: read the whole topic with read_committed.
    List<String> committed =
        readAll(topic, true).stream()
            .map(r -> r.key() + "=" + r.value())
            .collect(Collectors.toList());
    assertThat(
        committed,
        containsInAnyOrder(
            records.stream().map(kv -> kv.getKey() + "=" + kv.getValue()).toArray()));

    // And the source, in read_committed mode, returns the same payloads.
    PCollection<RawRecord> read =
        p.apply(
            KafkaJsonSource.of(kafka.bootstrapServers(), topic)
                .withReadCommitted()
                .withMaxNumRecords(records.size())
                .withMaxReadTime(MAX_READ));
    PAssert.that(read.apply(ParDo.of(new PayloadFn())))
        .containsInAnyOrder(records.stream().map(KV::getValue).collect(Collectors.toList()));
    p.run().waitUntilFinish();
  }

  @Test
  public void deadLettersAreWrittenAsJsonKeyedByStage() throws Exception {
    String topic = DeadLetterKafkaSink.DEFAULT_TOPIC;
    kafka.createTopic(topic, 1);
    Instant failedAt = Instant.parse("2024-01-01T00:00:05.123Z");
    DeadLetter withSource =
        DeadLetter.builder()
            .setStage("parse-clicks")
            .setReason(DeadLetter.Reasons.MALFORMED_JSON)
            .setDetail("Unexpected end-of-input")
            .setErrorClass("com.fasterxml.jackson.core.io.JsonEOFException")
            .setPayload("{\"event_id\":".getBytes(StandardCharsets.UTF_8))
            .setFailedAt(failedAt)
            .setSource(SourceCoordinates.of("clicks", 0, 17L))
            .build();
    DeadLetter binary =
        DeadLetter.builder()
            .setStage("parse-transactions")
            .setReason(DeadLetter.Reasons.INVALID_UTF8)
            .setPayload(new byte[] {(byte) 0xff, (byte) 0xfe, 'x'})
            .setFailedAt(failedAt)
            .build();
    p.apply(Create.of(List.of(withSource, binary)).withCoder(DeadLetter.coder()))
        .apply(DeadLetterKafkaSink.to(kafka.bootstrapServers()));
    p.run().waitUntilFinish();

    ObjectMapper json = new ObjectMapper();
    List<ConsumerRecord<String, String>> written = readAll(topic, false);
    assertEquals(2, written.size());
    for (ConsumerRecord<String, String> record : written) {
      DeadLetter original = record.key().equals("parse-clicks") ? withSource : binary;
      assertEquals(original.getStage(), record.key());
      assertEquals(json.readTree(original.toJson()), json.readTree(record.value()));
    }
    JsonNode first =
        json.readTree(
            written.stream().filter(r -> r.key().equals("parse-clicks")).findFirst().get().value());
    assertEquals("{\"event_id\":", first.get("payload").asText());
    assertEquals("utf-8", first.get("payload_encoding").asText());
    assertEquals("2024-01-01T00:00:05.123Z", first.get("failed_at").asText());
    assertEquals(17L, first.get("source").get("offset").asLong());
    JsonNode second =
        json.readTree(
            written.stream()
                .filter(r -> r.key().equals("parse-transactions"))
                .findFirst()
                .get()
                .value());
    assertEquals("base64", second.get("payload_encoding").asText());
    assertEquals(
        Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, (byte) 0xfe, 'x'}),
        second.get("payload").asText());
    assertNull(second.get("source"));
  }

  @Test
  public void eventTimesReadsOnlyAValidTopLevelField() {
    assertEquals(
        Instant.parse("2024-01-01T00:00:01Z"),
        EventTimes.eventTimeOrNull(
            "{\"a\":{\"event_time\":\"1999-01-01T00:00:00Z\"},\"event_time\":\"2024-01-01T00:00:01Z\"}"
                .getBytes(StandardCharsets.UTF_8)));
    assertNull(
        EventTimes.eventTimeOrNull(
            "{\"event_time\":\"yesterday\"}".getBytes(StandardCharsets.UTF_8)));
    assertNull(EventTimes.eventTimeOrNull("{\"event_time\":17}".getBytes(StandardCharsets.UTF_8)));
    assertNull(EventTimes.eventTimeOrNull("[1,2".getBytes(StandardCharsets.UTF_8)));
    assertNull(EventTimes.eventTimeOrNull(new byte[0]));
  }

  @Test
  public void eventTimesFollowsANestedPathLikeADebeziumRowsUpdatedAt() {
    java.util.List<String> path = java.util.List.of("after", "updated_at");
    // The same field name earlier at another level, and fields before and after, are skipped.
    assertEquals(
        Instant.parse("2026-01-05T09:00:00Z"),
        EventTimes.timeOrNull(
            ("{\"before\":{\"updated_at\":\"1999-01-01T00:00:00Z\"},\"updated_at\":\"x\","
                    + "\"after\":{\"name\":{\"n\":[1]},\"updated_at\":\"2026-01-05T09:00:00.000000Z\"},"
                    + "\"op\":\"u\"}")
                .getBytes(StandardCharsets.UTF_8),
            path));
    // A delete's after is null: no time (the record keeps its Kafka time).
    assertNull(
        EventTimes.timeOrNull(
            "{\"after\":null,\"op\":\"d\"}".getBytes(StandardCharsets.UTF_8), path));
    assertNull(
        EventTimes.timeOrNull(
            "{\"after\":{\"updated_at\":5}}".getBytes(StandardCharsets.UTF_8), path));
    assertNull(EventTimes.timeOrNull("{\"after\":{}}".getBytes(StandardCharsets.UTF_8), path));
  }

  /**
   * Valid events carry their event_time; malformed ones the readable event_time or arrival time.
   */
  private static Instant expectedTimestamp(GeneratedRecord r) {
    if (r.label() != RecordLabel.MALFORMED) {
      return new Instant(r.eventTime().toEpochMilli());
    }
    Instant readable = EventTimes.eventTimeOrNull(r.payload());
    return readable != null ? readable : new Instant(r.arrivalTime().toEpochMilli());
  }

  static String describe(String topic, int partition, long offset, byte[] payload, Instant ts) {
    return topic
        + "/"
        + partition
        + "/"
        + offset
        + "|"
        + Base64.getEncoder().encodeToString(payload)
        + "|"
        + ts.getMillis();
  }

  static final class DescribeFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, @Timestamp Instant ts, OutputReceiver<String> out) {
      SourceCoordinates c = r.getSource();
      out.output(describe(c.getTopic(), c.getPartition(), c.getOffset(), r.getPayload(), ts));
    }
  }

  static final class PayloadFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, OutputReceiver<String> out) {
      out.output(new String(r.getPayload(), StandardCharsets.UTF_8));
    }
  }

  private static List<ConsumerRecord<String, String>> readAll(String topic, boolean readCommitted) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        readCommitted ? "read_committed" : "read_uncommitted");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(tp) < end && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
