package io.beamsuite.io.jdbc;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link DeadLetterJdbcSink} against a real PostgreSQL 17. */
@RunWith(JUnit4.class)
public class DeadLetterJdbcSinkTest {
  private static EmbeddedPostgres pg;
  private static JdbcConnectionSpec db;

  @BeforeClass
  public static void startPostgres() {
    pg = new EmbeddedPostgres().start();
    db = JdbcConnectionSpec.of(pg.jdbcUrl(), pg.user());
  }

  @AfterClass
  public static void stopPostgres() {
    JdbcConnectionSpec.closeAllPools();
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  public void writesExactRowsIncludingInvalidUtf8Payloads() throws Exception {
    byte[] invalidUtf8 = {(byte) 0xC3, 0x28, (byte) 0xFF, 0x00, 'x'};
    DeadLetter binary =
        DeadLetter.builder()
            .setStage("parse-clicks")
            .setReason(DeadLetter.Reasons.INVALID_UTF8)
            .setDetail("payload is not valid UTF-8")
            .setErrorClass("java.nio.charset.MalformedInputException")
            .setPayload(invalidUtf8)
            .setFailedAt(Instant.parse("2026-11-23T10:15:30.123Z"))
            .setSource(SourceCoordinates.of("clicks", 3, 4711L))
            .build();
    DeadLetter text =
        DeadLetter.builder()
            .setStage("enrich")
            .setReason("lookup_failed")
            .setPayload(
                "{\"event_id\":\"e1'); DROP TABLE dead_letters; --\"}"
                    .getBytes(StandardCharsets.UTF_8))
            .setFailedAt(Instant.parse("2026-11-23T10:16:00Z"))
            .build();
    Pipeline p = Db.pipeline();
    JdbcUpsertSink.Result result =
        p.apply(Create.of(List.of(binary, text)).withCoder(DeadLetter.coder()))
            .apply(DeadLetterJdbcSink.to(db));
    PAssert.that(result.failures()).empty();
    p.run().waitUntilFinish();

    assertEquals(
        List.of(
            "enrich|lookup_failed|||2026-11-23 10:16:00+00|null|null|null",
            "parse-clicks|invalid_utf8|payload is not valid"
                + " UTF-8|java.nio.charset.MalformedInputException|2026-11-23"
                + " 10:15:30.123+00|clicks|3|4711"),
        Db.rows(
            pg,
            "SELECT stage, reason, detail, error_class, failed_at, source_topic,"
                + " source_partition, source_offset FROM dead_letters ORDER BY stage"));
    List<byte[]> payloads = new ArrayList<>();
    try (Connection c = pg.connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT payload FROM dead_letters ORDER BY stage")) {
      while (rs.next()) {
        payloads.add(rs.getBytes(1));
      }
    }
    assertEquals(2, payloads.size());
    assertArrayEquals(text.getPayload(), payloads.get(0));
    assertArrayEquals(invalidUtf8, payloads.get(1));
    assertEquals(
        List.of("timestamp with time zone", "bytea"), // failed_at, payload
        Db.rows(
            pg,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid ="
                + " 'dead_letters'::regclass AND attname IN ('payload', 'failed_at') ORDER BY"
                + " attname"));
  }

  @Test
  public void aReplayedDeadLetterIsStoredOncePerStageAndSourcePosition() throws Exception {
    Db.execute(pg, "DROP TABLE IF EXISTS replayed_letters");
    DeadLetter atOffset7 = letter("parse-clicks", SourceCoordinates.of("clicks", 0, 7L));
    DeadLetter sameOffsetOtherStage = letter("parse-orders", SourceCoordinates.of("clicks", 0, 7L));
    DeadLetter otherPartition = letter("parse-clicks", SourceCoordinates.of("clicks", 1, 7L));
    DeadLetter withoutSource = letter("enrich", null);
    List<DeadLetter> input =
        List.of(atOffset7, sameOffsetOtherStage, otherPartition, withoutSource);
    // The same input three times, as a restart from a checkpoint or a replay of the topic sends it.
    for (int run = 0; run < 3; run++) {
      Pipeline p = Db.pipeline();
      JdbcUpsertSink.Result result =
          p.apply(Create.of(input).withCoder(DeadLetter.coder()))
              .apply(DeadLetterJdbcSink.to(db).withTable("replayed_letters"));
      PAssert.that(result.failures()).empty();
      p.run().waitUntilFinish();
    }
    assertEquals(
        List.of(
            "enrich|null|null|null|3",
            "parse-clicks|clicks|0|7|1",
            "parse-clicks|clicks|1|7|1",
            "parse-orders|clicks|0|7|1"),
        Db.rows(
            pg,
            "SELECT stage, source_topic, source_partition, source_offset, count(*) FROM"
                + " replayed_letters GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3"));
  }

  @Test
  public void aTableThatAlreadyHoldsRepeatsIsRefusedWithAClearMessage() throws Exception {
    // As left by a version that appended replayed dead letters.
    Db.execute(
        pg,
        "DROP TABLE IF EXISTS old_letters",
        "CREATE TABLE old_letters (stage text, reason text, detail text, error_class text, payload"
            + " bytea, failed_at timestamptz, source_topic text, source_partition integer,"
            + " source_offset bigint)",
        "INSERT INTO old_letters (stage, reason, source_topic, source_partition, source_offset)"
            + " VALUES ('parse', 'malformed_json', 'clicks', 0, 1), ('parse', 'malformed_json',"
            + " 'clicks', 0, 1)");
    Pipeline p = Db.pipeline();
    p.apply(
            Create.of(List.of(letter("parse", SourceCoordinates.of("clicks", 0, 2L))))
                .withCoder(DeadLetter.coder()))
        .apply(DeadLetterJdbcSink.to(db).withTable("old_letters"));
    // DoFn setup fails; the DirectRunner wraps that in a Guava exception, so look at the chain.
    RuntimeException failure =
        assertThrows(RuntimeException.class, () -> p.run().waitUntilFinish());
    StringBuilder messages = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      messages.append(t.getMessage()).append('\n');
    }
    assertTrue(messages.toString(), messages.toString().contains("already holds rows that repeat"));
    assertEquals(List.of("2"), Db.rows(pg, "SELECT count(*) FROM old_letters"));
  }

  private static DeadLetter letter(String stage, SourceCoordinates source) {
    DeadLetter.Builder builder =
        DeadLetter.builder()
            .setStage(stage)
            .setReason(DeadLetter.Reasons.MALFORMED_JSON)
            .setPayload("{not json".getBytes(StandardCharsets.UTF_8))
            .setFailedAt(Instant.parse("2026-11-24T05:00:00Z"));
    return source == null ? builder.build() : builder.setSource(source).build();
  }
}
