package io.beamsuite.pipelines.views;

import static io.beamsuite.pipelines.testing.RowDiff.assertSameRows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.ResultTables;
import io.beamsuite.fixtures.oracle.RevenueOracle;
import io.beamsuite.fixtures.oracle.RevenueRow;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.pipelines.options.BeamsuiteOptions;
import io.beamsuite.pipelines.testing.Workload;
import io.beamsuite.pipelines.wiring.EventSource;
import io.beamsuite.pipelines.wiring.UniqueEvents;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@link RevenuePerMerchantHour} and its table, bounded on the DirectRunner over a generated
 * three-hour workload with duplicates, disorder, late and malformed transactions: the table must
 * equal {@link RevenueOracle} exactly (nothing is late in a bounded run).
 */
public class RevenuePerMerchantHourTest {
  private static final String TABLE = RevenuePerMerchantHour.TABLE + "_batch_v1";

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static EmbeddedPostgres postgres;

  @BeforeClass
  public static void startPostgres() {
    postgres = new EmbeddedPostgres().start();
  }

  @AfterClass
  public static void stopPostgres() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  public void boundedRunEqualsTheOracle() throws Exception {
    Workload workload =
        Workload.write(
            Workload.realisticMix(20261124L, 1_200).timeSpan(Duration.ofHours(3)).build(),
            TMP.newFolder("workload").toPath());
    BeamsuiteOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DirectRunner",
                "--source=" + workload.fileSource("transactions"),
                "--jdbcUrl=" + postgres.jdbcUrl(),
                "--jdbcUser=" + postgres.user())
            .as(BeamsuiteOptions.class);
    JdbcConnectionSpec db = JdbcConnectionSpec.of(postgres.jdbcUrl(), postgres.user());

    Pipeline p = Pipeline.create(options);
    WindowedAggregate.Result<String, Long, Transaction> revenue =
        p.apply("ReadTransactions", EventSource.of(options.getSource(), options, "transactions"))
            .apply(
                "UniqueTransactions",
                UniqueEvents.of(Transaction.class, "parse-transactions", options))
            .unique()
            .apply("RevenuePerMerchantHour", RevenuePerMerchantHour.create());
    PAssert.that(revenue.lateRecords()).empty();
    PAssert.that(
            revenue
                .results()
                .apply("WriteRevenue", RevenuePerMerchantHour.toTable(db, TABLE))
                .failures())
        .empty();
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    RevenueOracle.Result expected =
        RevenueOracle.compute(workload.oracleInput(), LatePolicy.none());
    Set<Instant> windows =
        expected.rows().stream().map(RevenueRow::windowStart).collect(Collectors.toSet());
    assertTrue("the workload should span three hourly windows: " + windows, windows.size() >= 3);
    assertTrue(
        "the workload should have duplicates and dead letters",
        expected.reconciliation().duplicates() > 0
            && expected.reconciliation().deadLetterCount() > 0);
    List<RevenueRow> actual =
        new ResultTables(postgres.jdbcUrl(), postgres.user()).revenuePerMerchantHour(TABLE);
    assertSameRows(TABLE, expected.rows(), actual);
  }
}
