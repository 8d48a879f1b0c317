package io.beamsuite.transforms.errors;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;
import static org.junit.Assert.assertEquals;

import io.beamsuite.transforms.records.SourceCoordinates;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler.BadRecordErrorHandler;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Tests for {@link DeadLetters}: conversions with Beam's {@link BadRecord} and coders. */
@RunWith(JUnit4.class)
public class DeadLettersTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final Instant FAILED_AT = new Instant(1714558530123L);
  private static final byte[] INVALID_UTF8 = {
    0x7b, 0x22, (byte) 0xC3, 0x28, 0x22, 0x3a, 0x31, 0x7d
  };

  /** Detail with the separators the BadRecord description uses, to prove they survive. */
  private static final DeadLetter MALFORMED =
      DeadLetter.builder()
          .setStage("parse-clicks")
          .setReason(DeadLetter.Reasons.MALFORMED_JSON)
          .setDetail("Unexpected end-of-input: in field | \"event_id\"")
          .setErrorClass("com.fasterxml.jackson.core.io.JsonEOFException")
          .setPayload("{\"event_id\":\"caf\u00e9".getBytes(StandardCharsets.UTF_8))
          .setFailedAt(FAILED_AT)
          .setSource(SourceCoordinates.of("clicks", 3, 4711L))
          .build();

  private static final DeadLetter NOT_UTF8 =
      DeadLetter.builder()
          .setStage("parse-clicks")
          .setReason(DeadLetter.Reasons.INVALID_UTF8)
          .setDetail("payload is not valid UTF-8")
          .setErrorClass("java.nio.charset.MalformedInputException")
          .setPayload(INVALID_UTF8)
          .setFailedAt(FAILED_AT)
          .build();

  /** Another stage with its own reason, no detail, no exception and an empty payload. */
  private static final DeadLetter EMPTY =
      DeadLetter.builder()
          .setStage("enrich")
          .setReason("lookup_failed")
          .setPayload(new byte[0])
          .setFailedAt(FAILED_AT)
          .build();

  static String payloadOf(byte @Nullable [] payload) {
    if (payload == null) {
      return "<null>";
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(payload))
          .toString();
    } catch (CharacterCodingException e) {
      return "base64:" + Base64.getEncoder().encodeToString(payload);
    }
  }

  /** Everything but failedAt (processing time, reset by fromBadRecords) and source. */
  static String describe(DeadLetter letter) {
    return String.join(
        "|",
        letter.getStage(),
        letter.getReason(),
        letter.getDetail(),
        letter.getErrorClass(),
        payloadOf(letter.getPayload()));
  }

  static String describeBadRecord(BadRecord bad) {
    return String.join(
        "|",
        String.valueOf(bad.getRecord().getHumanReadableJsonRecord()),
        String.valueOf(bad.getRecord().getCoder()),
        payloadOf(bad.getRecord().getEncodedRecord()),
        String.valueOf(bad.getFailure().getException()),
        bad.getFailure().getDescription());
  }

  private static String text(DeadLetter letter) {
    return new String(letter.getPayload(), StandardCharsets.UTF_8);
  }

  private static PCollection<String> describeAll(String name, PCollection<DeadLetter> letters) {
    return letters.apply(
        name, MapElements.into(TypeDescriptors.strings()).via(DeadLettersTest::describe));
  }

  @Test
  public void roundTripThroughBadRecordsPreservesStageReasonDetailAndPayloadBytes() {
    PCollection<DeadLetter> letters = p.apply(Create.of(MALFORMED, NOT_UTF8, EMPTY));
    PCollection<BadRecord> badRecords = letters.apply("ToBad", DeadLetters.toBadRecords());
    PCollection<DeadLetter> back = badRecords.apply("FromBad", DeadLetters.fromBadRecords("x"));

    PAssert.that(
            badRecords.apply(
                "DescribeBad",
                MapElements.into(TypeDescriptors.strings())
                    .via(DeadLettersTest::describeBadRecord)))
        .containsInAnyOrder(
            String.join(
                "|",
                text(MALFORMED),
                "beamsuite:raw-payload",
                text(MALFORMED),
                "com.fasterxml.jackson.core.io.JsonEOFException: " + MALFORMED.getDetail(),
                "parse-clicks | malformed_json | " + MALFORMED.getDetail()),
            // No human-readable form for bytes that are not text; the bytes travel encoded.
            "null|beamsuite:raw-payload|"
                + payloadOf(INVALID_UTF8)
                + "|java.nio.charset.MalformedInputException: payload is not valid UTF-8"
                + "|parse-clicks | invalid_utf8 | payload is not valid UTF-8",
            "|beamsuite:raw-payload||null|enrich | lookup_failed | ");
    // The original stage wins over the one given to fromBadRecords.
    PAssert.that(describeAll("DescribeBack", back))
        .containsInAnyOrder(describe(MALFORMED), describe(NOT_UTF8), describe(EMPTY));
    assertThat(back.getCoder(), instanceOf(SchemaCoder.class));
    assertThat(badRecords.getCoder(), instanceOf(SchemaCoder.class));
    p.run();
  }

  @Test
  public void foreignBadRecordsBecomeBadRecordDeadLettersOfTheGivenStage() throws Exception {
    String json = "{\"id\":7,\"name\":\"caf\u00e9\"}";
    BadRecord fromBuilder =
        BadRecord.builder()
            .setRecord(
                BadRecord.Record.builder()
                    .setHumanReadableJsonRecord(json)
                    .setEncodedRecord(new byte[] {0, 1, 2})
                    .setCoder("KvCoder(VarIntCoder,StringUtf8Coder)")
                    .build())
            .setFailure(
                BadRecord.Failure.builder()
                    .setException("java.lang.IllegalStateException: boom: at offset 3")
                    .setExceptionStacktrace(
                        "java.lang.IllegalStateException: boom\n\tat X.y(X.java)")
                    .setDescription("Unable to deserialize record")
                    .build())
            .build();
    // A description that looks like ours ("a | b | c") does not make a foreign record ours.
    BadRecord fromException =
        BadRecord.fromExceptionInformation(
            "hello", StringUtf8Coder.of(), new IllegalArgumentException("bad"), "a | b | c");
    BadRecord encodedOnly =
        BadRecord.builder()
            .setRecord(
                BadRecord.Record.builder()
                    .setEncodedRecord(INVALID_UTF8)
                    .setCoder("ByteArrayCoder")
                    .build())
            .setFailure(BadRecord.Failure.builder().setDescription("no json").build())
            .build();
    BadRecord nothing =
        BadRecord.builder()
            .setRecord(BadRecord.Record.builder().build())
            .setFailure(BadRecord.Failure.builder().setDescription("nothing").build())
            .build();

    PCollection<DeadLetter> letters =
        p.apply(
                Create.of(fromBuilder, fromException, encodedOnly, nothing)
                    .withCoder(BadRecord.getCoder(p)))
            .apply(DeadLetters.fromBadRecords("x"));

    PAssert.that(describeAll("Describe", letters))
        .containsInAnyOrder(
            // The human-readable JSON is the payload, not the foreign coder's bytes.
            "x|bad_record|Unable to deserialize record|java.lang.IllegalStateException|" + json,
            "x|bad_record|a | b | c|java.lang.IllegalArgumentException|\"hello\"",
            "x|bad_record|no json||" + payloadOf(INVALID_UTF8),
            "x|bad_record|nothing||");
    p.run();
  }

  @Test
  public void errorHandlerCollectsDeadLettersAndForeignBadRecords() throws Exception {
    BadRecord foreign =
        BadRecord.fromExceptionInformation(
            "{\"id\":1}", StringUtf8Coder.of(), new IllegalStateException("io"), "read failed");
    // The usage of the DeadLetters javadoc: Beam IO bad records and ours in one handler.
    BadRecordErrorHandler<PCollection<DeadLetter>> handler =
        p.registerBadRecordErrorHandler(DeadLetters.fromBadRecords("read-clicks"));
    handler.addErrorCollection(
        p.apply("Foreign", Create.of(foreign).withCoder(BadRecord.getCoder(p))));
    handler.addErrorCollection(
        p.apply("Ours", Create.of(MALFORMED, NOT_UTF8)).apply(DeadLetters.toBadRecords()));
    handler.close();
    PCollection<DeadLetter> output = handler.getOutput();

    PAssert.that(describeAll("Describe", output))
        .containsInAnyOrder(
            "read-clicks|bad_record|read failed|java.lang.IllegalStateException|\"{\\\"id\\\":1}\"",
            describe(MALFORMED),
            describe(NOT_UTF8));
    p.run();
  }

  @Test
  public void toJsonRendersTheWireForm() {
    PCollection<String> json = p.apply(Create.of(MALFORMED, NOT_UTF8)).apply(DeadLetters.toJson());

    PAssert.that(json)
        .containsInAnyOrder(
            "{\"stage\":\"parse-clicks\",\"reason\":\"malformed_json\","
                + "\"detail\":\"Unexpected end-of-input: in field | \\\"event_id\\\"\","
                + "\"error_class\":\"com.fasterxml.jackson.core.io.JsonEOFException\","
                + "\"payload\":\"{\\\"event_id\\\":\\\"caf\u00e9\",\"payload_encoding\":\"utf-8\","
                + "\"failed_at\":\"2024-05-01T10:15:30.123Z\","
                + "\"source\":{\"topic\":\"clicks\",\"partition\":3,\"offset\":4711}}",
            "{\"stage\":\"parse-clicks\",\"reason\":\"invalid_utf8\","
                + "\"detail\":\"payload is not valid UTF-8\","
                + "\"error_class\":\"java.nio.charset.MalformedInputException\","
                + "\"payload\":\"eyLDKCI6MX0=\",\"payload_encoding\":\"base64\","
                + "\"failed_at\":\"2024-05-01T10:15:30.123Z\"}");
    p.run();
  }

  @Test
  public void deadLetterSchemaCoderIsDeterministicAndExact() throws Exception {
    SchemaCoder<DeadLetter> coder = p.getSchemaRegistry().getSchemaCoder(DeadLetter.class);

    coder.verifyDeterministic();
    CoderProperties.coderSerializable(coder);
    for (DeadLetter letter : new DeadLetter[] {MALFORMED, NOT_UTF8, EMPTY}) {
      CoderProperties.coderDecodeEncodeEqual(coder, letter);
      // Equal values (separate payload arrays) must encode to the same bytes.
      DeadLetter copy =
          DeadLetter.builder()
              .setStage(letter.getStage())
              .setReason(letter.getReason())
              .setDetail(letter.getDetail())
              .setErrorClass(letter.getErrorClass())
              .setPayload(letter.getPayload().clone())
              .setFailedAt(new Instant(letter.getFailedAt().getMillis()))
              .setSource(letter.getSource())
              .build();
      CoderProperties.coderDeterministic(coder, letter, copy);
    }
    // The schema mirrors the wire form; source is the only nullable field.
    assertEquals(
        "[detail, errorClass, failedAt, payload, reason, source, stage]",
        coder.getSchema().getFields().stream()
            .map(f -> f.getName())
            .sorted()
            .collect(java.util.stream.Collectors.toList())
            .toString());
    assertEquals(
        "[source]",
        coder.getSchema().getFields().stream()
            .filter(f -> f.getType().getNullable())
            .map(f -> f.getName())
            .collect(java.util.stream.Collectors.toList())
            .toString());
  }
}
