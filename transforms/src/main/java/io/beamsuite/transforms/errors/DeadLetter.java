package io.beamsuite.transforms.errors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.io.Serializable;
import java.nio.charset.CharacterCodingException;
import java.util.Base64;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The one failure shape of beamsuite (docs/pipelines.md): a record that could not be processed,
 * with the stage that rejected it, a short machine-readable {@code reason}, a human-readable {@code
 * detail}, the exception class, the payload verbatim, the time of failure and, when known, the
 * source coordinates.
 *
 * <p>Dead letters have a Beam schema, so {@code PCollection<DeadLetter>} gets a deterministic
 * {@code SchemaCoder} without any setup. {@link DeadLetters} converts to and from Beam's {@code
 * BadRecord}, so dead letters flow into the same {@code ErrorHandler} as KafkaIO's bad records.
 *
 * <pre>{@code
 * DeadLetter letter =
 *     DeadLetter.builder()
 *         .setStage("parse-clicks")
 *         .setReason(DeadLetter.Reasons.MALFORMED_JSON)
 *         .setDetail("Unrecognized token 'not'")
 *         .setErrorClass("com.fasterxml.jackson.core.JsonParseException")
 *         .setPayload("not json".getBytes(StandardCharsets.UTF_8))
 *         .setFailedAt(Instant.now())
 *         .build();
 * String json = letter.toJson();
 * }</pre>
 */
@AutoValue
@DefaultSchema(AutoValueSchema.class)
@SuppressWarnings("mutable") // the payload array is never modified after construction
public abstract class DeadLetter implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Longest detail kept; parser messages can quote a whole hostile payload. */
  public static final int MAX_DETAIL_CHARS = 500;

  /** Reason codes used by beamsuite's own transforms; other stages may add their own. */
  public static final class Reasons {
    public static final String EMPTY_PAYLOAD = "empty_payload";
    public static final String PAYLOAD_TOO_LARGE = "payload_too_large";
    public static final String INVALID_UTF8 = "invalid_utf8";
    public static final String MALFORMED_JSON = "malformed_json";
    public static final String NOT_AN_OBJECT = "not_a_json_object";
    public static final String MISSING_REQUIRED_FIELD = "missing_required_field";
    public static final String WRONG_TYPE = "wrong_type";
    public static final String INVALID_VALUE = "invalid_value";
    public static final String BAD_RECORD = "bad_record";

    private Reasons() {}
  }

  /** The pipeline stage (transform name) that rejected the record. */
  public abstract String getStage();

  /** Short machine-readable reason, e.g. {@link Reasons#MALFORMED_JSON}; safe to group by. */
  public abstract String getReason();

  /** Human-readable explanation, e.g. the parser's message. */
  public abstract String getDetail();

  /** Class name of the exception that caused the failure, or empty if there was none. */
  public abstract String getErrorClass();

  /** The rejected payload, byte for byte. */
  public abstract byte[] getPayload();

  /** When the record was rejected (processing time). */
  public abstract Instant getFailedAt();

  /** Where the record came from, if the source reported it. */
  public abstract @Nullable SourceCoordinates getSource();

  /** The deterministic schema coder of dead letters. */
  public static org.apache.beam.sdk.coders.Coder<DeadLetter> coder() {
    try {
      return org.apache.beam.sdk.schemas.SchemaRegistry.createDefault()
          .getSchemaCoder(DeadLetter.class);
    } catch (org.apache.beam.sdk.schemas.NoSuchSchemaException e) {
      throw new IllegalStateException("DeadLetter has a schema by construction", e);
    }
  }

  /** Starts a dead letter. */
  public static Builder builder() {
    return new AutoValue_DeadLetter.Builder().setDetail("").setErrorClass("");
  }

  /**
   * The payload as text if it is valid UTF-8, otherwise {@code null} (use {@link #getPayload()}).
   */
  public @Nullable String payloadUtf8() {
    try {
      return RawRecord.strictUtf8(getPayload());
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * The wire form (docs/pipelines.md) for the {@code dead-letters} topic: {@code stage, reason,
   * detail, error_class, payload, payload_encoding, failed_at, source?}. The payload is the
   * verbatim text when it is valid UTF-8 ({@code payload_encoding: "utf-8"}), else base64 ({@code
   * "base64"}).
   */
  public String toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("stage", getStage());
    node.put("reason", getReason());
    node.put("detail", getDetail());
    node.put("error_class", getErrorClass());
    String text = payloadUtf8();
    if (text != null) {
      node.put("payload", text);
      node.put("payload_encoding", "utf-8");
    } else {
      node.put("payload", Base64.getEncoder().encodeToString(getPayload()));
      node.put("payload_encoding", "base64");
    }
    node.put("failed_at", java.time.Instant.ofEpochMilli(getFailedAt().getMillis()).toString());
    SourceCoordinates source = getSource();
    if (source != null) {
      ObjectNode src = node.putObject("source");
      src.put("topic", source.getTopic());
      src.put("partition", source.getPartition());
      src.put("offset", source.getOffset());
    }
    return node.toString();
  }

  /** Builder for {@link DeadLetter}. */
  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setStage(String stage);

    public abstract Builder setReason(String reason);

    public abstract Builder setDetail(String detail);

    public abstract Builder setErrorClass(String errorClass);

    public abstract Builder setPayload(byte[] payload);

    public abstract Builder setFailedAt(Instant failedAt);

    public abstract Builder setSource(@Nullable SourceCoordinates source);

    abstract String getDetail();

    abstract DeadLetter autoBuild();

    /** Builds the dead letter; a detail longer than {@link #MAX_DETAIL_CHARS} is cut there. */
    public DeadLetter build() {
      String detail = getDetail();
      if (detail.length() > MAX_DETAIL_CHARS) {
        setDetail(detail.substring(0, MAX_DETAIL_CHARS) + "...");
      }
      return autoBuild();
    }
  }
}
