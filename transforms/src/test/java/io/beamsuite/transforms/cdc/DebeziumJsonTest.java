package io.beamsuite.transforms.cdc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamsuite.transforms.cdc.ChangeEvent.Op;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import io.beamsuite.transforms.testing.PipelineMetrics;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link DebeziumJson} against real Debezium 3.2 output captured from PostgreSQL 17 (see {@code
 * src/test/resources/debezium/README.md}), and against malformed envelopes derived from it.
 */
@RunWith(JUnit4.class)
public class DebeziumJsonTest {
  private static final String TOPIC = "cdc.public.customers";
  private static final ObjectMapper JSON = new ObjectMapper();

  // The rows of the captured scenario; both captures ran the same SQL.
  static final Customer ADA_1 =
      Customer.of("c-1", "Ada Lovelace", "silver", "GB", 500_000L, "2026-01-05T09:00:00Z");
  static final Customer ADA_2 =
      Customer.of("c-1", "Ada Lovelace", "gold", "GB", 750_000L, "2026-01-05T10:01:00Z");
  static final Customer GRACE =
      Customer.of("c-2", "Grace Hopper", "gold", "US", 1_000_000L, "2026-01-05T09:00:01.5Z");

  /** A delete under the default replica identity logs the key only. */
  static final Customer GRACE_KEY_ONLY = Customer.of("c-2", null, null, null, null, null);

  static final Customer ALAN_1 =
      Customer.of("c-3", "Alan Turing", "bronze", "GB", 250_000L, "2026-01-05T09:00:02.123456Z");
  static final Customer ALAN_2 =
      Customer.of("c-3", "Alan Turing", "bronze", "GB", 260_000L, "2026-01-05T10:02:00Z");
  static final Customer EDSGER_1 =
      Customer.of("c-4", "Edsger Dijkstra", "silver", "NL", 300_000L, "2026-01-05T10:00:00Z");
  static final Customer EDSGER_2 =
      Customer.of("c-4", "Edsger Dijkstra", "gold", "NL", 300_000L, "2026-01-05T10:03:00Z");
  static final Customer EDSGER_3 =
      Customer.of("c-4", "Edsger Dijkstra", "platinum", "NL", 300_000L, "2026-01-05T10:03:00Z");
  static final Customer NAMELESS = Customer.of("c-5", null, null, null, null, null);

  @Rule public final transient TestPipeline p = TestPipeline.create();

  /** The changes in {@code customers.jsonl} (schemas disabled), in capture order. */
  static List<ChangeEvent<String, Customer>> expectedPlainCapture() {
    return List.of(
        change(Op.READ, "c-1", null, ADA_1, 22034072L, 22034072L, 1795467833398L),
        change(Op.READ, "c-2", null, GRACE, 22034072L, 22034072L, 1795467833398L),
        change(Op.READ, "c-3", null, ALAN_1, 22034072L, 22034072L, 1795467833398L),
        change(Op.CREATE, "c-4", null, EDSGER_1, 22034112L, 22034112L, 1795467834000L),
        change(Op.UPDATE, "c-1", null, ADA_2, 22034328L, 22034328L, 1795467834007L),
        change(Op.DELETE, "c-2", GRACE_KEY_ONLY, null, 22034496L, 22034496L, 1795467834010L),
        change(Op.CREATE, "c-5", null, NAMELESS, 22034608L, 22034608L, 1795467834010L),
        change(Op.UPDATE, "c-3", ALAN_1, ALAN_2, 22035224L, 22035224L, 1795467834015L),
        change(Op.UPDATE, "c-4", EDSGER_1, EDSGER_2, 22035440L, 22035440L, 1795467834027L),
        change(Op.UPDATE, "c-4", EDSGER_2, EDSGER_3, 22035608L, 22035608L, 1795467834027L),
        change(Op.DELETE, "c-4", EDSGER_3, null, 22035824L, 22035824L, 1795467834027L));
  }

  /** The changes in {@code customers-with-schema.jsonl}: a second run, so other LSNs and times. */
  static List<ChangeEvent<String, Customer>> expectedSchemaCapture() {
    return List.of(
        change(Op.READ, "c-1", null, ADA_1, 22034080L, 22034080L, 1795467842531L),
        change(Op.READ, "c-2", null, GRACE, 22034080L, 22034080L, 1795467842531L),
        change(Op.READ, "c-3", null, ALAN_1, 22034080L, 22034080L, 1795467842531L),
        change(Op.CREATE, "c-4", null, EDSGER_1, 22034120L, 22034120L, 1795467843267L),
        change(Op.UPDATE, "c-1", null, ADA_2, 22034336L, 22034336L, 1795467843274L),
        change(Op.DELETE, "c-2", GRACE_KEY_ONLY, null, 22034504L, 22034504L, 1795467843276L),
        change(Op.CREATE, "c-5", null, NAMELESS, 22034616L, 22034616L, 1795467843276L),
        change(Op.UPDATE, "c-3", ALAN_1, ALAN_2, 22035232L, 22035232L, 1795467843288L),
        change(Op.UPDATE, "c-4", EDSGER_1, EDSGER_2, 22035448L, 22035448L, 1795467843300L),
        change(Op.UPDATE, "c-4", EDSGER_2, EDSGER_3, 22035616L, 22035616L, 1795467843300L),
        change(Op.DELETE, "c-4", EDSGER_3, null, 22035832L, 22035832L, 1795467843300L));
  }

  @Test
  public void parsesEveryCapturedRecordWithoutSchemaAndDropsTheTombstones() throws Exception {
    List<String> lines = resourceLines("customers.jsonl");
    assertEquals("11 changes and 2 tombstones were captured", 13, lines.size());

    DebeziumJson.Result<String, Customer> out = p.apply(records(lines)).apply(parser());

    PAssert.that(out.changes()).containsInAnyOrder(expectedPlainCapture());
    PAssert.that(out.deadLetters()).empty();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(13, counter(result, "records_in"));
    assertEquals(11, counter(result, "changes"));
    assertEquals(2, counter(result, "tombstones"));
    assertEquals(0, counter(result, "dead_letters"));
  }

  @Test
  public void parsesEveryCapturedRecordWrappedWithItsSchema() throws Exception {
    List<String> lines = resourceLines("customers-with-schema.jsonl");
    assertEquals(13, lines.size());

    DebeziumJson.Result<String, Customer> out = p.apply(records(lines)).apply(parser());

    PAssert.that(out.changes()).containsInAnyOrder(expectedSchemaCapture());
    PAssert.that(out.deadLetters()).empty();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(11, counter(result, "changes"));
    assertEquals(2, counter(result, "tombstones"));
  }

  @Test
  public void theCapturedKafkaKeysAreTheParsedKeys() throws Exception {
    // The connector's own record keys, line by line beside the values (tombstones keep their key).
    List<String> keys = resourceLines("customers.keys.jsonl");
    List<String> values = resourceLines("customers.jsonl");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      if (!values.get(i).isEmpty()) {
        expected.add(JSON.readTree(keys.get(i)).get("customer_id").textValue());
      }
    }
    List<String> parsed = new ArrayList<>();
    for (ChangeEvent<String, Customer> change : expectedPlainCapture()) {
      parsed.add(change.key());
    }
    assertEquals(expected, parsed);

    DebeziumJson.Result<String, Customer> out = p.apply(records(values)).apply(parser());
    PAssert.that(out.changes().apply(MapElements.into(TypeDescriptors.strings()).via(c -> c.key())))
        .containsInAnyOrder(expected);
    p.run();
  }

  @Test
  public void wrappedAndUnwrappedFormsOfOneRecordParseAlike() throws Exception {
    // Wrap every bare captured envelope the way JsonConverter does with schemas enabled.
    List<String> lines = resourceLines("customers.jsonl");
    ObjectNode schema =
        (ObjectNode)
            JSON.readTree(resourceLines("customers-with-schema.jsonl").get(0)).get("schema");
    List<String> wrapped = new ArrayList<>();
    for (String line : lines) {
      if (line.isEmpty()) {
        wrapped.add("{\"schema\":null,\"payload\":null}");
      } else {
        ObjectNode node = JSON.createObjectNode();
        node.set("schema", schema);
        node.set("payload", JSON.readTree(line));
        wrapped.add(node.toString());
      }
    }

    DebeziumJson.Result<String, Customer> out = p.apply(records(wrapped)).apply(parser());

    PAssert.that(out.changes()).containsInAnyOrder(expectedPlainCapture());
    PAssert.that(out.deadLetters()).empty();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(2, counter(result, "tombstones"));
  }

  @Test
  public void tombstonesOfEveryShapeAreCountedAndDropped() {
    List<String> tombstones =
        List.of(
            "",
            "   \n",
            "null",
            " null ",
            "{\"schema\":null,\"payload\":null}",
            "{\"schema\":{\"type\":\"struct\"},\"payload\":null}");

    DebeziumJson.Result<String, Customer> out = p.apply(records(tombstones)).apply(parser());

    PAssert.that(out.changes()).empty();
    PAssert.that(out.deadLetters()).empty();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(6, counter(result, "records_in"));
    assertEquals(6, counter(result, "tombstones"));
    assertEquals(0, counter(result, "dead_letters"));
  }

  @Test
  public void malformedEnvelopesBecomeDeadLettersWithReasonPayloadAndSource() throws Exception {
    String insert = resourceLines("customers.jsonl").get(3); // c-4 created
    String update = resourceLines("customers.jsonl").get(8); // c-3 updated, with before
    String delete = resourceLines("customers.jsonl").get(5); // c-2 deleted
    List<Malformed> cases = new ArrayList<>();
    cases.add(
        new Malformed(
            new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, DeadLetter.Reasons.INVALID_UTF8));
    cases.add(new Malformed(insert.substring(0, 60), DeadLetter.Reasons.MALFORMED_JSON));
    cases.add(new Malformed(insert + " trailing", DeadLetter.Reasons.MALFORMED_JSON));
    cases.add(new Malformed("[1,2]", DeadLetter.Reasons.NOT_AN_OBJECT));
    cases.add(new Malformed("\"c-4\"", DeadLetter.Reasons.NOT_AN_OBJECT));
    cases.add(
        new Malformed(
            "{\"schema\":{},\"payload\":[" + insert + "]}", DeadLetter.Reasons.NOT_AN_OBJECT));
    cases.add(new Malformed(edit(insert, e -> e.remove("op")), DebeziumJson.Reasons.MISSING_OP));
    cases.add(new Malformed(edit(insert, e -> e.put("op", 1)), DebeziumJson.Reasons.MISSING_OP));
    cases.add(new Malformed(edit(insert, e -> e.put("op", "t")), DebeziumJson.Reasons.UNKNOWN_OP));
    cases.add(new Malformed(edit(insert, e -> e.put("op", "C")), DebeziumJson.Reasons.UNKNOWN_OP));
    cases.add(
        new Malformed(edit(insert, e -> e.putNull("after")), DebeziumJson.Reasons.MISSING_ROW));
    cases.add(
        new Malformed(edit(update, e -> e.remove("after")), DebeziumJson.Reasons.MISSING_ROW));
    cases.add(
        new Malformed(
            edit(insert, e -> e.put("op", "r").remove("after")), DebeziumJson.Reasons.MISSING_ROW));
    cases.add(
        new Malformed(edit(delete, e -> e.putNull("before")), DebeziumJson.Reasons.MISSING_ROW));
    cases.add(
        new Malformed(
            edit(insert, e -> e.remove("source")), DebeziumJson.Reasons.MISSING_POSITION));
    cases.add(
        new Malformed(
            edit(insert, e -> source(e).remove("lsn")), DebeziumJson.Reasons.MISSING_POSITION));
    cases.add(
        new Malformed(
            edit(insert, e -> source(e).put("lsn", "22034112")),
            DebeziumJson.Reasons.MISSING_POSITION));
    cases.add(
        new Malformed(
            edit(insert, e -> source(e).put("sequence", "not json")),
            DebeziumJson.Reasons.INVALID_POSITION));
    cases.add(
        new Malformed(
            edit(insert, e -> source(e).put("sequence", "[null,\"x\"]")),
            DebeziumJson.Reasons.INVALID_POSITION));
    cases.add(
        new Malformed(
            edit(insert, e -> source(e).put("sequence", "{}")),
            DebeziumJson.Reasons.INVALID_POSITION));
    cases.add(
        new Malformed(
            edit(
                insert,
                e -> {
                  source(e).remove("ts_ms");
                  e.remove("ts_ms");
                }),
            DebeziumJson.Reasons.MISSING_COMMIT_TIME));
    cases.add(
        new Malformed(
            edit(insert, e -> after(e).remove("customer_id")), DebeziumJson.Reasons.MISSING_KEY));
    cases.add(
        new Malformed(
            edit(delete, e -> ((ObjectNode) e.get("before")).putNull("customer_id")),
            DebeziumJson.Reasons.MISSING_KEY));
    cases.add(
        new Malformed(
            edit(insert, e -> after(e).putObject("customer_id").put("id", 4)),
            DebeziumJson.Reasons.INVALID_KEY));
    cases.add(
        new Malformed(
            edit(insert, e -> after(e).put("credit_limit_cents", "lots")),
            DebeziumJson.Reasons.INVALID_ROW));
    cases.add(
        new Malformed(
            edit(insert, e -> after(e).put("updated_at", "yesterday")),
            DebeziumJson.Reasons.INVALID_ROW));
    cases.add(
        new Malformed(
            edit(insert, e -> after(e).put("customer_id", " ")), DebeziumJson.Reasons.INVALID_ROW));
    cases.add(
        new Malformed(edit(insert, e -> e.put("after", "c-4")), DebeziumJson.Reasons.INVALID_ROW));
    cases.add(
        new Malformed(
            edit(update, e -> ((ObjectNode) e.get("before")).put("name", 7)),
            DebeziumJson.Reasons.INVALID_ROW));
    cases.add(
        new Malformed(
            (insert + " ".repeat(4096)).getBytes(UTF_8), DeadLetter.Reasons.PAYLOAD_TOO_LARGE));

    List<RawRecord> records = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      records.add(RawRecord.of(cases.get(i).payload, SourceCoordinates.of(TOPIC, 2, 100 + i)));
      expected.add(
          describe(
              TOPIC,
              2,
              100 + i,
              "parse-customer-changes",
              cases.get(i).reason,
              cases.get(i).payload));
    }

    DebeziumJson.Result<String, Customer> out =
        p.apply(Create.of(records)).apply(parser().withMaxPayloadBytes(4096));

    PAssert.that(out.changes()).empty();
    PAssert.that(
            out.deadLetters()
                .apply(MapElements.into(TypeDescriptors.strings()).via(DebeziumJsonTest::describe)))
        .containsInAnyOrder(expected);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(cases.size(), counter(result, "records_in"));
    assertEquals(cases.size(), counter(result, "dead_letters"));
    assertEquals(0, counter(result, "changes"));
    assertEquals(0, counter(result, "tombstones"));
    assertEquals(4, counter(result, "dead_letters_" + DebeziumJson.Reasons.MISSING_ROW));
    assertEquals(5, counter(result, "dead_letters_" + DebeziumJson.Reasons.INVALID_ROW));
  }

  @Test
  public void recordsReconcileAcrossChangesTombstonesAndDeadLetters() throws Exception {
    List<String> lines = new ArrayList<>(resourceLines("customers.jsonl"));
    lines.addAll(resourceLines("customers-with-schema.jsonl"));
    lines.add("{\"op\":\"c\"}");
    lines.add("not json");
    lines.add("null");

    DebeziumJson.Result<String, Customer> out = p.apply(records(lines)).apply(parser());

    PAssert.that(
            out.deadLetters()
                .apply(MapElements.into(TypeDescriptors.strings()).via(DeadLetter::getReason)))
        .containsInAnyOrder(DebeziumJson.Reasons.MISSING_ROW, DeadLetter.Reasons.MALFORMED_JSON);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(29, counter(result, "records_in"));
    assertEquals(22, counter(result, "changes"));
    assertEquals(5, counter(result, "tombstones"));
    assertEquals(2, counter(result, "dead_letters"));
    assertEquals(
        counter(result, "records_in"),
        counter(result, "changes")
            + counter(result, "tombstones")
            + counter(result, "dead_letters"));
  }

  @Test
  public void positionsAndCommitTimesFollowTheSourceBlock() throws Exception {
    String update = resourceLines("customers.jsonl").get(8); // sequence ["22034784","22035224"]
    List<String> lines =
        List.of(
            // No sequence: 0. Sequence with a numeric second element. Only top-level ts_ms.
            edit(update, e -> source(e).remove("sequence")),
            edit(update, e -> source(e).put("sequence", "[\"1\",2]")),
            edit(update, e -> source(e).put("sequence", "[\"1\"]")),
            edit(update, e -> source(e).remove("ts_ms")));

    // A numeric key column is rendered as text.
    DebeziumJson.Result<String, Customer> out =
        p.apply(records(lines)).apply(parser().withKeyField("credit_limit_cents"));

    PAssert.that(
            out.changes()
                .apply(
                    MapElements.into(TypeDescriptors.strings())
                        .via(
                            c ->
                                c.key()
                                    + " "
                                    + c.position().logPosition()
                                    + "/"
                                    + c.position().sequence()
                                    + " "
                                    + c.commitTime().getMillis())))
        .containsInAnyOrder(
            "260000 22035224/0 1795467834015",
            "260000 22035224/2 1795467834015",
            "260000 22035224/0 1795467834015",
            "260000 22035224/22035224 1795467834250");
    PAssert.that(out.deadLetters()).empty();
    p.run();
  }

  @Test
  public void refusesAMissingKeyFieldAndJavaSerialization() {
    p.enableAbandonedNodeEnforcement(false);
    PCollection<RawRecord> none = p.apply(Create.empty(TypeDescriptor.of(RawRecord.class)));
    assertThrows(
        IllegalStateException.class, () -> none.apply("NoKey", DebeziumJson.parse(Customer.class)));
    assertThrows(
        IllegalStateException.class,
        () ->
            none.apply(
                "Serializable", DebeziumJson.parse(SerializableOnly.class).withKeyField("id")));
    assertThrows(
        IllegalArgumentException.class, () -> DebeziumJson.parse(Customer.class).withKeyField(""));
  }

  /** A row class with Java serialization only. */
  static final class SerializableOnly implements Serializable {
    private static final long serialVersionUID = 1L;
    public String id = "";
  }

  private static final class Malformed {
    final byte[] payload;
    final String reason;

    Malformed(String payload, String reason) {
      this(payload.getBytes(UTF_8), reason);
    }

    Malformed(byte[] payload, String reason) {
      this.payload = payload;
      this.reason = reason;
    }
  }

  private static DebeziumJson<Customer> parser() {
    return DebeziumJson.parse(Customer.class)
        .withKeyField("customer_id")
        .withStage("parse-customer-changes");
  }

  static ChangeEvent<String, Customer> change(
      Op op,
      String key,
      @Nullable Customer before,
      @Nullable Customer after,
      long lsn,
      long sequence,
      long commitMillis) {
    return ChangeEvent.of(
        op, key, before, after, ChangePosition.of(lsn, sequence), new Instant(commitMillis));
  }

  static List<String> resourceLines(String name) throws Exception {
    return Files.readAllLines(
        Path.of(DebeziumJsonTest.class.getResource("/debezium/" + name).toURI()), UTF_8);
  }

  /** Line {@code i} of a file becomes a record at offset {@code i} of partition 0. */
  static Create.Values<RawRecord> records(List<String> lines) {
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      records.add(RawRecord.of(lines.get(i).getBytes(UTF_8), SourceCoordinates.of(TOPIC, 0, i)));
    }
    return Create.of(records);
  }

  private static String edit(String envelope, Consumer<ObjectNode> change) throws Exception {
    ObjectNode node = (ObjectNode) JSON.readTree(envelope);
    change.accept(node);
    return node.toString();
  }

  private static ObjectNode source(ObjectNode envelope) {
    return (ObjectNode) envelope.get("source");
  }

  private static ObjectNode after(ObjectNode envelope) {
    return (ObjectNode) envelope.get("after");
  }

  private static String describe(DeadLetter letter) {
    SourceCoordinates source = letter.getSource();
    return describe(
        source == null ? "-" : source.getTopic(),
        source == null ? -1 : source.getPartition(),
        source == null ? -1 : source.getOffset(),
        letter.getStage(),
        letter.getReason(),
        letter.getPayload());
  }

  private static String describe(
      String topic, int partition, long offset, String stage, String reason, byte[] payload) {
    return topic
        + "/"
        + partition
        + "@"
        + offset
        + " "
        + stage
        + " "
        + reason
        + " "
        + Base64.getEncoder().encodeToString(payload);
  }

  private static long counter(PipelineResult result, String name) {
    return PipelineMetrics.counter(result, DebeziumJson.class, name);
  }
}
