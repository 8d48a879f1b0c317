package io.beamsuite.io.jdbc;

import static org.junit.Assert.assertEquals;

import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.transforms.cdc.ChangePosition;
import io.beamsuite.transforms.cdc.Mutation;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link MutationSink}: position guard and tombstones against a real PostgreSQL 17. */
@RunWith(JUnit4.class)
public class MutationSinkTest {
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

  private static Mutation<String, TestCustomer> up(String id, String name, long log) {
    return Mutation.upsert(
        id, new TestCustomer(id, name, "gold", log), ChangePosition.of(log, 0), new Instant(log));
  }

  private static Mutation<String, TestCustomer> del(String id, long log) {
    return Mutation.delete(id, null, ChangePosition.of(log, 0), new Instant(log));
  }

  private static PipelineResult apply(String table, List<Mutation<String, TestCustomer>> in) {
    Pipeline p = Db.pipeline();
    JdbcUpsertSink.Result result =
        p.apply(
                Create.of(in)
                    .withCoder(
                        Mutation.coder(
                            StringUtf8Coder.of(), SerializableCoder.of(TestCustomer.class))))
            .apply(
                MutationSink.<String, TestCustomer>to(db, table)
                    .withKeyColumn("customer_id", "text", id -> id)
                    .withValueColumn("name", "text", c -> c.name)
                    .withValueColumn("credit_limit_cents", "bigint", c -> c.limitCents)
                    .withBatchSize(3));
    PAssert.that(result.failures()).empty();
    PipelineResult run = p.run();
    run.waitUntilFinish();
    return run;
  }

  private static List<String> table(String table) throws Exception {
    return Db.rows(
        pg,
        "SELECT customer_id, name, credit_limit_cents, _deleted, _position_log FROM "
            + table
            + " ORDER BY customer_id");
  }

  @Test
  public void outOfOrderReplayedAndStaleMutationsNeverRegressARow() throws Exception {
    // Run 1: the newest change of each key arrives first.
    apply("replica", List.of(up("a", "a-v3", 30), del("b", 50), del("c", 20), up("d", "d-v6", 60)));
    List<String> expected =
        List.of(
            "a|a-v3|30|f|30", // newest image
            "b|null|null|t|50", // tombstone
            "c|null|null|t|20", // delete of a key never seen: tombstone guards it
            "d|d-v6|60|f|60");
    assertEquals(expected, table("replica"));

    // Run 2: everything again, older changes included, in scrambled order (a replay).
    apply(
        "replica",
        List.of(
            up("a", "a-v1", 10),
            up("b", "b-v4", 40), // stale upsert after the delete: must not resurrect b
            up("a", "a-v3", 30),
            up("c", "c-v1", 10),
            del("d", 20),
            up("a", "a-v2", 20),
            up("b", "b-v1", 10),
            del("b", 50),
            up("d", "d-v6", 60)));
    assertEquals(expected, table("replica"));

    // Run 3: genuinely newer changes win, including re-creating a deleted key.
    apply("replica", List.of(up("b", "b-v7", 70), del("a", 31), up("a", "a-stale", 29)));
    assertEquals(
        List.of("a|null|null|t|31", "b|b-v7|70|f|70", "c|null|null|t|20", "d|d-v6|60|f|60"),
        table("replica"));
    assertEquals(
        List.of("b|b-v7", "d|d-v6"),
        Db.rows(pg, "SELECT customer_id, name FROM replica WHERE NOT _deleted ORDER BY 1"));
  }

  @Test
  public void sequenceOrdersChangesWithTheSameLogPosition() throws Exception {
    Mutation<String, TestCustomer> first =
        Mutation.upsert(
            "s",
            new TestCustomer("s", "first", "gold", 1),
            ChangePosition.of(100, 1),
            new Instant(1));
    Mutation<String, TestCustomer> second =
        Mutation.upsert(
            "s",
            new TestCustomer("s", "second", "gold", 2),
            ChangePosition.of(100, 2),
            new Instant(1));
    apply("replica_seq", List.of(second));
    apply("replica_seq", List.of(first));
    assertEquals(List.of("s|second|2|f|100"), table("replica_seq"));
  }
}
