package io.beamsuite.bench;

import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.generator.HourPartitionedJsonLinesWriter;
import io.beamsuite.fixtures.generator.RecordLabel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

/**
 * The headline batch workload, generated once per run and written as the Lambda master dataset
 * (hour-partitioned JSON-lines files, {@code <root>/events/<topic>/dt=.../hr=.../part-N.jsonl}):
 * {@code events} transactions and {@code events} clicks (two generator runs, seed {@link
 * BenchEvents#SEED}), each with 5% duplicates, 1% malformed records and up to 10 minutes between
 * event time and arrival order, over 24 hours of event time. Every side of the headline reads these
 * files.
 */
final class HeadlineWorkload {
  static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  static final Duration SPAN = Duration.ofHours(24);
  static final Duration DISORDER = Duration.ofMinutes(10);
  static final double DUPLICATE_RATE = 0.05;
  static final double MALFORMED_RATE = 0.01;

  final Path root;
  final long transactionRecords;
  final long clickRecords;
  final long duplicates;
  final long malformed;

  private HeadlineWorkload(
      Path root, long transactionRecords, long clickRecords, long duplicates, long malformed) {
    this.root = root;
    this.transactionRecords = transactionRecords;
    this.clickRecords = clickRecords;
    this.duplicates = duplicates;
    this.malformed = malformed;
  }

  /**
   * Generates and writes {@code events} transactions and {@code events} clicks under {@code root}.
   */
  static HeadlineWorkload write(Path root, int events) throws IOException {
    long[] counts = new long[4];
    for (EventTopic topic : List.of(EventTopic.TRANSACTIONS, EventTopic.CLICKS)) {
      List<GeneratedRecord> records = EventGenerator.of(config(topic, events)).generate();
      new HourPartitionedJsonLinesWriter(root.resolve("events")).write(records);
      counts[topic == EventTopic.TRANSACTIONS ? 0 : 1] = records.size();
      for (GeneratedRecord r : records) {
        if (r.label() == RecordLabel.DUPLICATE) {
          counts[2]++;
        } else if (r.label() == RecordLabel.MALFORMED) {
          counts[3]++;
        }
      }
    }
    return new HeadlineWorkload(root, counts[0], counts[1], counts[2], counts[3]);
  }

  /** The generator settings of one topic's {@code events} events (seed per topic). */
  static GeneratorConfig config(EventTopic topic, int events) {
    return GeneratorConfig.builder()
        .seed(BenchEvents.SEED + topic.ordinal())
        .eventCount(events)
        .startTime(START)
        .timeSpan(SPAN)
        .outOfOrderSpread(DISORDER)
        .allowedLateness(DISORDER)
        .duplicateRate(DUPLICATE_RATE)
        .malformedRate(MALFORMED_RATE)
        .topicWeights(
            topic == EventTopic.CLICKS ? 1 : 0, topic == EventTopic.TRANSACTIONS ? 1 : 0, 0)
        .userCount(10_000)
        .customerCount(5_000)
        .merchantCount(500)
        .includeOversizedMalformed(false)
        .build();
  }

  long records() {
    return transactionRecords + clickRecords;
  }

  /** The master dataset: {@code lambda-batch --source=file:<this>}. */
  Path events() {
    return root.resolve("events");
  }

  /** A cutoff after every event, on a whole hour: the batch layer then covers the whole dataset. */
  static String cutoff() {
    return START.plus(SPAN).plus(Duration.ofHours(1)).toString();
  }

  /** The JSON-lines files of one topic under {@code events}, in path order. */
  static List<Path> files(Path events, EventTopic topic) {
    try (Stream<Path> walk = Files.walk(events.resolve(topic.topicName()))) {
      return walk.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Calls {@code line} with each line of {@code file} (without the line break), as bytes. */
  static void forEachLine(Path file, java.util.function.Consumer<byte[]> line) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == '\n') {
        int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
        if (end > start || i < bytes.length) {
          line.accept(java.util.Arrays.copyOfRange(bytes, start, end));
        }
        start = i + 1;
      }
    }
  }
}
