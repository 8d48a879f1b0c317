package io.beamsuite.io.jdbc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.transforms.errors.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link JdbcUpsertSink} against a real PostgreSQL 17. */
@RunWith(JUnit4.class)
public class JdbcUpsertSinkTest {
  private static EmbeddedPostgres pg;
  private static JdbcConnectionSpec db;

  @BeforeClass
  public static void startPostgres() {
    pg = new EmbeddedPostgres().start();
    db = JdbcConnectionSpec.of(pg.jdbcUrl(), pg.user()).withPassword("s3cret-never-logged");
  }

  @AfterClass
  public static void stopPostgres() {
    JdbcConnectionSpec.closeAllPools();
    if (pg != null) {
      pg.close();
    }
  }

  private static JdbcUpsertSink<TestCustomer> sink(String table) {
    return JdbcUpsertSink.<TestCustomer>to(db, table)
        .withColumn("customer_id", "text", c -> c.id)
        .withColumn("name", "text", c -> c.name)
        .withColumn("tier", "text", c -> c.tier)
        .withColumn("credit_limit_cents", "bigint", c -> c.limitCents)
        .withKey("customer_id")
        .withBatchSize(2)
        .withRetries(4, Duration.millis(20));
  }

  private static PipelineResult write(
      String table, List<TestCustomer> rows, List<String> expectedFailureReasons) {
    Pipeline p = Db.pipeline();
    JdbcUpsertSink.Result result =
        p.apply(Create.of(rows).withCoder(SerializableCoder.of(TestCustomer.class)))
            .apply(sink(table));
    PAssert.that(
            result
                .failures()
                .apply(MapElements.into(TypeDescriptors.strings()).via(DeadLetter::getReason)))
        .containsInAnyOrder(expectedFailureReasons);
    PipelineResult run = p.run();
    run.waitUntilFinish();
    return run;
  }

  private static String table(String name) throws Exception {
    return String.join(
        "\n",
        Db.rows(
            pg,
            "SELECT customer_id, name, tier, credit_limit_cents FROM "
                + name
                + " ORDER BY customer_id"));
  }

  @Test
  public void sameInputTwiceLeavesSameTableAndUpdatesOverwriteByKey() throws Exception {
    List<TestCustomer> rows =
        List.of(
            new TestCustomer("c1", "Ada", "gold", 100_000),
            new TestCustomer("c2", "Bob", "silver", 50_000),
            new TestCustomer("c3", "Cy", "bronze", 10_000));
    write("upsert_idem", rows, List.of());
    String expected = "c1|Ada|gold|100000\nc2|Bob|silver|50000\nc3|Cy|bronze|10000";
    assertEquals(expected, table("upsert_idem"));

    PipelineResult again = write("upsert_idem", rows, List.of());
    assertEquals(expected, table("upsert_idem"));
    assertEquals(3, Db.counter(again, JdbcUpsertSink.class, "rows_written"));
    assertEquals(0, Db.counter(again, JdbcUpsertSink.class, "failures"));

    write(
        "upsert_idem",
        List.of(
            new TestCustomer("c2", "Bob", "gold", 75_000),
            new TestCustomer("c4", "Di", "silver", 20_000)),
        List.of());
    assertEquals(
        "c1|Ada|gold|100000\nc2|Bob|gold|75000\nc3|Cy|bronze|10000\nc4|Di|silver|20000",
        table("upsert_idem"));
    // Created on demand with the key as primary key.
    assertEquals(
        List.of("upsert_idem_pkey|PRIMARY KEY (customer_id)"),
        Db.rows(
            pg,
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                + " WHERE conrelid = 'upsert_idem'::regclass"));
  }

  /** "user|start|end|clicks", times as ISO instants. */
  private static void writeSessions(String... rows) {
    Pipeline p = Db.pipeline();
    p.apply(Create.of(List.of(rows)).withCoder(StringUtf8Coder.of()))
        .apply(
            JdbcUpsertSink.<String>to(db, "upsert_sessions")
                .withColumn("user_id", "text", r -> r.split("\\|")[0])
                .withColumn("session_start", "timestamptz", r -> Instant.parse(r.split("\\|")[1]))
                .withColumn("session_end", "timestamptz", r -> Instant.parse(r.split("\\|")[2]))
                .withColumn("clicks", "bigint", r -> Long.parseLong(r.split("\\|")[3]))
                .withKey("user_id", "session_start")
                .withSupersededRanges("session_start", "session_end"));
    p.run().waitUntilFinish();
  }

  /** "user|start|end|clicks" of every stored session, in order. */
  private static List<String> sessionRows() throws Exception {
    return Db.rows(
        pg,
        "SELECT user_id, session_start AT TIME ZONE 'UTC' || '+00',"
            + " session_end AT TIME ZONE 'UTC' || '+00', clicks"
            + " FROM upsert_sessions ORDER BY user_id, session_start");
  }

  private static final List<String> MERGED_SESSIONS =
      List.of(
          "u|2024-01-01 10:00:00+00|2024-01-01 11:20:00+00|5",
          "u|2024-01-01 12:00:00+00|2024-01-01 12:30:00+00|1",
          "v|2024-01-01 10:05:00+00|2024-01-01 10:35:00+00|1");

  @Test
  public void aMergedSessionReplacesTheRowsOfTheSessionsItAbsorbed() throws Exception {
    writeSessions(
        "u|2024-01-01T10:05:00Z|2024-01-01T10:35:00Z|1",
        "u|2024-01-01T10:50:00Z|2024-01-01T11:20:00Z|2",
        "u|2024-01-01T12:00:00Z|2024-01-01T12:30:00Z|1",
        "v|2024-01-01T10:05:00Z|2024-01-01T10:35:00Z|1");
    // A late click at 10:20 bridges u's first two sessions, and one at 10:00 moves the start.
    writeSessions("u|2024-01-01T10:00:00Z|2024-01-01T11:20:00Z|5");
    assertEquals(MERGED_SESSIONS, sessionRows());
    // Earlier panes of the sessions it absorbed, reaching the table after it (a runner may write
    // two bundles in either order), leave it alone: neither re-inserted nor deleting it.
    writeSessions(
        "u|2024-01-01T10:05:00Z|2024-01-01T10:35:00Z|1",
        "u|2024-01-01T10:50:00Z|2024-01-01T11:20:00Z|2");
    assertEquals(MERGED_SESSIONS, sessionRows());
    // The same pane again (a replay) changes nothing; a later pane of it updates in place.
    writeSessions(
        "u|2024-01-01T10:00:00Z|2024-01-01T11:20:00Z|5",
        "u|2024-01-01T12:00:00Z|2024-01-01T12:40:00Z|2");
    assertEquals(
        List.of(
            "u|2024-01-01 10:00:00+00|5",
            "u|2024-01-01 12:00:00+00|2",
            "v|2024-01-01 10:05:00+00|1"),
        Db.rows(
            pg,
            "SELECT user_id, session_start AT TIME ZONE 'UTC' || '+00', clicks"
                + " FROM upsert_sessions ORDER BY user_id, session_start"));
  }

  /** "page|views" panes of one window, written in one run each. */
  private static void writePanes(String... rows) {
    Pipeline p = Db.pipeline();
    p.apply(Create.of(List.of(rows)).withCoder(StringUtf8Coder.of()))
        .apply(
            JdbcUpsertSink.<String>to(db, "upsert_panes")
                .withColumn("page", "text", r -> r.split("\\|")[0])
                .withColumn("views", "bigint", r -> Long.parseLong(r.split("\\|")[1]))
                .withColumn("note", "text", r -> r)
                .withKey("page")
                .withGrowingColumns("views"));
    p.run().waitUntilFinish();
  }

  @Test
  public void anEarlierPaneArrivingLateNeverReplacesALaterOne() throws Exception {
    writePanes("a|5", "b|1");
    // a's earlier pane (3) arrives after its later one (5): kept out; b's later pane replaces.
    writePanes("a|3", "b|4");
    // The same pane again (a replay) is applied: equal is not smaller.
    writePanes("b|4");
    // A NULL stored value (a column added to an existing table) is replaced.
    Db.execute(pg, "UPDATE upsert_panes SET views = NULL WHERE page = 'a'");
    writePanes("a|3");
    assertEquals(
        List.of("a|3|a|3", "b|4|b|4"),
        Db.rows(pg, "SELECT page, views, note FROM upsert_panes ORDER BY page"));
    assertThat(
        JdbcUpsertSink.<String>to(db, "upsert_panes")
            .withColumn("page", "text", r -> r)
            .withColumn("views", "bigint", r -> 1L)
            .withKey("page")
            .withGrowingColumns("views")
            .upsertSql(),
        containsString(
            "DO UPDATE SET \"views\" = EXCLUDED.\"views\" WHERE (t.\"views\" IS NULL OR"
                + " t.\"views\" <= EXCLUDED.\"views\")"));
  }

  @Test
  public void aGrowingColumnMustBeADeclaredNonKeyColumn() {
    Pipeline p = Db.pipeline();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                p.apply(Create.of("x"))
                    .apply(
                        JdbcUpsertSink.<String>to(db, "upsert_growing_key")
                            .withColumn("page", "text", r -> r)
                            .withKey("page")
                            .withGrowingColumns("page")));
    assertEquals("growing column page is not a declared non-key column", e.getMessage());
  }

  @Test
  public void transientSerializationFailureIsRetried() throws Exception {
    // The trigger raises 40001 for the first row it sees; a sequence is not rolled back with the
    // failed transaction, so the retry passes.
    Db.execute(
        pg,
        "CREATE TABLE upsert_retry (customer_id text PRIMARY KEY, name text, tier text,"
            + " credit_limit_cents bigint)",
        "CREATE SEQUENCE upsert_retry_calls",
        "CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF nextval('upsert_retry_calls') = 1 THEN"
            + " RAISE EXCEPTION 'forced serialization failure' USING ERRCODE = '40001';"
            + " END IF; RETURN NEW; END $$",
        "CREATE TRIGGER fail_once BEFORE INSERT ON upsert_retry FOR EACH ROW"
            + " EXECUTE FUNCTION fail_once()");
    PipelineResult run =
        write(
            "upsert_retry",
            List.of(
                new TestCustomer("r1", "Ann", "gold", 1),
                new TestCustomer("r2", "Ben", "gold", 2),
                new TestCustomer("r3", "Cat", "gold", 3)),
            List.of());
    assertEquals("r1|Ann|gold|1\nr2|Ben|gold|2\nr3|Cat|gold|3", table("upsert_retry"));
    assertThat(Db.counter(run, JdbcUpsertSink.class, "retries"), greaterThanOrEqualTo(1L));
    assertEquals(3, Db.counter(run, JdbcUpsertSink.class, "rows_written"));
    assertEquals(0, Db.counter(run, JdbcUpsertSink.class, "failures"));
  }

  @Test
  public void refusedRowsBecomeDeadLettersAndTheOthersAreWritten() throws Exception {
    Db.execute(
        pg,
        "CREATE TABLE upsert_check (customer_id text PRIMARY KEY, name text, tier varchar(8),"
            + " credit_limit_cents bigint CHECK (credit_limit_cents >= 0))");
    Pipeline p = Db.pipeline();
    List<TestCustomer> rows = new ArrayList<>();
    rows.add(new TestCustomer("k1", "Ok One", "gold", 10));
    rows.add(new TestCustomer("k2", "Negative", "gold", -5)); // CHECK violation, class 23
    rows.add(new TestCustomer("k3", "Ok Three", "silver", 30));
    rows.add(new TestCustomer("k4", "Too long", "platinum-plus", 40)); // varchar(8), class 22
    rows.add(new TestCustomer("k5", "Ok Five", "bronze", 50));
    JdbcUpsertSink.Result result =
        p.apply(Create.of(rows).withCoder(SerializableCoder.of(TestCustomer.class)))
            .apply(sink("upsert_check"));
    PAssert.that(
            result
                .failures()
                .apply(
                    "Describe",
                    MapElements.into(TypeDescriptors.strings())
                        .via(
                            d ->
                                d.getStage()
                                    + "/"
                                    + d.getReason()
                                    + "/"
                                    + new String(d.getPayload(), StandardCharsets.UTF_8))))
        .containsInAnyOrder(
            "jdbc-upsert-upsert_check/constraint_violation/"
                + "{\"id\":\"k2\",\"name\":\"Negative\",\"tier\":\"gold\",\"limitCents\":-5}",
            "jdbc-upsert-upsert_check/data_exception/"
                + "{\"id\":\"k4\",\"name\":\"Too long\",\"tier\":\"platinum-plus\","
                + "\"limitCents\":40}");
    PAssert.that(
            result
                .failures()
                .apply(
                    "ErrorClass",
                    MapElements.into(TypeDescriptors.strings()).via(DeadLetter::getErrorClass)))
        .containsInAnyOrder(
            "org.postgresql.util.PSQLException", "org.postgresql.util.PSQLException");
    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertEquals(
        "k1|Ok One|gold|10\nk3|Ok Three|silver|30\nk5|Ok Five|bronze|50", table("upsert_check"));
    assertEquals(2, Db.counter(run, JdbcUpsertSink.class, "failures"));
    assertEquals(3, Db.counter(run, JdbcUpsertSink.class, "rows_written"));
  }

  @Test
  public void persistentTransientErrorsFailTheBundleInsteadOfDroppingRows() throws Exception {
    Db.execute(
        pg,
        "CREATE TABLE upsert_always_busy (customer_id text PRIMARY KEY, name text, tier text,"
            + " credit_limit_cents bigint)",
        "CREATE FUNCTION always_busy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " RAISE EXCEPTION 'forced deadlock' USING ERRCODE = '40P01'; END $$",
        "CREATE TRIGGER always_busy BEFORE INSERT ON upsert_always_busy FOR EACH ROW"
            + " EXECUTE FUNCTION always_busy()");
    Pipeline p = Db.pipeline();
    p.apply(
            Create.of(new TestCustomer("b1", "B", "gold", 1))
                .withCoder(SerializableCoder.of(TestCustomer.class)))
        .apply(sink("upsert_always_busy").withRetries(2, Duration.millis(10)));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(String.valueOf(e.getMessage()), containsString("upsert_always_busy failed"));
    assertEquals("", table("upsert_always_busy"));
  }

  @Test
  public void extractorFailureIsADeadLetter() throws Exception {
    Pipeline p = Db.pipeline();
    JdbcUpsertSink.Result result =
        p.apply(
                Create.of(
                        new TestCustomer("e1", "Fine", "gold", 1),
                        new TestCustomer("e2", "Boom", "gold", 2))
                    .withCoder(SerializableCoder.of(TestCustomer.class)))
            .apply(
                JdbcUpsertSink.<TestCustomer>to(db, "upsert_extract")
                    .withColumn("customer_id", "text", c -> c.id)
                    .withColumn(
                        "name",
                        "text",
                        c -> {
                          if (c.name.equals("Boom")) {
                            throw new IllegalStateException("cannot extract");
                          }
                          return c.name;
                        })
                    .withKey("customer_id"));
    PAssert.that(
            result
                .failures()
                .apply(
                    MapElements.into(TypeDescriptors.strings())
                        .via(d -> d.getReason() + "/" + d.getErrorClass() + "/" + d.getDetail())))
        .containsInAnyOrder("invalid_value/java.lang.IllegalStateException/cannot extract");
    p.run().waitUntilFinish();
    assertEquals(List.of("e1|Fine"), Db.rows(pg, "SELECT * FROM upsert_extract"));
  }

  @Test
  public void hostileValuesAreStoredVerbatim() throws Exception {
    Db.execute(pg, "CREATE TABLE customers (id int)", "INSERT INTO customers VALUES (1)");
    String hostile = "'); DROP TABLE customers; --";
    String quoted = "\"quoted\" \\ $$ $1 ? :name";
    write(
        "upsert_hostile",
        List.of(
            new TestCustomer("h1", hostile, quoted, 1),
            new TestCustomer("h2; DROP TABLE customers", "名前 ✓", "", 2)),
        List.of());
    assertEquals(
        List.of("h1|" + hostile + "|" + quoted + "|1", "h2; DROP TABLE customers|名前 ✓||2"),
        Db.rows(
            pg,
            "SELECT customer_id, name, tier, credit_limit_cents FROM upsert_hostile"
                + " ORDER BY customer_id"));
    assertTrue(Db.tableExists(pg, "customers"));
    assertEquals(List.of("1"), Db.rows(pg, "SELECT id FROM customers"));
  }

  /** Set by the slow extractor of the last row: was the first row in the table by then? */
  private static final AtomicBoolean FIRST_ROW_WRITTEN_MID_BUNDLE = new AtomicBoolean();

  @Test
  public void aMaxBufferTimeWritesRowsBeforeTheBundleEnds() throws Exception {
    // One bundle of four rows, a batch size they never reach, and an extractor that takes 300 ms
    // for every row after the first: only the flush timer (100 ms) can write row "a" before the
    // bundle ends, and the last row's extractor looks for it in the table.
    FIRST_ROW_WRITTEN_MID_BUNDLE.set(false);
    Pipeline p = Db.pipeline();
    p.apply(Create.of("a,b,c,d"))
        .apply("OneBundle", ParDo.of(new SplitFn()))
        .apply(
            JdbcUpsertSink.<String>to(db, "upsert_timed")
                .withColumn("id", "text", JdbcUpsertSinkTest::slowlyAfterTheFirst)
                .withKey("id")
                .withBatchSize(1_000)
                .withMaxBufferTime(Duration.millis(100)));
    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertTrue("row a was written by the timer", FIRST_ROW_WRITTEN_MID_BUNDLE.get());
    assertThat(Db.counter(run, JdbcUpsertSink.class, "timed_flushes"), greaterThanOrEqualTo(1L));
    assertEquals(
        List.of("a", "b", "c", "d"), Db.rows(pg, "SELECT id FROM upsert_timed ORDER BY id"));
  }

  /** Emits the ids of one element, so they reach the sink as one bundle. */
  private static final class SplitFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String ids, OutputReceiver<String> out) {
      for (String id : ids.split(",")) {
        out.output(id);
      }
    }
  }

  private static String slowlyAfterTheFirst(String id) {
    if (id.equals("a")) {
      return id;
    }
    try {
      Thread.sleep(300);
      if (id.equals("d")) {
        FIRST_ROW_WRITTEN_MID_BUNDLE.set(
            Db.rows(pg, "SELECT id FROM upsert_timed WHERE id = 'a'").equals(List.of("a")));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return id;
  }

  @Test
  public void generatedSqlQuotesIdentifiersAndBindsValues() {
    JdbcUpsertSink<TestCustomer> sink = sink("public.upsert_sql");
    assertEquals(
        "CREATE TABLE IF NOT EXISTS \"public\".\"upsert_sql\" (\"customer_id\" text, \"name\" text,"
            + " \"tier\" text, \"credit_limit_cents\" bigint, PRIMARY KEY (\"customer_id\"))",
        sink.createTableSql());
    assertEquals(
        "INSERT INTO \"public\".\"upsert_sql\" AS t (\"customer_id\", \"name\", \"tier\","
            + " \"credit_limit_cents\") VALUES (?, ?, ?, ?) ON CONFLICT (\"customer_id\") DO UPDATE"
            + " SET \"name\" = EXCLUDED.\"name\", \"tier\" = EXCLUDED.\"tier\","
            + " \"credit_limit_cents\" = EXCLUDED.\"credit_limit_cents\"",
        sink.upsertSql());
  }

  @Test
  public void displayDataNeverShowsThePassword() {
    String display =
        org.apache.beam.sdk.transforms.display.DisplayData.from(sink("upsert_dd")).toString();
    assertThat(display, containsString(pg.jdbcUrl()));
    assertEquals(-1, display.indexOf("s3cret"));
    assertEquals(-1, db.toString().indexOf("s3cret"));
  }
}
