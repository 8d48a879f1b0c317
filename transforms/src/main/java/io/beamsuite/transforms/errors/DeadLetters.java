package io.beamsuite.transforms.errors;

import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Conversions between {@link DeadLetter} and Beam's {@link BadRecord}, so beamsuite's failures and
 * those of Beam's IOs (for example {@code KafkaIO.withBadRecordErrorHandler}) end up in one place.
 *
 * <pre>{@code
 * // Beam IO bad records -> beamsuite dead letters
 * try (BadRecordErrorHandler<PCollection<DeadLetter>> handler =
 *     pipeline.registerBadRecordErrorHandler(DeadLetters.fromBadRecords("read-clicks"))) {
 *   ... KafkaIO.read()...withBadRecordErrorHandler(handler) ...
 *   // beamsuite dead letters -> the same handler
 *   handler.addErrorCollection(parsed.deadLetters().apply(DeadLetters.toBadRecords()));
 * }
 * }</pre>
 */
public final class DeadLetters {
  private DeadLetters() {}

  /**
   * Turns Beam {@link BadRecord}s into dead letters of {@code stage}: the reason is {@link
   * DeadLetter.Reasons#BAD_RECORD} unless the bad record came from {@link #toBadRecords()}, in
   * which case the original reason survives the round trip.
   */
  public static PTransform<PCollection<BadRecord>, PCollection<DeadLetter>> fromBadRecords(
      String stage) {
    // Not a bare MapElements: its input type PCollection<? extends BadRecord> is refused by
    // Pipeline.registerBadRecordErrorHandler.
    return new PTransform<PCollection<BadRecord>, PCollection<DeadLetter>>() {
      @Override
      public PCollection<DeadLetter> expand(PCollection<BadRecord> input) {
        return input.apply(
            "FromBadRecord",
            MapElements.into(TypeDescriptor.of(DeadLetter.class))
                .via((BadRecord bad) -> fromBadRecord(stage, bad)));
      }
    };
  }

  /**
   * Turns dead letters into Beam {@link BadRecord}s, for {@link ErrorHandler#addErrorCollection}.
   * The payload travels verbatim as the encoded record.
   */
  public static PTransform<PCollection<DeadLetter>, PCollection<BadRecord>> toBadRecords() {
    return new PTransform<PCollection<DeadLetter>, PCollection<BadRecord>>() {
      @Override
      public PCollection<BadRecord> expand(PCollection<DeadLetter> input) {
        return input
            .apply(
                "ToBadRecord",
                MapElements.into(TypeDescriptor.of(BadRecord.class)).via(DeadLetters::toBadRecord))
            .setCoder(BadRecord.getCoder(input.getPipeline()));
      }
    };
  }

  /** Renders dead letters in the JSON wire form of {@link DeadLetter#toJson()}. */
  public static MapElements<DeadLetter, String> toJson() {
    return MapElements.into(TypeDescriptors.strings()).via(DeadLetter::toJson);
  }

  /**
   * A dead letter for a record that was already decoded when it failed (for example during
   * enrichment): the payload is the record as JSON, or its {@code toString()} if Jackson cannot
   * write it.
   */
  public static DeadLetter forRecord(
      String stage, String reason, Object record, @Nullable Throwable cause) {
    byte[] payload;
    try {
      payload = RECORD_WRITER.writeValueAsBytes(record);
    } catch (Exception notJson) {
      payload = String.valueOf(record).getBytes(StandardCharsets.UTF_8);
    }
    String detail = cause == null ? "" : String.valueOf(cause.getMessage());
    return DeadLetter.builder()
        .setStage(stage)
        .setReason(reason)
        .setDetail(detail)
        .setErrorClass(cause == null ? "" : cause.getClass().getName())
        .setPayload(payload)
        .setFailedAt(Instant.now())
        .build();
  }

  private static final com.fasterxml.jackson.databind.ObjectWriter RECORD_WRITER =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .addModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
          .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .build()
          .setVisibility(
              com.fasterxml.jackson.annotation.PropertyAccessor.FIELD,
              com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.ANY)
          .writer();

  static BadRecord toBadRecord(DeadLetter letter) {
    String text = letter.payloadUtf8();
    return BadRecord.builder()
        .setRecord(
            BadRecord.Record.builder()
                .setHumanReadableJsonRecord(text)
                .setEncodedRecord(letter.getPayload())
                .setCoder(PAYLOAD_CODER)
                .build())
        .setFailure(
            BadRecord.Failure.builder()
                .setException(
                    letter.getErrorClass().isEmpty()
                        ? null
                        : letter.getErrorClass() + ": " + letter.getDetail())
                .setDescription(
                    letter.getStage()
                        + REASON_SEPARATOR
                        + letter.getReason()
                        + REASON_SEPARATOR
                        + letter.getDetail())
                .build())
        .build();
  }

  static DeadLetter fromBadRecord(String stage, BadRecord bad) {
    BadRecord.Record record = bad.getRecord();
    BadRecord.Failure failure = bad.getFailure();
    byte[] payload = payloadOf(record);
    String description = failure.getDescription();
    String[] parts = description.split(java.util.regex.Pattern.quote(REASON_SEPARATOR), 3);
    boolean ours = PAYLOAD_CODER.equals(record.getCoder()) && parts.length == 3;
    String exception = failure.getException();
    return DeadLetter.builder()
        .setStage(ours ? parts[0] : stage)
        .setReason(ours ? parts[1] : DeadLetter.Reasons.BAD_RECORD)
        .setDetail(ours ? parts[2] : description)
        .setErrorClass(exceptionClass(exception))
        .setPayload(payload)
        .setFailedAt(Instant.now())
        .build();
  }

  private static final String PAYLOAD_CODER = "beamsuite:raw-payload";
  private static final String REASON_SEPARATOR = " | ";

  private static byte[] payloadOf(BadRecord.Record record) {
    if (PAYLOAD_CODER.equals(record.getCoder()) && record.getEncodedRecord() != null) {
      return record.getEncodedRecord();
    }
    String json = record.getHumanReadableJsonRecord();
    if (json != null) {
      return json.getBytes(StandardCharsets.UTF_8);
    }
    byte[] encoded = record.getEncodedRecord();
    return encoded == null ? new byte[0] : encoded;
  }

  private static String exceptionClass(@Nullable String exception) {
    if (exception == null) {
      return "";
    }
    int colon = exception.indexOf(':');
    return colon < 0 ? exception : exception.substring(0, colon);
  }
}
