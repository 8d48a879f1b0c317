package io.beamsuite.bench;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.JdbcLookup;
import io.beamsuite.pipelines.fraud.EnrichedTransaction;
import io.beamsuite.pipelines.model.Customer;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.transforms.enrichment.Enrichment;
import io.beamsuite.transforms.enrichment.EnrichmentResult;
import io.beamsuite.transforms.enrichment.JoinFn;
import io.beamsuite.transforms.enrichment.LookupFn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Section 7: enrichment of the generated transactions with the customer's credit limit, on the
 * embedded FlinkRunner (parallelism 2), against a real PostgreSQL ({@link EmbeddedPostgres}):
 *
 * <ul>
 *   <li>naive: a ParDo running one {@code SELECT ... WHERE customer_id = ?} per element (pooled
 *       connection from the same {@link JdbcConnectionSpec});
 *   <li>strategy: {@code Enrichment.lookup(..., JdbcLookup, ...)} with the library's defaults for
 *       batching ({@code withBatchSize(100)}) and a cache ({@code withCache(10_000, 10 min)});
 *   <li>as-of join: {@code Enrichment.asOf} against the customers' versions as a change stream, vs
 *       the same join as a single-threaded plain Java loop ({@code TreeMap.floorEntry} per
 *       customer).
 * </ul>
 */
public final class EnrichmentBenchmark {
  private static final String TABLE = "bench_customers";
  static volatile Transaction[] transactions = new Transaction[0];
  static final AtomicLong ENRICHED = new AtomicLong();
  static final AtomicLong NAIVE_QUERIES = new AtomicLong();

  private EnrichmentBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials", "asof-events");
    int events = a.intArg("events", 30_000, 8_000);
    int trials = a.intArg("trials", 3, 3);
    int asOfEvents = a.intArg("asof-events", 60_000, 15_000);
    Results out = Results.forSection("enrichment", "Enrichment");
    try (EmbeddedPostgres postgres = new EmbeddedPostgres().start()) {
      JdbcConnectionSpec db =
          JdbcConnectionSpec.of(postgres.jdbcUrl(), postgres.user()).withMaxPoolSize(4);
      GeneratorConfig config = config(events);
      List<CustomerRow> customers = EventGenerator.of(config).customerSnapshot();
      createTable(postgres.dataSource(), customers);
      out.meta("PostgreSQL", serverVersion(postgres.dataSource()) + " (embedded)");
      install(events);

      Trials.Timings t =
          Trials.of(trials)
              .side("naive per-element JDBC", () -> runNaive(db))
              .side("JdbcLookup, batch 100 + cache", () -> runLookup(db))
              .run();
      out.note(
          String.format(
              "%,d transactions (%,d customers in table `%s`, PostgreSQL embedded, pool of 4);"
                  + " runner `--runner=FlinkRunner --flinkMaster=[local] --parallelism=2`; every run must enrich"
                  + " every transaction. Queries per run (warm-up first): naive %s, strategy %s (calls of the strategy's"
                  + " `LookupFn`, one SQL query each).",
              transactions.length,
              customers.size(),
              TABLE,
              NAIVE_QUERY_COUNTS,
              LOOKUP_QUERY_COUNTS));
      out.ratio(
          "throughput: JdbcLookup strategy / naive per-element JDBC",
          t.ratios("JdbcLookup, batch 100 + cache", "naive per-element JDBC"),
          null);
      double[] fewer = new double[NAIVE_QUERY_COUNTS.size()];
      for (int i = 0; i < fewer.length; i++) {
        fewer[i] = NAIVE_QUERY_COUNTS.get(i) / (double) Math.max(1, LOOKUP_QUERY_COUNTS.get(i));
      }
      out.ratio(
          "queries: naive / JdbcLookup strategy (× fewer calls, per run incl. warm-up)",
          fewer,
          null);
      out.table("lookup throughput per trial", t.rateHeader(), t.rateRows());

      AsOfJoinBench.run(out, asOfEvents, trials);
    } finally {
      JdbcConnectionSpec.closeAllPools();
    }
  }

  private static final List<Long> NAIVE_QUERY_COUNTS = new ArrayList<>();
  private static final List<Long> LOOKUP_QUERY_COUNTS = new ArrayList<>();
  static final AtomicLong LOOKUP_CALLS = new AtomicLong();

  static GeneratorConfig config(int events) {
    return GeneratorConfig.builder()
        .seed(BenchEvents.SEED)
        .eventCount(events)
        .timeSpan(Duration.ofHours(24))
        .topicWeights(0, 1, 0)
        .customerCount(5_000)
        .merchantCount(500)
        .includeOversizedMalformed(false)
        .customerUpdateCount(5_000)
        .build();
  }

  static void install(int events) {
    BenchEvents.Workload w = BenchEvents.generate(EventTopic.TRANSACTIONS, events, 0.0, 24);
    StrictParser parser = new StrictParser(Transaction.class);
    Transaction[] parsed = new Transaction[w.size()];
    for (int i = 0; i < parsed.length; i++) {
      parsed[i] = (Transaction) parser.parse(w.payload(i));
    }
    transactions = parsed;
  }

  private static void createTable(DataSource ds, List<CustomerRow> customers) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + TABLE
              + " (customer_id text PRIMARY KEY, tier text NOT NULL,"
              + " credit_limit_cents bigint NOT NULL)");
      try (PreparedStatement insert =
          c.prepareStatement("INSERT INTO " + TABLE + " VALUES (?, ?, ?)")) {
        for (CustomerRow row : customers) {
          insert.setString(1, row.customerId());
          insert.setString(2, row.tier());
          insert.setLong(3, row.creditLimitCents());
          insert.addBatch();
        }
        insert.executeBatch();
      }
      s.execute("ANALYZE " + TABLE);
    }
  }

  private static String serverVersion(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  static PCollection<Transaction> readTransactions(Pipeline p) {
    return p.apply(
            "ReadTransactions",
            GenerateSequence.from(0)
                .to(transactions.length)
                .withTimestampFn(i -> new Instant(transactions[(int) (long) i].eventTimeMillis)))
        .apply(
            "ToTransaction",
            ParDo.of(
                new DoFn<Long, Transaction>() {
                  @ProcessElement
                  public void process(@Element Long i, OutputReceiver<Transaction> o) {
                    o.output(transactions[(int) (long) i]);
                  }
                }));
  }

  static Pipeline flinkPipeline() {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs(BeamSide.flinkEmbedded().toArray(new String[0])).create());
  }

  private static long runNaive(JdbcConnectionSpec db) {
    ENRICHED.set(0);
    NAIVE_QUERIES.set(0);
    Pipeline p = flinkPipeline();
    readTransactions(p)
        .apply("NaiveJdbcLookup", ParDo.of(new NaiveLookupFn(db)))
        .apply("Count", ParDo.of(new CountFn()));
    p.run().waitUntilFinish();
    checkAllEnriched();
    NAIVE_QUERY_COUNTS.add(NAIVE_QUERIES.get());
    return transactions.length;
  }

  private static long runLookup(JdbcConnectionSpec db) {
    ENRICHED.set(0);
    LOOKUP_CALLS.set(0);
    Pipeline p = flinkPipeline();
    JdbcLookup<String, Long> lookup =
        JdbcLookup.<String, Long>of(
                db,
                TABLE,
                "customer_id",
                rs -> rs.getString("customer_id"),
                rs -> rs.getLong("credit_limit_cents"))
            .withColumns("customer_id", "credit_limit_cents");
    EnrichmentResult<Transaction, EnrichedTransaction> r =
        readTransactions(p)
            .apply(
                "JdbcLookup",
                Enrichment.lookup(
                        (Transaction t) -> t.customerId,
                        new CountingLookup<>(lookup),
                        new WithLimit())
                    .withBatchSize(100)
                    .withCache(10_000, org.joda.time.Duration.standardMinutes(10)));
    r.enriched().apply("Count", ParDo.of(new CountFn()));
    p.run().waitUntilFinish();
    checkAllEnriched();
    LOOKUP_QUERY_COUNTS.add(LOOKUP_CALLS.get());
    return transactions.length;
  }

  private static void checkAllEnriched() {
    if (ENRICHED.get() != transactions.length) {
      throw new IllegalStateException("enriched " + ENRICHED.get() + " of " + transactions.length);
    }
  }

  /** Counts the strategy's lookup calls (JdbcLookup runs one query per call). */
  static final class CountingLookup<K, V> implements LookupFn<K, V> {
    private final LookupFn<K, V> delegate;

    CountingLookup(LookupFn<K, V> delegate) {
      this.delegate = delegate;
    }

    @Override
    public void setup() throws Exception {
      delegate.setup();
    }

    @Override
    public Map<K, V> lookup(List<K> keys) throws Exception {
      LOOKUP_CALLS.incrementAndGet();
      return delegate.lookup(keys);
    }

    @Override
    public void teardown() throws Exception {
      delegate.teardown();
    }
  }

  static final class WithLimit implements JoinFn<Transaction, Long, EnrichedTransaction> {
    @Override
    public EnrichedTransaction join(Transaction t, Long limit) {
      return new EnrichedTransaction(t, limit);
    }
  }

  static final class WithCustomerLimit
      implements JoinFn<Transaction, Customer, EnrichedTransaction> {
    @Override
    public EnrichedTransaction join(Transaction t, Customer c) {
      return new EnrichedTransaction(t, c.creditLimitCents);
    }
  }

  /** One query per element: what a first pipeline usually does. */
  static final class NaiveLookupFn extends DoFn<Transaction, EnrichedTransaction> {
    private final JdbcConnectionSpec db;
    private transient DataSource dataSource;

    NaiveLookupFn(JdbcConnectionSpec db) {
      this.db = db;
    }

    @Setup
    public void setup() {
      dataSource = db.dataSource();
    }

    @ProcessElement
    public void process(@Element Transaction t, OutputReceiver<EnrichedTransaction> out)
        throws Exception {
      try (Connection c = dataSource.getConnection();
          PreparedStatement q =
              c.prepareStatement(
                  "SELECT credit_limit_cents FROM " + TABLE + " WHERE customer_id = ?")) {
        q.setString(1, t.customerId);
        NAIVE_QUERIES.incrementAndGet();
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            out.output(new EnrichedTransaction(t, rs.getLong(1)));
          }
        }
      }
    }
  }

  static final class CountFn extends DoFn<EnrichedTransaction, Void> {
    @ProcessElement
    public void process(@Element EnrichedTransaction e) {
      ENRICHED.incrementAndGet();
    }
  }
}
