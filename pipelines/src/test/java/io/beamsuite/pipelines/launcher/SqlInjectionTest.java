package io.beamsuite.pipelines.launcher;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * SQL injection through the launcher, end to end against a real PostgreSQL: hostile table names in
 * options are refused with exit status 2 and a message naming the option before any SQL runs (the
 * database keeps exactly its tables and rows), and hostile values in the data — SQL text, quotes,
 * backslashes, Unicode controls — land verbatim in the tables, because values are always bound
 * parameters. A NUL character, which PostgreSQL text cannot hold, becomes a dead letter of the
 * write stage instead of failing the run.
 */
public class SqlInjectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> HOSTILE_NAMES =
      List.of(
          "customers_replica; DROP TABLE victims; --",
          "victims\"; DROP TABLE victims; --",
          "x'); DROP TABLE victims; --",
          "public.victims; --",
          "a.b.c",
          "Victims",
          "\"victims\"",
          "victims\u0000",
          "tab\tle",
          "x".repeat(64),
          "");
  private static final List<String> HOSTILE_VALUES =
      List.of(
          "'); DROP TABLE victims; --",
          "Robert'); DROP TABLE customers_replica;--",
          "it's \"quoted\" \\ back\\slash \\' \\\\",
          "$$; DROP TABLE victims; $$",
          "\u00fc\u00df \ud83d\ude00 \u202e\u200f\u200b e\u0301 \u0634",
          "\u007f\u2028\u2029\t\r\n");

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static EmbeddedPostgres pg;

  @BeforeClass
  public static void startPostgres() throws Exception {
    pg = new EmbeddedPostgres().start();
    try (Connection c = pg.connection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE victims (id int PRIMARY KEY, note text)");
      s.execute("INSERT INTO victims VALUES (1, 'still here')");
    }
  }

  @AfterClass
  public static void stopPostgres() {
    JdbcConnectionSpec.closeAllPools();
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  public void hostileTableNamesAreRefusedBeforeAnySqlRuns() throws Exception {
    Path changes = changesFile(List.of(customer("c-1", "Ann")));
    Map<String, Long> before = tablesAndRows();
    for (String hostile : HOSTILE_NAMES) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = replicate(changes, hostile, err);
      String message = err.toString(StandardCharsets.UTF_8);
      assertEquals(hostile + ": " + message, Launcher.USAGE_ERROR, status);
      assertThat(hostile, message, containsString("--replicaTable: invalid"));
      assertThat(hostile, message, containsString("[a-z_][a-z0-9_]{0,62}"));
      assertEquals("tables and row counts after " + hostile, before, tablesAndRows());
    }
  }

  @Test
  public void hostileValuesLandVerbatimAndANulBecomesADeadLetter() throws Exception {
    List<CustomerRow> rows = new ArrayList<>();
    for (int i = 0; i < HOSTILE_VALUES.size(); i++) {
      String value = HOSTILE_VALUES.get(i);
      rows.add(customer("h-" + i, value));
      // The same value as the key too: keys are bound as well.
      rows.add(customer(value, "key " + i));
    }
    rows.add(customer("nul", "a\u0000b"));
    Path changes = changesFile(rows);
    Map<String, Long> before = tablesAndRows();

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = replicate(changes, "hostile_values", err);
    assertEquals(err.toString(StandardCharsets.UTF_8), 0, status);

    Map<String, String> expected = new TreeMap<>();
    for (CustomerRow row : rows) {
      if (!row.customerId().equals("nul")) {
        expected.put(row.customerId(), row.name());
      }
    }
    Map<String, String> stored = new TreeMap<>();
    try (Connection c = pg.connection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT customer_id, name FROM hostile_values WHERE NOT _deleted")) {
      while (rs.next()) {
        stored.put(rs.getString(1), rs.getString(2));
      }
    }
    assertEquals(expected, stored);

    // The NUL row: refused by PostgreSQL (data_exception), kept as a dead letter of the write
    // stage. Its payload describes the mutation (key, position), not the raw change record.
    try (Connection c = pg.connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT stage, reason, payload FROM dead_letters")) {
      assertEquals(true, rs.next());
      assertEquals("jdbc-mutations-hostile_values", rs.getString(1));
      assertEquals("data_exception", rs.getString(2));
      assertThat(new String(rs.getBytes(3), StandardCharsets.UTF_8), containsString("key=nul,"));
      assertEquals("exactly one dead letter", false, rs.next());
    }
    // Nothing but the new replica and dead-letter tables appeared; nothing was dropped.
    Map<String, Long> after = tablesAndRows();
    after.remove("hostile_values");
    after.remove("dead_letters");
    before.remove("dead_letters");
    assertEquals(before, after);
  }

  /** {@code cdc-replication} of {@code changes} into {@code replicaTable}; the exit status. */
  private static int replicate(Path changes, String replicaTable, ByteArrayOutputStream err) {
    return Launcher.run(
        new String[] {
          "cdc-replication",
          "--source=file:" + changes,
          "--jdbcUrl=" + pg.jdbcUrl(),
          "--jdbcUser=" + pg.user(),
          "--replicaTable=" + replicaTable
        },
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** Every table in the database with its row count. */
  private static Map<String, Long> tablesAndRows() throws Exception {
    Map<String, Long> tables = new TreeMap<>();
    try (Connection c = pg.connection();
        Statement s = c.createStatement()) {
      List<String> names = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT schemaname || '.' || tablename FROM pg_tables"
                  + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      for (String name : names) {
        // Names read from the catalog, quoted by PostgreSQL itself.
        try (ResultSet rs =
            s.executeQuery("SELECT count(*) FROM " + quoteIdentQualified(c, name))) {
          rs.next();
          tables.put(name.substring(name.indexOf('.') + 1), rs.getLong(1));
        }
      }
    }
    return tables;
  }

  private static String quoteIdentQualified(Connection c, String name) throws Exception {
    int dot = name.indexOf('.');
    try (java.sql.PreparedStatement q =
        c.prepareStatement("SELECT quote_ident(?) || '.' || quote_ident(?)")) {
      q.setString(1, name.substring(0, dot));
      q.setString(2, name.substring(dot + 1));
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static CustomerRow customer(String id, String name) {
    return new CustomerRow(id, name, "gold", "DE", 100_000, Instant.parse("2024-01-01T00:00:00Z"));
  }

  /** Debezium snapshot envelopes ({@code op=r}) of {@code rows}, one per line. */
  private static Path changesFile(List<CustomerRow> rows) throws Exception {
    List<String> lines = new ArrayList<>();
    long lsn = 1_000;
    for (CustomerRow row : rows) {
      ObjectNode envelope = JSON.createObjectNode();
      envelope.putNull("before");
      envelope.set("after", JSON.readTree(row.toJson()));
      ObjectNode source = envelope.putObject("source");
      source.put("lsn", lsn += 8);
      source.put("ts_ms", row.updatedAt().toEpochMilli());
      source.put("snapshot", "true");
      envelope.put("op", "r");
      envelope.put("ts_ms", row.updatedAt().toEpochMilli());
      lines.add(JSON.writeValueAsString(envelope));
    }
    Path file = TMP.newFile().toPath();
    Files.write(file, lines, StandardCharsets.UTF_8);
    return file;
  }
}
