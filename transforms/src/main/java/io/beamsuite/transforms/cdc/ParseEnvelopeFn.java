package io.beamsuite.transforms.cdc;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.beamsuite.transforms.cdc.DebeziumJson.Reasons;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.json.TolerantJson;
import io.beamsuite.transforms.records.RawRecord;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

final class ParseEnvelopeFn<V> extends DoFn<RawRecord, ChangeEvent<String, V>> {
  private final Class<V> rowClass;
  private final String keyField;
  private final String stage;
  private final int maxPayloadBytes;
  private final TupleTag<ChangeEvent<String, V>> changesTag;
  private final TupleTag<DeadLetter> deadLetterTag;

  private final Counter recordsIn = Metrics.counter(DebeziumJson.class, "records_in");
  private final Counter changes = Metrics.counter(DebeziumJson.class, "changes");
  private final Counter tombstones = Metrics.counter(DebeziumJson.class, "tombstones");
  private final Counter deadLetters = Metrics.counter(DebeziumJson.class, "dead_letters");

  private transient @Nullable ObjectMapper mapper;
  private transient @Nullable ObjectReader rowReader;

  ParseEnvelopeFn(
      Class<V> rowClass,
      String keyField,
      String stage,
      int maxPayloadBytes,
      TupleTag<ChangeEvent<String, V>> changesTag,
      TupleTag<DeadLetter> deadLetterTag) {
    this.rowClass = rowClass;
    this.keyField = keyField;
    this.stage = stage;
    this.maxPayloadBytes = maxPayloadBytes;
    this.changesTag = changesTag;
    this.deadLetterTag = deadLetterTag;
  }

  @Setup
  public void setup() {
    mapper = TolerantJson.newMapper();
    rowReader = mapper.readerFor(rowClass);
  }

  @ProcessElement
  public void processElement(@Element RawRecord record, MultiOutputReceiver out) {
    recordsIn.inc();
    try {
      ChangeEvent<String, V> change = parse(record);
      if (change == null) {
        tombstones.inc();
        return;
      }
      changes.inc();
      out.get(changesTag).output(change);
    } catch (Rejected rejected) {
      deadLetters.inc();
      Metrics.counter(DebeziumJson.class, "dead_letters_" + rejected.reason).inc();
      out.get(deadLetterTag)
          .output(
              DeadLetter.builder()
                  .setStage(stage)
                  .setReason(rejected.reason)
                  .setDetail(String.valueOf(rejected.getMessage()))
                  .setErrorClass(rejected.cause == null ? "" : rejected.cause.getClass().getName())
                  .setPayload(record.getPayload())
                  .setFailedAt(Instant.now())
                  .setSource(record.getSource())
                  .build());
    }
  }

  /** The change in {@code record}, or {@code null} for a tombstone. */
  private @Nullable ChangeEvent<String, V> parse(RawRecord record) throws Rejected {
    byte[] payload = record.getPayload();
    if (payload.length == 0) {
      return null;
    }
    if (payload.length > maxPayloadBytes) {
      throw new Rejected(
          DeadLetter.Reasons.PAYLOAD_TOO_LARGE,
          payload.length + " bytes exceeds the limit of " + maxPayloadBytes,
          null);
    }
    String text;
    try {
      text = record.utf8Text();
    } catch (CharacterCodingException e) {
      throw new Rejected(DeadLetter.Reasons.INVALID_UTF8, "payload is not valid UTF-8", e);
    }
    if (text.isBlank()) {
      return null;
    }
    JsonNode root;
    try {
      root = checkArgumentNotNull(mapper).readTree(text);
    } catch (JsonProcessingException e) {
      throw new Rejected(
          DeadLetter.Reasons.MALFORMED_JSON, String.valueOf(e.getOriginalMessage()), e);
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return null;
    }
    if (!root.isObject()) {
      throw new Rejected(
          DeadLetter.Reasons.NOT_AN_OBJECT, "envelope is a JSON " + root.getNodeType(), null);
    }
    JsonNode envelope = root;
    // JsonConverter with schemas.enable=true wraps the envelope; its tombstone has payload null.
    if (root.has("schema") && root.has("payload")) {
      envelope = root.get("payload");
      if (envelope.isNull()) {
        return null;
      }
      if (!envelope.isObject()) {
        throw new Rejected(
            DeadLetter.Reasons.NOT_AN_OBJECT, "payload is a JSON " + envelope.getNodeType(), null);
      }
    }
    return change(envelope);
  }

  private ChangeEvent<String, V> change(JsonNode envelope) throws Rejected {
    JsonNode opNode = envelope.get("op");
    if (opNode == null || !opNode.isTextual()) {
      throw new Rejected(Reasons.MISSING_OP, "envelope has no textual op", null);
    }
    ChangeEvent.Op op = ChangeEvent.Op.fromCode(opNode.textValue());
    if (op == null) {
      throw new Rejected(Reasons.UNKNOWN_OP, "unknown op '" + opNode.textValue() + "'", null);
    }
    JsonNode beforeNode = present(envelope.get("before"));
    JsonNode afterNode = op == ChangeEvent.Op.DELETE ? null : present(envelope.get("after"));
    JsonNode keyRow = op == ChangeEvent.Op.DELETE ? beforeNode : afterNode;
    if (keyRow == null) {
      throw new Rejected(
          Reasons.MISSING_ROW,
          (op == ChangeEvent.Op.DELETE ? "before" : "after")
              + " is missing for op '"
              + op.code()
              + "'",
          null);
    }
    String key = key(keyRow);
    JsonNode source = envelope.get("source");
    ChangePosition position = position(source);
    Instant commitTime = commitTime(source, envelope);
    // With PostgreSQL's default replica identity a delete logs only the key columns: the key is
    // all a delete needs, so an old image that is not a whole row is dropped, not dead-lettered.
    V before =
        beforeNode == null
            ? null
            : op == ChangeEvent.Op.DELETE ? rowOrNull(beforeNode) : row(beforeNode, "before");
    V after = afterNode == null ? null : row(afterNode, "after");
    return ChangeEvent.of(op, key, before, after, position, commitTime);
  }

  private @Nullable V rowOrNull(JsonNode node) {
    try {
      return row(node, "before");
    } catch (Rejected partialImage) {
      return null;
    }
  }

  private String key(JsonNode row) throws Rejected {
    if (!row.isObject()) {
      throw new Rejected(Reasons.INVALID_ROW, "row is a JSON " + row.getNodeType(), null);
    }
    JsonNode key = row.get(keyField);
    if (key == null || key.isNull()) {
      throw new Rejected(Reasons.MISSING_KEY, "row has no value for key field " + keyField, null);
    }
    if (key.isContainerNode()) {
      throw new Rejected(
          Reasons.INVALID_KEY, "key field " + keyField + " is a JSON " + key.getNodeType(), null);
    }
    return key.asText();
  }

  private static ChangePosition position(@Nullable JsonNode source) throws Rejected {
    JsonNode lsn = source == null ? null : source.get("lsn");
    if (lsn == null || !lsn.isIntegralNumber() || !lsn.canConvertToLong()) {
      throw new Rejected(Reasons.MISSING_POSITION, "source.lsn is missing or not an integer", null);
    }
    return ChangePosition.of(lsn.longValue(), sequence(source.get("sequence")));
  }

  /** The second element of Debezium's {@code sequence}, e.g. {@code "[\"1\",\"2\"]"} gives 2. */
  private static long sequence(@Nullable JsonNode sequence) throws Rejected {
    if (sequence == null || sequence.isNull()) {
      return 0;
    }
    try {
      JsonNode array =
          sequence.isTextual() ? SEQUENCE_READER.readTree(sequence.textValue()) : sequence;
      if (array == null || !array.isArray()) {
        throw new Rejected(
            Reasons.INVALID_POSITION, "source.sequence is not a JSON array: " + sequence, null);
      }
      JsonNode second = array.get(1);
      if (second == null || second.isNull()) {
        return 0;
      }
      if (second.isIntegralNumber() && second.canConvertToLong()) {
        return second.longValue();
      }
      if (second.isTextual()) {
        return Long.parseLong(second.textValue());
      }
      throw new Rejected(
          Reasons.INVALID_POSITION, "source.sequence[1] is not an integer: " + sequence, null);
    } catch (JsonProcessingException | NumberFormatException e) {
      throw new Rejected(
          Reasons.INVALID_POSITION,
          "source.sequence is not a JSON array of integers: " + sequence,
          e);
    }
  }

  private static Instant commitTime(@Nullable JsonNode source, JsonNode envelope) throws Rejected {
    JsonNode tsMs = source == null ? null : source.get("ts_ms");
    if (tsMs == null || !tsMs.isIntegralNumber() || !tsMs.canConvertToLong()) {
      tsMs = envelope.get("ts_ms");
    }
    if (tsMs == null || !tsMs.isIntegralNumber() || !tsMs.canConvertToLong()) {
      throw new Rejected(
          Reasons.MISSING_COMMIT_TIME, "neither source.ts_ms nor ts_ms is an integer", null);
    }
    return Instant.ofEpochMilli(tsMs.longValue());
  }

  private V row(JsonNode node, String which) throws Rejected {
    try {
      V row = checkArgumentNotNull(rowReader).readValue(node);
      if (row == null) {
        throw new Rejected(Reasons.INVALID_ROW, which + " reads as null", null);
      }
      return row;
    } catch (IOException | RuntimeException e) {
      // Row classes may throw anything from their creators; that is the record's fault.
      String message =
          e instanceof JsonProcessingException
              ? ((JsonProcessingException) e).getOriginalMessage()
              : e.getMessage();
      if (e instanceof ValueInstantiationException && e.getCause() != null) {
        message = e.getCause().getMessage();
      }
      throw new Rejected(
          Reasons.INVALID_ROW, which + " is not a " + rowClass.getSimpleName() + ": " + message, e);
    }
  }

  private static @Nullable JsonNode present(@Nullable JsonNode node) {
    return node == null || node.isNull() ? null : node;
  }

  // Only used for the small sequence array; plain settings suffice.
  private static final ObjectMapper SEQUENCE_READER = new ObjectMapper();

  /** Thrown inside the parser for a malformed envelope; never leaves {@link ParseEnvelopeFn}. */
  private static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    final String reason;
    final @Nullable Exception cause;

    Rejected(String reason, String detail, @Nullable Exception cause) {
      super(detail, null, false, false);
      this.reason = reason;
      this.cause = cause;
    }
  }
}
