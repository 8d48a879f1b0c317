package io.beamsuite.transforms.errors;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.joda.time.Instant;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Tests for {@link DeadLetter}, mainly the wire form of {@link DeadLetter#toJson()}. */
@RunWith(JUnit4.class)
public class DeadLetterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS =
      Set.of(
          "stage", "reason", "detail", "error_class", "payload", "payload_encoding", "failed_at");

  // 2024-05-01T10:15:30.123Z
  private static final Instant FAILED_AT = new Instant(1714558530123L);

  private static DeadLetter.Builder letter(byte[] payload) {
    return DeadLetter.builder()
        .setStage("parse-clicks")
        .setReason(DeadLetter.Reasons.MALFORMED_JSON)
        .setDetail("Unexpected end-of-input: \"quoted\" \\ and\nnewline")
        .setErrorClass("com.fasterxml.jackson.core.io.JsonEOFException")
        .setPayload(payload)
        .setFailedAt(FAILED_AT);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  public void detailsAreCappedAtBuildSoNoStageCanStoreAWholeHostilePayloadTwice() {
    String exact = "x".repeat(DeadLetter.MAX_DETAIL_CHARS);
    String longer = exact + "yz";

    assertEquals(exact, letter(new byte[0]).setDetail(exact).build().getDetail());
    assertEquals(exact + "...", letter(new byte[0]).setDetail(longer).build().getDetail());
  }

  @Test
  public void toJsonOfUtf8PayloadKeepsItVerbatimWithSource() throws Exception {
    // JSON metacharacters, a newline, non-ASCII and U+2028 must all survive the embedding.
    String payload = "{\"event_id\":\"caf\u00e9 \u65e5\u672c\u2028\",\n\"x\":\"a\\\"b\"";
    DeadLetter letter =
        letter(payload.getBytes(StandardCharsets.UTF_8))
            .setSource(SourceCoordinates.of("clicks", 3, 9_000_000_000L))
            .build();

    JsonNode json = JSON.readTree(letter.toJson());

    List<String> expectedOrder =
        List.of(
            "stage",
            "reason",
            "detail",
            "error_class",
            "payload",
            "payload_encoding",
            "failed_at",
            "source");
    assertEquals(expectedOrder, fieldNames(json));
    assertEquals("parse-clicks", json.get("stage").textValue());
    assertEquals("malformed_json", json.get("reason").textValue());
    assertEquals(
        "Unexpected end-of-input: \"quoted\" \\ and\nnewline", json.get("detail").textValue());
    assertEquals(
        "com.fasterxml.jackson.core.io.JsonEOFException", json.get("error_class").textValue());
    assertEquals(payload, json.get("payload").textValue());
    assertEquals("utf-8", json.get("payload_encoding").textValue());
    assertEquals("2024-05-01T10:15:30.123Z", json.get("failed_at").textValue());

    JsonNode source = json.get("source");
    assertEquals(List.of("topic", "partition", "offset"), fieldNames(source));
    assertEquals("clicks", source.get("topic").textValue());
    assertTrue(source.get("partition").isInt());
    assertEquals(3, source.get("partition").intValue());
    assertTrue(source.get("offset").isLong());
    assertEquals(9_000_000_000L, source.get("offset").longValue());
  }

  @Test
  public void toJsonWithoutSourceHasNoSourceField() throws Exception {
    DeadLetter letter =
        DeadLetter.builder()
            .setStage("s")
            .setReason(DeadLetter.Reasons.EMPTY_PAYLOAD)
            .setPayload(new byte[0])
            .setFailedAt(new Instant(0L))
            .build();

    JsonNode json = JSON.readTree(letter.toJson());

    assertEquals(FIELDS, Set.copyOf(fieldNames(json)));
    assertFalse(json.has("source"));
    // The builder defaults detail and error_class to empty strings, never null.
    assertEquals("", json.get("detail").textValue());
    assertEquals("", json.get("error_class").textValue());
    assertEquals("", json.get("payload").textValue());
    assertEquals("utf-8", json.get("payload_encoding").textValue());
    // Whole seconds: ISO-8601 without a fraction, always in UTC with Z.
    assertEquals("1970-01-01T00:00:00Z", json.get("failed_at").textValue());
  }

  @Test
  public void toJsonOfInvalidUtf8PayloadIsBase64OfTheExactBytes() throws Exception {
    byte[] payload = {0x7b, 0x22, (byte) 0xC3, 0x28, 0x22, 0x3a, 0x31, 0x7d, (byte) 0xFF, 0x00};
    DeadLetter letter =
        letter(payload).setReason(DeadLetter.Reasons.INVALID_UTF8).setErrorClass("").build();

    JsonNode json = JSON.readTree(letter.toJson());

    assertEquals(FIELDS, Set.copyOf(fieldNames(json)));
    assertEquals("invalid_utf8", json.get("reason").textValue());
    assertEquals("", json.get("error_class").textValue());
    assertEquals("base64", json.get("payload_encoding").textValue());
    assertEquals("eyLDKCI6MX3/AA==", json.get("payload").textValue());
    assertArrayEquals(payload, Base64.getDecoder().decode(json.get("payload").textValue()));
  }

  @Test
  public void payloadUtf8IsStrict() {
    assertEquals(
        "caf\u00e9", letter("caf\u00e9".getBytes(StandardCharsets.UTF_8)).build().payloadUtf8());
    assertEquals("", letter(new byte[0]).build().payloadUtf8());
    // Lenient decoding would turn these into U+FFFD and lose the original bytes.
    assertNull(letter(new byte[] {(byte) 0xC3, 0x28}).build().payloadUtf8());
    assertNull(letter(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}).build().payloadUtf8());
    assertNull(letter("caf\u00e9".getBytes(StandardCharsets.ISO_8859_1)).build().payloadUtf8());
  }

  @Test
  public void equalityComparesPayloadContents() {
    // PAssert and schema round trips rely on value equality, including the byte array.
    DeadLetter a = letter(new byte[] {1, 2, 3}).build();
    DeadLetter b = letter(new byte[] {1, 2, 3}).build();
    DeadLetter c = letter(new byte[] {1, 2, 4}).build();
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, c);
    assertNotEquals(
        a, letter(new byte[] {1, 2, 3}).setSource(SourceCoordinates.of("t", 0, 1L)).build());
  }
}
