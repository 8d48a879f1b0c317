package io.beamsuite.pipelines.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.generator.HourPartitionedJsonLinesWriter;
import io.beamsuite.fixtures.oracle.RawInput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A generated workload on disk, as the pipelines read it in bounded runs: the event topics as
 * hour-partitioned JSON-lines files (the Lambda master dataset layout), and the customers table's
 * history as a file of Debezium envelopes (snapshot rows, then updates in commit order).
 *
 * <p>The envelopes are written here rather than captured, because a bounded oracle comparison needs
 * the exact same history on every runner; the real capture path is covered by the CDC tests.
 */
public final class Workload {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final GeneratorConfig config;
  private final List<GeneratedRecord> records;
  private final Path root;

  private Workload(GeneratorConfig config, List<GeneratedRecord> records, Path root) {
    this.config = config;
    this.records = records;
    this.root = root;
  }

  /** A mix with every record fate: duplicates, late, malformed and v2 records. */
  public static GeneratorConfig.Builder realisticMix(long seed, int events) {
    return GeneratorConfig.builder()
        .seed(seed)
        .eventCount(events)
        .timeSpan(Duration.ofMinutes(30))
        .duplicateRate(0.03)
        .lateRate(0.02)
        .malformedRate(0.02)
        .schemaV2Rate(0.2)
        .customerCount(12)
        .customerUpdateCount(10)
        .sensorCount(4)
        .userCount(30);
  }

  /** Generates {@code config}'s records and writes them under {@code root}. */
  public static Workload write(GeneratorConfig config, Path root) throws IOException {
    EventGenerator generator = EventGenerator.of(config);
    List<GeneratedRecord> records = generator.generate();
    new HourPartitionedJsonLinesWriter(root.resolve("events")).write(records);
    Files.createDirectories(root.resolve("customers"));
    Files.write(
        root.resolve("customers").resolve("changes.jsonl"),
        customerChanges(generator),
        StandardCharsets.UTF_8);
    return new Workload(config, records, root);
  }

  /**
   * The generator's customers history as Debezium envelopes, in commit order: the snapshot rows
   * ({@code op=r}), then the updates ({@code op=u}) — what the fraud pipeline's customers input
   * reads from a file or a topic.
   */
  public static List<String> customerChanges(EventGenerator generator) throws IOException {
    List<String> envelopes = new ArrayList<>();
    long lsn = 1_000;
    for (CustomerRow row : generator.customerSnapshot()) {
      envelopes.add(envelope("r", row, lsn += 8));
    }
    for (CustomerRow row : generator.customerUpdates()) {
      envelopes.add(envelope("u", row, lsn += 8));
    }
    return envelopes;
  }

  private static String envelope(String op, CustomerRow row, long lsn) throws IOException {
    ObjectNode envelope = JSON.createObjectNode();
    envelope.putNull("before");
    envelope.set("after", JSON.readTree(row.toJson()));
    ObjectNode source = envelope.putObject("source");
    source.put("lsn", lsn);
    source.put("ts_ms", row.updatedAt().toEpochMilli());
    source.put("snapshot", op.equals("r") ? "true" : "false");
    envelope.put("op", op);
    envelope.put("ts_ms", row.updatedAt().toEpochMilli());
    return JSON.writeValueAsString(envelope);
  }

  public GeneratorConfig config() {
    return config;
  }

  /** Every generated record, in arrival order. */
  public List<GeneratedRecord> records() {
    return records;
  }

  /** The records as the oracle reads them. */
  public List<RawInput> oracleInput() {
    return RawInput.fromGenerated(records);
  }

  /** The master dataset's root: one directory per topic (the Lambda/Kappa commands' --source). */
  public Path masterDataset() {
    return root.resolve("events");
  }

  /** {@code --source} value reading one topic's files. */
  public String fileSource(String topic) {
    return "file:" + root.resolve("events").resolve(topic) + "/**.jsonl";
  }

  /** {@code --customersSource} value reading the customers change file. */
  public String customersFileSource() {
    return "file:" + root.resolve("customers").resolve("changes.jsonl");
  }

  public List<CustomerRow> customerSnapshot() {
    return EventGenerator.of(config).customerSnapshot();
  }

  public List<CustomerRow> customerUpdates() {
    return EventGenerator.of(config).customerUpdates();
  }
}
