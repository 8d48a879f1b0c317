package io.beamsuite.transforms.json;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/**
 * {@link IsoInstants} against its oracle, {@code java.time.Instant.parse}: the same value or the
 * same refusal for generated instants over years 0000–9999 with 0–9 fraction digits, and for text
 * at and beyond every edge of the fast path.
 */
public class IsoInstantsTest {
  private static final List<String> EDGES =
      List.of(
          "2026-01-05T10:00:10Z",
          "2026-01-05T10:00:10.5Z",
          "2026-01-05T10:00:10.123Z",
          "2026-01-05T10:00:10.123456789Z",
          "2026-01-05T10:00:10.1234567891Z", // 10 fraction digits
          "2026-01-05T10:00:10.Z",
          "2024-02-29T00:00:00Z",
          "2023-02-29T00:00:00Z",
          "2000-02-29T23:59:59.999Z",
          "1900-02-29T00:00:00Z",
          "2026-04-31T00:00:00Z",
          "2026-13-01T00:00:00Z",
          "2026-00-10T00:00:00Z",
          "2026-01-00T00:00:00Z",
          "2026-01-01T24:00:00Z",
          "2026-12-31T23:59:60Z", // leap second: Instant.parse's own rule
          "2026-01-01T10:60:00Z",
          "0000-01-01T00:00:00Z",
          "9999-12-31T23:59:59.999Z",
          "1969-12-31T23:59:59.999Z",
          "+12026-01-01T00:00:00Z",
          "-0001-01-01T00:00:00Z",
          "2026-01-01T10:00:00+01:00",
          "2026-01-01T10:00:00+00:00",
          "2026-01-01T10:00:00",
          "2026-01-01 10:00:00Z",
          "2026-01-01t10:00:00z",
          "2026-01-01T10:00:00ZZ",
          " 2026-01-01T10:00:00Z",
          "2026-01-01T10:00:00Z ",
          "２０２６-01-01T10:00:00Z",
          "2026-1-01T10:00:00Z",
          "",
          "not a time");

  @Test
  public void edgesMatchInstantParse() {
    for (String text : EDGES) {
      assertSameOutcome(text);
    }
  }

  @Test
  public void generatedInstantsMatchInstantParse() {
    Random random = new Random(20261206L);
    long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      long second = min + (long) (random.nextDouble() * (max - min));
      int nanos = random.nextInt(1_000_000_000);
      int fractionDigits = random.nextInt(10);
      String plain =
          DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(second)).replace("Z", "");
      String fraction =
          fractionDigits == 0
              ? ""
              : "." + String.format("%09d", nanos).substring(0, fractionDigits);
      assertSameOutcome(plain + fraction + "Z");
    }
  }

  @Test
  public void theTolerantMapperReadsInstantsAsJacksonsDeserializerDoes() throws Exception {
    ObjectMapper tolerant = TolerantJson.newMapper();
    // The same settings with Jackson's own Instant deserializer registered last, so it wins.
    ObjectMapper reference =
        TolerantJson.newMapper()
            .registerModule(
                new SimpleModule("JacksonInstant")
                    .addDeserializer(Instant.class, InstantDeserializer.INSTANT));
    List<String> values = new ArrayList<>();
    for (String text : EDGES) {
      values.add("\"" + text + "\"");
    }
    values.addAll(List.of("1767607210", "1767607210.5", "null"));
    for (String json : values) {
      assertEquals(
          json,
          outcome(() -> reference.readValue(json, Instant.class)),
          outcome(() -> tolerant.readValue(json, Instant.class)));
    }
  }

  private static void assertSameOutcome(String text) {
    assertEquals(
        text,
        outcome(() -> Instant.parse(text).toEpochMilli()),
        outcome(() -> IsoInstants.parseMillis(text)));
  }

  private interface Call {
    Object call() throws Exception;
  }

  /** The value, or the class of what was thrown. */
  private static String outcome(Call call) {
    try {
      return String.valueOf(call.call());
    } catch (Exception e) {
      return e.getClass().getName();
    }
  }
}
