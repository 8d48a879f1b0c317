package io.beamsuite.io.jdbc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.transforms.enrichment.Enrichment;
import io.beamsuite.transforms.enrichment.EnrichmentResult;
import io.beamsuite.transforms.enrichment.LookupEnrichment;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link JdbcLookup} and {@link JdbcReferenceTable} against a real PostgreSQL 17. */
@RunWith(JUnit4.class)
public class JdbcLookupTest {
  private static EmbeddedPostgres pg;
  private static JdbcConnectionSpec db;

  @BeforeClass
  public static void startPostgres() throws Exception {
    pg = new EmbeddedPostgres().start();
    db = JdbcConnectionSpec.of(pg.jdbcUrl(), pg.user());
    Db.execute(
        pg,
        "CREATE TABLE customers (customer_id text PRIMARY KEY, name text, tier text)",
        "INSERT INTO customers VALUES ('c1', 'Ada', 'gold'), ('c2', 'Bob', 'silver'),"
            + " ('c3', 'Cy', 'bronze'), ('x''); DROP TABLE customers; --', 'Eve', 'none')",
        "CREATE TABLE rates (id bigint PRIMARY KEY, rate numeric(6,3))",
        "INSERT INTO rates VALUES (1, 1.250), (2, 0.500)");
  }

  @AfterClass
  public static void stopPostgres() {
    JdbcConnectionSpec.closeAllPools();
    if (pg != null) {
      pg.close();
    }
  }

  private static JdbcLookup<String, String> customers() {
    return JdbcLookup.<String, String>of(
            db,
            "customers",
            "customer_id",
            rs -> rs.getString("customer_id"),
            rs -> rs.getString("name") + "/" + rs.getString("tier"))
        .withColumns("customer_id", "name", "tier");
  }

  @Test
  public void batchLookupReturnsExactMapWithOneQueryPerCall() throws Exception {
    JdbcLookup<String, String> lookup = customers();
    lookup.setup();
    assertEquals(
        "SELECT \"customer_id\", \"name\", \"tier\" FROM \"customers\""
            + " WHERE \"customer_id\" = ANY(?)",
        lookup.sql());
    assertEquals(
        Map.of("c1", "Ada/gold", "c3", "Cy/bronze", "x'); DROP TABLE customers; --", "Eve/none"),
        lookup.lookup(List.of("c1", "missing", "c3", "c1", "x'); DROP TABLE customers; --")));
    assertEquals(1, lookup.queriesRun());
    assertEquals(Map.of(), lookup.lookup(List.of("nope")));
    assertEquals(2, lookup.queriesRun());
    assertEquals(Map.of(), lookup.lookup(List.of()));
    assertEquals(2, lookup.queriesRun());
    lookup.teardown();
  }

  @Test
  public void numericKeysUseTheDeclaredArrayType() throws Exception {
    JdbcLookup<Long, String> rates =
        JdbcLookup.<Long, String>of(
                db,
                "rates",
                "id",
                rs -> rs.getLong("id"),
                rs -> rs.getBigDecimal("rate").toString())
            .withKeyType("bigint");
    rates.setup();
    assertEquals(Map.of(2L, "0.500"), rates.lookup(List.of(2L, 9L)));
  }

  @Test
  public void referenceTableLoadsExactRows() throws Exception {
    JdbcReferenceTable<String, String> table =
        JdbcReferenceTable.<String, String>of(
                db, "public.customers", rs -> rs.getString(1), rs -> rs.getString(2))
            .withColumns("customer_id", "tier");
    assertEquals(
        Map.of(
            "c1", "gold", "c2", "silver", "c3", "bronze", "x'); DROP TABLE customers; --", "none"),
        table.load());
  }

  @Test
  public void enrichmentLookupEndToEnd() throws Exception {
    long queriesBefore = JdbcLookup.queriesRun("customers");
    Pipeline p = Db.pipeline();
    EnrichmentResult<String, String> result =
        p.apply(
                Create.of(List.of("t1:c1", "t2:c2", "t3:c9", "t4:c1"))
                    .withCoder(StringUtf8Coder.of()))
            .apply(
                Enrichment.lookup(
                        (String txn) -> txn.substring(txn.indexOf(':') + 1),
                        customers(),
                        (String txn, String customer) -> txn + "=" + customer)
                    .withBatchSize(10)
                    .withOutputCoder(StringUtf8Coder.of()));
    PAssert.that(result.enriched())
        .containsInAnyOrder("t1:c1=Ada/gold", "t2:c2=Bob/silver", "t4:c1=Ada/gold");
    PAssert.that(result.unmatched()).containsInAnyOrder("t3:c9");
    PAssert.that(result.failures()).empty();
    PipelineResult run = p.run();
    run.waitUntilFinish();
    long calls = Db.counter(run, LookupEnrichment.class, "lookup_calls");
    // One SQL query per lookup call (Create may split the input into several bundles).
    assertTrue("lookup calls: " + calls, calls >= 1 && calls <= 4);
    assertEquals(calls, JdbcLookup.queriesRun("customers") - queriesBefore);
  }
}
