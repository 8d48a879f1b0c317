package io.beamsuite.transforms.json;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.errors.DeadLetter.Reasons;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Tests for {@link ParseJson}: every input ends as exactly one parsed value or one dead letter. */
@RunWith(JUnit4.class)
public class ParseJsonTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final String STAGE = "parse-clicks";
  private static final Instant T0 = Instant.parse("2024-05-01T10:15:30Z");
  private static final TestClick VALID_CLICK = new TestClick("e1", "u1", "/home", null, T0, 1500L);
  private static final String VALID = json(validFields());

  // ---------------------------------------------------------------------------------------------
  // Input helpers

  /** The fields of {@link #VALID} as raw JSON values, in a fixed order. */
  private static Map<String, String> validFields() {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("event_id", "\"e1\"");
    fields.put("user_id", "\"u1\"");
    fields.put("page", "\"/home\"");
    fields.put("event_time", "\"2024-05-01T10:15:30Z\"");
    fields.put("duration_ms", "1500");
    return fields;
  }

  private static String json(Map<String, String> fields) {
    return fields.entrySet().stream()
        .map(e -> "\"" + e.getKey() + "\":" + e.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }

  /** {@link #VALID} with {@code field} set to the raw JSON {@code value}, or removed if null. */
  private static String clickWith(String field, @Nullable String value) {
    Map<String, String> fields = validFields();
    if (value == null) {
      fields.remove(field);
    } else {
      fields.put(field, value);
    }
    return json(fields);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    int length = Arrays.stream(parts).mapToInt(b -> b.length).sum();
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  private PCollection<RawRecord> input(String... payloads) {
    return inputRecords(Arrays.stream(payloads).map(RawRecord::utf8).toArray(RawRecord[]::new));
  }

  private PCollection<RawRecord> inputRecords(RawRecord... records) {
    return p.apply("Input", Create.of(Arrays.asList(records)));
  }

  private static ParseJson<TestClick> parseClicks() {
    return ParseJson.of(TestClick.class).withCoder(TestClick.CODER).withStage(STAGE);
  }

  // ---------------------------------------------------------------------------------------------
  // Dead-letter projections, compared with containsInAnyOrder (failedAt is processing time)

  /**
   * The payload as text when it is valid UTF-8 (strict decoding is one-to-one, so equal text means
   * equal bytes), otherwise as base64, so every comparison is byte-exact yet readable.
   */
  static String payloadOf(byte[] payload) {
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

  static String reasonAndPayload(DeadLetter letter) {
    return letter.getReason() + "|" + payloadOf(letter.getPayload());
  }

  static String everything(DeadLetter letter) {
    return String.join(
        "|",
        letter.getStage(),
        letter.getReason(),
        letter.getDetail(),
        letter.getErrorClass(),
        String.valueOf(letter.getSource()),
        payloadOf(letter.getPayload()));
  }

  /** For big payloads: length and SHA-256 identify the bytes without a megabyte-long message. */
  static String reasonAndDigest(DeadLetter letter) {
    return letter.getReason() + "|" + letter.getDetail() + "|" + digest(letter.getPayload());
  }

  static String digest(byte[] payload) {
    try {
      return payload.length
          + ":"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String dl(String reason, String payload) {
    return reason + "|" + payloadOf(utf8(payload));
  }

  private static String dl(String reason, byte[] payload) {
    return reason + "|" + payloadOf(payload);
  }

  private static <T> PCollection<String> project(
      String name, PCollection<T> values, SerializableFunction<T, String> fn) {
    return values.apply(name, MapElements.into(TypeDescriptors.strings()).via(fn));
  }

  private static PCollection<String> reasons(PCollection<DeadLetter> letters) {
    return project("ReasonAndPayload", letters, ParseJsonTest::reasonAndPayload);
  }

  // ---------------------------------------------------------------------------------------------
  // Valid input

  @Test
  public void validRecordsParseExactly() {
    String withReferrer = clickWith("referrer", "\"https://example.com/?q=a%20b\"");
    String unicode =
        clickWith("page", "\"/caf\u00e9/\u65e5\u672c/\\u00e9\"")
            .replace("\"e1\"", "\"e2\"")
            .replace("1500", "-3");
    ParseJson.Result<TestClick> result = input(VALID, withReferrer, unicode).apply(parseClicks());

    PAssert.that(result.parsed())
        .containsInAnyOrder(
            VALID_CLICK,
            new TestClick("e1", "u1", "/home", "https://example.com/?q=a%20b", T0, 1500L),
            new TestClick("e2", "u1", "/caf\u00e9/\u65e5\u672c/\u00e9", null, T0, -3L));
    PAssert.that(result.deadLetters()).empty();
    // The parsed values use the given coder; dead letters their schema, never Java serialization.
    assertSame(TestClick.CODER, result.parsed().getCoder());
    assertThat(result.deadLetters().getCoder(), instanceOf(SchemaCoder.class));
    p.run();
  }

  @Test
  public void keyedBySourceKeepsEachValuesCoordinatesAndDeadLettersAlike() {
    SourceCoordinates line3 = SourceCoordinates.of("clicks/part-0.jsonl", 0, 3);
    ParseJson.Result<KV<SourceCoordinates, TestClick>> result =
        inputRecords(
                RawRecord.of(VALID.getBytes(StandardCharsets.UTF_8), line3),
                RawRecord.utf8(VALID.replace("\"e1\"", "\"e2\"")),
                RawRecord.of("{".getBytes(StandardCharsets.UTF_8), line3))
            .apply(parseClicks().keyedBySource());

    PAssert.that(result.parsed())
        .containsInAnyOrder(
            KV.of(line3, VALID_CLICK),
            KV.of(null, new TestClick("e2", "u1", "/home", null, T0, 1500L)));
    PAssert.that(reasons(result.deadLetters())).containsInAnyOrder(dl(Reasons.MALFORMED_JSON, "{"));
    p.run();
  }

  @Test
  public void unknownFieldsAreIgnoredAndMissingOptionalFieldsDefault() {
    Map<String, String> v2 = validFields();
    v2.put("schema_version", "2");
    v2.put("device", "{\"os\":\"linux\",\"tags\":[1,\"x\",null,{\"deep\":[[]]}]}");
    v2.put("user_id", "\"u2\"");
    String explicitNullReferrer = clickWith("referrer", "null").replace("\"e1\"", "\"e3\"");
    // Unknown fields may come first, before any known one.
    String unknownFirst = "{\"zzz\":[1,2,3]," + VALID.substring(1).replace("\"e1\"", "\"e4\"");

    ParseJson.Result<TestClick> result =
        input(VALID, json(v2), explicitNullReferrer, unknownFirst).apply(parseClicks());

    PAssert.that(result.parsed())
        .containsInAnyOrder(
            VALID_CLICK,
            new TestClick("e1", "u2", "/home", null, T0, 1500L),
            new TestClick("e3", "u1", "/home", null, T0, 1500L),
            new TestClick("e4", "u1", "/home", null, T0, 1500L));
    PAssert.that(result.deadLetters()).empty();
    p.run();
  }

  // ---------------------------------------------------------------------------------------------
  // Malformed documents

  @Test
  public void malformedJsonIsDeadLettered() {
    String truncatedAfterValue = VALID.substring(0, VALID.length() - 1);
    String truncatedInsideKnownString = VALID.substring(0, VALID.indexOf("/home") + 3);
    String truncatedInsideFieldName = VALID.substring(0, 6);
    String badEscapeInKnownField = clickWith("page", "\"/h\\qme\"");
    String[] payloads = {
      truncatedAfterValue,
      truncatedInsideKnownString,
      truncatedInsideFieldName,
      "{",
      "hello",
      "<click id=\"1\"/>",
      "{'event_id':'e1'}",
      "{event_id:\"e1\"}",
      VALID.replace("1500", "1500,"),
      VALID.replace("1500", "NaN"),
      badEscapeInKnownField,
      // Trailing garbage after a complete object.
      VALID + " x",
      VALID + "}",
      VALID + "{}",
      VALID + " 42",
      VALID + VALID,
    };
    ParseJson.Result<TestClick> result = input(payloads).apply(parseClicks());

    PAssert.that(result.parsed()).empty();
    PAssert.that(reasons(result.deadLetters()))
        .containsInAnyOrder(
            Arrays.stream(payloads).map(s -> dl(Reasons.MALFORMED_JSON, s)).toArray(String[]::new));
    p.run();
  }

  @Test
  public void topLevelValuesThatAreNotObjectsAreDeadLettered() {
    String[] payloads = {"[1,2]", "[]", "[" + VALID + "]", "42", "-1.5", "\"a string\"", "true"};
    ParseJson.Result<TestClick> result = input(payloads).apply(parseClicks());

    PAssert.that(result.parsed()).empty();
    PAssert.that(reasons(result.deadLetters()))
        .containsInAnyOrder(
            Arrays.stream(payloads).map(s -> dl(Reasons.NOT_AN_OBJECT, s)).toArray(String[]::new));
    p.run();
  }

  @Test
  public void jsonNullLiteralIsNotAnObject() {
    // Jackson returns null rather than failing; ParseJson names the problem itself.
    ParseJson.Result<TestClick> result = input("null", " null\n").apply(parseClicks());

    PAssert.that(result.parsed()).empty();
    String prefix = STAGE + "|" + Reasons.NOT_AN_OBJECT + "|JSON null is not a TestClick||null|";
    PAssert.that(project("Everything", result.deadLetters(), ParseJsonTest::everything))
        .containsInAnyOrder(prefix + "null", prefix + " null\n");
    p.run();
  }

  // ---------------------------------------------------------------------------------------------
  // Fields

  @Test
  public void missingOrNullRequiredFieldsAreDeadLettered() {
    String[] payloads = {
      clickWith("user_id", null),
      clickWith("event_id", null),
      clickWith("event_time", null),
      clickWith("duration_ms", null),
      "{}",
      "{\"referrer\":\"x\"}",
      // An explicit null is no value either (Jackson alone would pass it to the constructor).
      clickWith("event_id", "null"),
      clickWith("user_id", "null"),
      clickWith("page", "null"),
      clickWith("event_time", "null"),
      clickWith("duration_ms", "null"),
    };
    ParseJson.Result<TestClick> result = input(payloads).apply(parseClicks());

    PAssert.that(result.parsed()).empty();
    PAssert.that(reasons(result.deadLetters()))
        .containsInAnyOrder(
            Arrays.stream(payloads)
                .map(s -> dl(Reasons.MISSING_REQUIRED_FIELD, s))
                .toArray(String[]::new));
    p.run();
  }

  @Test
  public void wrongTypesAreDeadLettered() {
    String[] payloads = {
      clickWith("duration_ms", "\"1500\""), // string for a number
      clickWith("duration_ms", "{\"ms\":1500}"), // object for a number
      clickWith("duration_ms", "[1500]"),
      clickWith("duration_ms", "true"),
      clickWith("duration_ms", "15.5"), // fraction for a long
      clickWith("duration_ms", "1.0"),
      clickWith("duration_ms", "1e3"),
      clickWith("duration_ms", "99999999999999999999"), // out of range of long
      clickWith("event_time", "\"yesterday\""), // bad timestamps
      clickWith("event_time", "\"2024-02-30T10:15:30Z\""),
      clickWith("event_time", "\"\""),
      clickWith("event_time", "{\"seconds\":1}"),
      clickWith("page", "{\"path\":\"/home\"}"),
      clickWith("page", "[\"/home\"]"),
      clickWith("page", "42"), // number for a string
      clickWith("page", "false"), // boolean for a string
    };
    ParseJson.Result<TestClick> result = input(payloads).apply(parseClicks());

    PAssert.that(result.parsed()).empty();
    PAssert.that(reasons(result.deadLetters()))
        .containsInAnyOrder(
            Arrays.stream(payloads).map(s -> dl(Reasons.WRONG_TYPE, s)).toArray(String[]::new));
    p.run();
  }

  @Test
  public void wrongTypeDetailNamesTheField() {
    String payload = clickWith("duration_ms", "15.5");
    ParseJson.Result<TestClick> result = input(payload).apply(parseClicks());

    PAssert.that(project("Detail", result.deadLetters(), DeadLetter::getDetail))
        .satisfies(
            details -> {
              List<String> all = new ArrayList<>();
              details.forEach(all::add);
              assertEquals(1, all.size());
              assertThat(
                  all.get(0),
                  startsWith("at " + TestClick.class.getName() + "[\"duration_ms\"]: "));
              assertThat(all.get(0), containsString("(15.5)"));
              return null;
            });
    PAssert.that(
            project(
                "ErrorClass",
                result.deadLetters(),
                letter -> letter.getReason() + "|" + letter.getErrorClass()))
        .containsInAnyOrder(
            Reasons.WRONG_TYPE + "|com.fasterxml.jackson.databind.exc.InvalidFormatException");
    p.run();
  }

  @Test
  public void valuesRefusedByTheConstructorAreInvalidValues() {
    String blank = clickWith("user_id", "\"   \"");
    String empty = clickWith("user_id", "\"\"");
    ParseJson.Result<TestClick> result = input(blank, empty, VALID).apply(parseClicks());

    PAssert.that(result.parsed()).containsInAnyOrder(VALID_CLICK);
    String prefix =
        STAGE
            + "|"
            + Reasons.INVALID_VALUE
            + "|user_id must not be blank"
            + "|com.fasterxml.jackson.databind.exc.ValueInstantiationException|null|";
    PAssert.that(project("Everything", result.deadLetters(), ParseJsonTest::everything))
        .containsInAnyOrder(prefix + blank, prefix + empty);
    p.run();
  }

  // ---------------------------------------------------------------------------------------------
  // Bytes

  @Test
  public void payloadSizeLimitIsExact() {
    int limit = 64 * 1024;
    String atLimit = paddedClick("e-at-limit", limit);
    String overByOne = paddedClick("e-over", limit + 1);
    String huge = paddedClick("e-huge", 3 * 1024 * 1024);

    PCollection<RawRecord> records = input(atLimit, overByOne, huge);
    ParseJson.Result<TestClick> limited =
        records.apply("Limited", parseClicks().withMaxPayloadBytes(limit));
    // Under the default limit of 1 MiB the 64 KiB + 1 record is fine.
    ParseJson.Result<TestClick> byDefault = records.apply("Default", parseClicks());

    PAssert.that(project("Ids", limited.parsed(), click -> click.eventId))
        .containsInAnyOrder("e-at-limit");
    PAssert.that(project("Referrers", limited.parsed(), click -> digest(utf8(click.referrer))))
        .containsInAnyOrder(digest(utf8(referrerOf(atLimit))));
    PAssert.that(project("TooLarge", limited.deadLetters(), ParseJsonTest::reasonAndDigest))
        .containsInAnyOrder(
            Reasons.PAYLOAD_TOO_LARGE
                + "|"
                + (limit + 1)
                + " bytes exceeds the limit of "
                + limit
                + "|"
                + digest(utf8(overByOne)),
            Reasons.PAYLOAD_TOO_LARGE
                + "|"
                + utf8(huge).length
                + " bytes exceeds the limit of "
                + limit
                + "|"
                + digest(utf8(huge)));
    PAssert.that(project("DefaultIds", byDefault.parsed(), click -> click.eventId))
        .containsInAnyOrder("e-at-limit", "e-over");
    PAssert.that(
            project("DefaultTooLarge", byDefault.deadLetters(), ParseJsonTest::reasonAndDigest))
        .containsInAnyOrder(
            Reasons.PAYLOAD_TOO_LARGE
                + "|"
                + utf8(huge).length
                + " bytes exceeds the limit of "
                + ParseJson.DEFAULT_MAX_PAYLOAD_BYTES
                + "|"
                + digest(utf8(huge)));
    p.run();
  }

  /** A valid click of exactly {@code size} UTF-8 bytes, padded in the referrer. */
  private static String paddedClick(String eventId, int size) {
    String empty = clickWith("referrer", "\"\"").replace("\"e1\"", "\"" + eventId + "\"");
    String padded =
        clickWith("referrer", "\"" + "r".repeat(size - utf8(empty).length) + "\"")
            .replace("\"e1\"", "\"" + eventId + "\"");
    assertEquals(size, utf8(padded).length);
    return padded;
  }

  private static String referrerOf(String click) {
    int start = click.indexOf("\"referrer\":\"") + "\"referrer\":\"".length();
    return click.substring(start, click.indexOf('"', start));
  }

  @Test
  public void invalidUtf8IsDeadLetteredWithTheExactBytes() {
    byte[][] payloads = {
      bytes(0x7b, 0x22, 0xC3, 0x28, 0x22, 0x3a, 0x31, 0x7d), // {"<bad 2-byte seq>":1}
      bytes(0xC0, 0xAF), // overlong "/"
      bytes(0xED, 0xA0, 0x80), // UTF-16 surrogate encoded in UTF-8
      bytes(0xFF, 0xFE, 0x7b, 0x00, 0x7d, 0x00), // UTF-16LE with BOM
      concat(utf8(VALID.substring(0, VALID.length() - 1)), bytes(0xE6, 0x97)), // cut mid-char
      clickWith("page", "\"/caf\u00e9\"").getBytes(StandardCharsets.ISO_8859_1), // Latin-1
    };
    RawRecord[] records = Arrays.stream(payloads).map(RawRecord::of).toArray(RawRecord[]::new);
    ParseJson.Result<TestClick> result = inputRecords(records).apply(parseClicks());

    PAssert.that(result.parsed()).empty();
    PAssert.that(project("Everything", result.deadLetters(), ParseJsonTest::everything))
        .containsInAnyOrder(
            Arrays.stream(payloads)
                .map(
                    b ->
                        STAGE
                            + "|"
                            + Reasons.INVALID_UTF8
                            + "|payload is not valid UTF-8"
                            + "|java.nio.charset.MalformedInputException|null|base64:"
                            + Base64.getEncoder().encodeToString(b))
                .toArray(String[]::new));
    p.run();
  }

  @Test
  public void emptyAndWhitespacePayloadsAreDeadLettered() {
    byte[][] payloads = {new byte[0], utf8(" "), utf8("\n"), utf8(" \t\r\n ")};
    ParseJson.Result<TestClick> result =
        inputRecords(Arrays.stream(payloads).map(RawRecord::of).toArray(RawRecord[]::new))
            .apply(parseClicks());

    PAssert.that(result.parsed()).empty();
    PAssert.that(project("Everything", result.deadLetters(), ParseJsonTest::everything))
        .containsInAnyOrder(
            Arrays.stream(payloads)
                .map(
                    b ->
                        STAGE
                            + "|"
                            + Reasons.EMPTY_PAYLOAD
                            + "|payload is empty||null|"
                            + payloadOf(b))
                .toArray(String[]::new));
    p.run();
  }

  // ---------------------------------------------------------------------------------------------
  // Nesting

  @Test
  public void nestingBeyondTheLimitIsMalformedNotACrash() {
    // The top-level object is depth 1, so 63 nested arrays make exactly the allowed depth of 64.
    String atLimit = clickWith("extra", "[".repeat(63) + "]".repeat(63)).replace("e1", "deep63");
    String overLimit = clickWith("extra", "[".repeat(64) + "]".repeat(64));
    String veryDeepArrays = clickWith("extra", "[".repeat(100_000) + "]".repeat(100_000));
    String veryDeepObjects =
        clickWith("extra", "{\"a\":".repeat(20_000) + "1" + "}".repeat(20_000));
    String unclosed = clickWith("extra", "[".repeat(50_000));
    // A top-level array is refused as a non-object before the parser descends into it.
    String topLevelDeepArray = "[".repeat(100_000) + "]".repeat(100_000);

    ParseJson.Result<TestClick> result =
        input(atLimit, overLimit, veryDeepArrays, veryDeepObjects, unclosed, topLevelDeepArray)
            .apply(parseClicks());

    PAssert.that(result.parsed())
        .containsInAnyOrder(new TestClick("deep63", "u1", "/home", null, T0, 1500L));
    String constraint = "com.fasterxml.jackson.core.exc.StreamConstraintsException";
    PAssert.that(
            project(
                "ReasonClassPayload",
                result.deadLetters(),
                letter ->
                    letter.getReason()
                        + "|"
                        + letter.getErrorClass()
                        + "|"
                        + digest(letter.getPayload())))
        .containsInAnyOrder(
            Reasons.MALFORMED_JSON + "|" + constraint + "|" + digest(utf8(overLimit)),
            Reasons.MALFORMED_JSON + "|" + constraint + "|" + digest(utf8(veryDeepArrays)),
            Reasons.MALFORMED_JSON + "|" + constraint + "|" + digest(utf8(veryDeepObjects)),
            Reasons.MALFORMED_JSON + "|" + constraint + "|" + digest(utf8(unclosed)),
            Reasons.NOT_AN_OBJECT
                + "|com.fasterxml.jackson.databind.exc.MismatchedInputException|"
                + digest(utf8(topLevelDeepArray)));
    p.run();
  }

  // ---------------------------------------------------------------------------------------------
  // Stage and source coordinates

  @Test
  public void deadLettersCarryStageAndSourceCoordinates() {
    SourceCoordinates at4711 = SourceCoordinates.of("clicks", 3, 4711L);
    SourceCoordinates at0 = SourceCoordinates.of("clicks", 0, 0L);
    RawRecord malformed = RawRecord.of(utf8("{\"event_id\":"), at4711);
    RawRecord empty = RawRecord.of(new byte[0], at0);
    RawRecord noSource = RawRecord.utf8("[]");
    RawRecord valid = RawRecord.of(utf8(VALID), SourceCoordinates.of("clicks", 1, 9L));

    PCollection<RawRecord> records = inputRecords(malformed, empty, noSource, valid);
    ParseJson.Result<TestClick> named =
        records.apply(
            "Named",
            ParseJson.of(TestClick.class).withCoder(TestClick.CODER).withStage("clicks-v1"));
    ParseJson.Result<TestClick> unnamed =
        records.apply("Unnamed", ParseJson.of(TestClick.class).withCoder(TestClick.CODER));

    PAssert.that(named.parsed()).containsInAnyOrder(VALID_CLICK);
    PAssert.that(
            project(
                "NamedLetters",
                named.deadLetters(),
                letter ->
                    letter.getStage()
                        + "|"
                        + letter.getReason()
                        + "|"
                        + letter.getSource()
                        + "|"
                        + payloadOf(letter.getPayload())))
        .containsInAnyOrder(
            "clicks-v1|" + Reasons.MALFORMED_JSON + "|" + at4711 + "|{\"event_id\":",
            "clicks-v1|" + Reasons.EMPTY_PAYLOAD + "|" + at0 + "|",
            "clicks-v1|" + Reasons.NOT_AN_OBJECT + "|null|[]");
    // Without withStage the stage is parse-<SimpleName>.
    PAssert.that(project("UnnamedStages", unnamed.deadLetters(), DeadLetter::getStage))
        .containsInAnyOrder("parse-TestClick", "parse-TestClick", "parse-TestClick");
    p.run();
  }

  // ---------------------------------------------------------------------------------------------
  // Reconciliation

  @Test
  public void countsAndMetricsReconcile() {
    String[] payloads = {
      VALID,
      clickWith("referrer", "\"r\"").replace("e1", "e2"),
      clickWith("unknown", "[1]").replace("e1", "e3"),
      "{",
      VALID + "{}",
      "[]",
      "null",
      clickWith("page", null),
      clickWith("page", "null"),
      clickWith("duration_ms", "1.5"),
      clickWith("user_id", "\" \""),
      "",
      "  ",
    };
    int n = payloads.length + 2;
    RawRecord[] records = new RawRecord[n];
    for (int i = 0; i < payloads.length; i++) {
      records[i] = RawRecord.utf8(payloads[i]);
    }
    records[n - 2] = RawRecord.of(bytes(0x7b, 0xC3, 0x28, 0x7d));
    records[n - 1] = RawRecord.utf8(clickWith("referrer", "\"" + "x".repeat(300) + "\""));

    ParseJson.Result<TestClick> result =
        inputRecords(records).apply(parseClicks().withMaxPayloadBytes(256));

    PAssert.thatSingleton(result.parsed().apply("CountParsed", Count.globally())).isEqualTo(3L);
    PAssert.thatSingleton(result.deadLetters().apply("CountDead", Count.globally()))
        .isEqualTo((long) n - 3);
    PipelineResult run = p.run();
    run.waitUntilFinish();

    Map<String, Long> counters = new HashMap<>();
    for (MetricResult<Long> counter :
        run.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(ParseJson.class))
                    .build())
            .getCounters()) {
      counters.merge(counter.getName().getName(), counter.getCommitted(), Long::sum);
    }
    Map<String, Long> expected = new HashMap<>();
    expected.put("records_in", (long) n);
    expected.put("parsed", 3L);
    expected.put("dead_letters", (long) n - 3);
    expected.put("dead_letters_" + Reasons.MALFORMED_JSON, 2L);
    expected.put("dead_letters_" + Reasons.NOT_AN_OBJECT, 2L);
    expected.put("dead_letters_" + Reasons.MISSING_REQUIRED_FIELD, 2L);
    expected.put("dead_letters_" + Reasons.WRONG_TYPE, 1L);
    expected.put("dead_letters_" + Reasons.INVALID_VALUE, 1L);
    expected.put("dead_letters_" + Reasons.EMPTY_PAYLOAD, 2L);
    expected.put("dead_letters_" + Reasons.INVALID_UTF8, 1L);
    expected.put("dead_letters_" + Reasons.PAYLOAD_TOO_LARGE, 1L);
    assertEquals(expected, counters);
    assertEquals(n, counters.get("parsed") + counters.get("dead_letters"));
  }

  // ---------------------------------------------------------------------------------------------
  // Coders and construction

  @Test
  public void schemaClassGetsItsSchemaCoderAndNullsNeverReachIt() {
    String valid = "{\"page_id\":\"p1\",\"title\":\"Home\",\"ignored\":true}";
    String nullTitle = "{\"page_id\":\"p1\",\"title\":null}";
    String missingTitle = "{\"page_id\":\"p1\"}";
    ParseJson.Result<TestPage> result =
        input(valid, nullTitle, missingTitle).apply(ParseJson.of(TestPage.class));

    assertThat(result.parsed().getCoder(), instanceOf(SchemaCoder.class));
    PAssert.that(result.parsed()).containsInAnyOrder(new TestPage("p1", "Home", null));
    // A null title would fail the non-nullable schema field at encoding and stop the pipeline.
    PAssert.that(reasons(result.deadLetters()))
        .containsInAnyOrder(
            dl(Reasons.MISSING_REQUIRED_FIELD, nullTitle),
            dl(Reasons.MISSING_REQUIRED_FIELD, missingTitle));
    p.run();
  }

  /** Has no Beam schema; only Java serialization could encode it. */
  static final class SerializableOnly implements Serializable {
    private static final long serialVersionUID = 1L;
    final String id;

    @JsonCreator
    SerializableOnly(@JsonProperty("id") String id) {
      this.id = id;
    }
  }

  /** Has neither a schema nor any coder. */
  static final class NoCoder {
    final String id;

    @JsonCreator
    NoCoder(@JsonProperty("id") String id) {
      this.id = id;
    }
  }

  @Test
  public void classesWithoutAnEfficientCoderAreRejectedAtConstruction() {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<RawRecord> records = pipeline.apply(Create.of(RawRecord.utf8("{\"id\":\"a\"}")));

    IllegalStateException serializable =
        assertThrows(
            IllegalStateException.class,
            () -> records.apply("Serializable", ParseJson.of(SerializableOnly.class)));
    assertThat(serializable.getMessage(), containsString("Only Java serialization"));
    assertThat(serializable.getMessage(), containsString(SerializableOnly.class.getName()));

    IllegalStateException none =
        assertThrows(
            IllegalStateException.class,
            () -> records.apply("NoCoder", ParseJson.of(NoCoder.class)));
    assertThat(none.getMessage(), containsString("No coder for " + NoCoder.class.getName()));
  }

  @Test
  public void invalidOptionsAreRejected() {
    ParseJson<TestClick> parse = ParseJson.of(TestClick.class);
    assertThrows(IllegalArgumentException.class, () -> parse.withMaxPayloadBytes(0));
    assertThrows(IllegalArgumentException.class, () -> parse.withMaxPayloadBytes(-1));
    assertThrows(IllegalArgumentException.class, () -> parse.withStage(""));
    assertThrows(IllegalArgumentException.class, () -> parse.withStage("  "));
    assertThrows(IllegalArgumentException.class, () -> parse.withStage(null));
    assertThrows(IllegalArgumentException.class, () -> ParseJson.of(null));
    assertThrows(IllegalArgumentException.class, () -> parse.withCoder(null));
    // The smallest legal limit is accepted.
    parse.withMaxPayloadBytes(1);
  }
}
