package io.beamsuite.io.jdbc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/** {@link ServingViews} against a real PostgreSQL: atomic switches, version order, safe drops. */
public class ServingViewsTest {
  private static EmbeddedPostgres pg;
  private static JdbcConnectionSpec db;

  @BeforeClass
  public static void start() throws SQLException {
    pg = new EmbeddedPostgres().start();
    db = JdbcConnectionSpec.of(pg.jdbcUrl(), pg.user());
    execute(
        "CREATE TABLE a_v1 (k text PRIMARY KEY, n bigint)",
        "CREATE TABLE a_v2 (k text PRIMARY KEY, n bigint)",
        "CREATE TABLE b_v1 (k text PRIMARY KEY, n bigint)",
        "CREATE TABLE b_v2 (k text PRIMARY KEY, n bigint)",
        "INSERT INTO a_v1 VALUES ('x', 1)",
        "INSERT INTO a_v2 VALUES ('x', 2)",
        "INSERT INTO b_v1 VALUES ('y', 10)",
        "INSERT INTO b_v2 VALUES ('y', 20)");
  }

  @AfterClass
  public static void stop() {
    JdbcConnectionSpec.closeAllPools();
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  public void publishesSeveralViewsTogetherOrNotAtAll() throws SQLException {
    ServingViews serving = ServingViews.on(db);
    Instant cutoff = Instant.parse("2024-01-01T02:00:00Z");
    serving.publish(selects("v1", "v1"), 1, cutoff);
    assertEquals(List.of("x=1", "y=10"), rows());
    assertEquals(1, serving.current("a_served").orElseThrow().version());
    assertEquals(cutoff, serving.current("b_served").orElseThrow().cutoff());

    // The second view's definition fails: the first view must not switch either.
    Map<String, String> broken = selects("v2", "v2");
    broken.put("b_served", "SELECT k, n FROM no_such_table");
    assertThrows(SQLException.class, () -> serving.publish(broken, 2, cutoff));
    assertEquals(List.of("x=1", "y=10"), rows());
    assertEquals(1, serving.current("a_served").orElseThrow().version());

    serving.publish(selects("v2", "v2"), 2, cutoff.plusSeconds(3600));
    assertEquals(List.of("x=2", "y=20"), rows());
    assertEquals(cutoff.plusSeconds(3600), serving.current("a_served").orElseThrow().cutoff());

    IllegalArgumentException back =
        assertThrows(
            IllegalArgumentException.class, () -> serving.publish(selects("v1", "v1"), 1, cutoff));
    assertTrue(back.getMessage(), back.getMessage().contains("refusing to go back to 1"));
    assertEquals(List.of("x=2", "y=20"), rows());
  }

  @Test
  public void dropsOnlyTablesNoViewServes() throws SQLException {
    ServingViews serving = ServingViews.on(db);
    execute("CREATE TABLE c_v1 (k text)", "CREATE TABLE c_v2 (k text)");
    serving.publish("c_served", 2, null, "SELECT k FROM c_v2");
    IllegalArgumentException served =
        assertThrows(IllegalArgumentException.class, () -> serving.dropTable("c_served", "c_v2"));
    assertTrue(served.getMessage(), served.getMessage().contains("still serves c_v2"));
    serving.dropTable("c_served", "c_v1");
    assertFalse(serving.tableExists("c_v1"));
    assertTrue(serving.tableExists("c_v2"));
    assertThrows(
        IllegalArgumentException.class,
        () -> serving.dropTable("c_served", "c_v1; DROP TABLE c_v2"));
    assertTrue(serving.tableExists("c_v2"));
  }

  @Test
  public void aSwitchThatDeadlocksWithAReaderOfBothViewsIsRetried() throws Exception {
    ServingViews serving = ServingViews.on(db);
    execute(
        "CREATE TABLE d_v1 (k text)", "CREATE TABLE d_v2 (k text)",
        "CREATE TABLE e_v1 (k text)", "CREATE TABLE e_v2 (k text)");
    Map<String, String> v1 = new LinkedHashMap<>();
    v1.put("d_served", "SELECT k FROM d_v1");
    v1.put("e_served", "SELECT k FROM e_v1");
    serving.publish(v1, 1, null);
    Map<String, String> v2 = new LinkedHashMap<>();
    v2.put("d_served", "SELECT k FROM d_v2");
    v2.put("e_served", "SELECT k FROM e_v2");

    // The reader holds e_served; the switch locks d_served, then waits for e_served; the reader
    // then asks for d_served: a deadlock, and PostgreSQL aborts the side that waited first.
    try (Connection reader = db.dataSource().getConnection();
        Statement r = reader.createStatement()) {
      reader.setAutoCommit(false);
      r.executeQuery("SELECT * FROM e_served").close();
      java.util.concurrent.CompletableFuture<List<ServingViews.Published>> publishing =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return serving.publish(v2, 2, null);
                } catch (SQLException e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              });
      Thread.sleep(300);
      try {
        r.executeQuery("SELECT * FROM d_served").close();
        reader.commit();
      } catch (SQLException readerWasTheVictim) {
        reader.rollback();
      }
      assertEquals(2, publishing.get(30, java.util.concurrent.TimeUnit.SECONDS).get(0).version());
    }
    assertEquals(2, serving.current("d_served").orElseThrow().version());
    assertEquals(2, serving.current("e_served").orElseThrow().version());
  }

  private static Map<String, String> selects(String a, String b) {
    Map<String, String> selects = new LinkedHashMap<>();
    selects.put("a_served", "SELECT k, n FROM a_" + a);
    selects.put("b_served", "SELECT k, n FROM b_" + b);
    return selects;
  }

  private static List<String> rows() throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT k, n FROM a_served UNION ALL SELECT k, n FROM b_served ORDER BY 1")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "=" + rs.getLong(2));
      }
    }
    return rows;
  }

  private static void execute(String... sql) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    }
  }
}
