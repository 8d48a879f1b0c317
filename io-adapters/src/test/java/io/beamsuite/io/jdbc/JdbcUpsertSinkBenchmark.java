package io.beamsuite.io.jdbc;

import io.beamsuite.fixtures.bench.Ratios;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * Throughput of {@link JdbcUpsertSink} on the DirectRunner against a plain JDBC batched upsert loop
 * writing the same rows into the same table of a real PostgreSQL 17 ({@link EmbeddedPostgres}). Not
 * a JUnit test and not run by {@code mvn verify}: the name matches none of surefire's default
 * includes.
 *
 * <p>Run from the repository root (after {@code mvn -B -ntp -q install -DskipTests -pl
 * transforms,test-fixtures}):
 *
 * <pre>
 * mvn -q -B -o -pl io-adapters test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * CP=io-adapters/target/test-classes:io-adapters/target/classes:$(cat io-adapters/target/test.cp)
 * java -cp "$CP" -Dbench.rows=200000 -Dbench.trials=3 io.beamsuite.io.jdbc.JdbcUpsertSinkBenchmark
 * </pre>
 *
 * <p>System properties: {@code bench.rows} (default 200,000), {@code bench.trials} (default 3),
 * {@code bench.batch} (default 500, both sides). Remaining arguments are DirectRunner options for
 * the Beam sides, e.g. {@code --targetParallelism=1}.
 *
 * <p>Each trial runs three sides one after the other, in a fixed rotation so drift in machine load
 * hits all of them: (A) plain JDBC: one connection, autocommit off, {@code INSERT ... ON CONFLICT
 * (k) DO UPDATE} with {@code addBatch}/{@code executeBatch} and a commit per batch; (B) {@code
 * Create.of(rows) -> JdbcUpsertSink} with the DirectRunner's default checks; (C) the same with
 * {@code --enforceImmutability=false --enforceEncodability=false}. The table is truncated before
 * every side. Time of the Beam sides: from {@code Pipeline.create} to the end of {@code
 * waitUntilFinish}, so it includes building the graph (Create encodes all rows), runner start-up,
 * DoFn setup and the tear-down. The connection pool is JVM-wide and already open after warm-up, as
 * it would be in a long-running worker; the plain side opens its one connection inside its timed
 * region. Every side's row count is checked in the table afterwards (outside the timing).
 */
public final class JdbcUpsertSinkBenchmark {
  private static final String TABLE = "bench_upsert";
  private static final long SEED = 20_261_123L;

  private JdbcUpsertSinkBenchmark() {}

  /** One row: natural key, a text, a number and a timestamp, like a customer or a page count. */
  static final class Row {
    final String k;
    final String name;
    final long amount;
    final long updatedAtMillis;

    Row(String k, String name, long amount, long updatedAtMillis) {
      this.k = k;
      this.name = name;
      this.amount = amount;
      this.updatedAtMillis = updatedAtMillis;
    }

    OffsetDateTime updatedAt() {
      return OffsetDateTime.ofInstant(
          java.time.Instant.ofEpochMilli(updatedAtMillis), ZoneOffset.UTC);
    }
  }

  /** A compact coder, so the Beam side is not penalised by Java serialization. */
  static final class RowCoder extends AtomicCoder<Row> {
    private static final StringUtf8Coder S = StringUtf8Coder.of();
    private static final VarLongCoder L = VarLongCoder.of();

    @Override
    public void encode(Row r, OutputStream out) throws IOException {
      S.encode(r.k, out);
      S.encode(r.name, out);
      L.encode(r.amount, out);
      L.encode(r.updatedAtMillis, out);
    }

    @Override
    public Row decode(InputStream in) throws IOException {
      return new Row(S.decode(in), S.decode(in), L.decode(in), L.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger("bench.rows", 200_000);
    int trials = Integer.getInteger("bench.trials", 3);
    int batch = Integer.getInteger("bench.batch", 500);
    List<Row> rows = rows(n);
    List<Row> warmUp = rows(Math.max(1, n / 10));

    try (EmbeddedPostgres pg = new EmbeddedPostgres().start()) {
      JdbcConnectionSpec db = JdbcConnectionSpec.of(pg.jdbcUrl(), pg.user());
      JdbcUpsertSink<Row> sink =
          JdbcUpsertSink.<Row>to(db, TABLE)
              .withColumn("k", "text", r -> r.k)
              .withColumn("name", "text", r -> r.name)
              .withColumn("amount", "bigint", r -> r.amount)
              .withColumn("updated_at", "timestamptz", r -> r.updatedAt())
              .withKey("k")
              .withBatchSize(batch);
      // The same statement the sink sends (checked below), so both sides do the same SQL work.
      String sql = sink.upsertSql();
      execute(pg, sink.createTableSql());

      DirectOptions checked = options(args, true);
      DirectOptions unchecked = options(args, false);
      try {
        // Warm up the JIT, the pool and the runner once per side; the numbers are discarded.
        plain(pg, sql, warmUp, batch);
        beam(pg, sink, checked, warmUp);
        beam(pg, sink, unchecked, warmUp);

        System.out.printf(
            Locale.ROOT,
            "rows=%,d batch=%d trials=%d targetParallelism=%d cores=%d%nsql: %s%n",
            n,
            batch,
            trials,
            checked.getTargetParallelism(),
            Runtime.getRuntime().availableProcessors(),
            sql);
        double[] ratioChecked = new double[trials];
        double[] ratioUnchecked = new double[trials];
        for (int t = 0; t < trials; t++) {
          // Rotate the order so no side always runs first (A B C, B C A, C A B, ...).
          double[] rate = new double[3];
          long[] batches = new long[3];
          for (int i = 0; i < 3; i++) {
            int side = (t + i) % 3;
            long nanos =
                side == 0
                    ? plain(pg, sql, rows, batch)
                    : beam(pg, sink, side == 1 ? checked : unchecked, rows);
            rate[side] = n / (nanos / 1e9);
            batches[side] = side == 0 ? (n + batch - 1) / batch : LAST_BATCHES.get();
          }
          ratioChecked[t] = rate[1] / rate[0];
          ratioUnchecked[t] = rate[2] / rate[0];
          System.out.printf(
              Locale.ROOT,
              "trial %d: plain %,9.0f rows/s (%d batches) | beam default %,9.0f rows/s (%.2fx,"
                  + " %d batches) | beam checks off %,9.0f rows/s (%.2fx, %d batches)%n",
              t + 1,
              rate[0],
              batches[0],
              rate[1],
              ratioChecked[t],
              batches[1],
              rate[2],
              ratioUnchecked[t],
              batches[2]);
        }
        System.out.println(Ratios.summary("beam default / plain", ratioChecked));
        System.out.println(Ratios.summary("beam checks off / plain", ratioUnchecked));
      } finally {
        JdbcConnectionSpec.closeAllPools();
      }
    }
  }

  private static DirectOptions options(String[] args, boolean checks) {
    DirectOptions options = PipelineOptionsFactory.fromArgs(args).as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setEnforceImmutability(checks);
    options.setEnforceEncodability(checks);
    return options;
  }

  /** Unique keys in shuffled order, fixed seed. */
  private static List<Row> rows(int count) {
    Random random = new Random(SEED + count);
    List<Row> rows = new ArrayList<>(count);
    long start = 1_790_000_000_000L;
    for (int i = 0; i < count; i++) {
      rows.add(
          new Row(
              "cust-" + i,
              "Customer " + Integer.toHexString(random.nextInt()),
              random.nextInt(10_000_000),
              start + random.nextInt(86_400_000)));
    }
    java.util.Collections.shuffle(rows, random);
    return rows;
  }

  /** Side A: the plain loop. Returns nanoseconds. */
  private static long plain(EmbeddedPostgres pg, String sql, List<Row> rows, int batch)
      throws SQLException {
    truncate(pg);
    long start = System.nanoTime();
    try (Connection c = pg.connection()) {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int pending = 0;
        for (Row r : rows) {
          s.setString(1, r.k);
          s.setString(2, r.name);
          s.setLong(3, r.amount);
          s.setObject(4, r.updatedAt());
          s.addBatch();
          if (++pending == batch) {
            s.executeBatch();
            c.commit();
            pending = 0;
          }
        }
        if (pending > 0) {
          s.executeBatch();
          c.commit();
        }
      }
    }
    long nanos = System.nanoTime() - start;
    verify(pg, rows.size());
    return nanos;
  }

  /** Sides B and C: the pipeline. Returns nanoseconds. */
  private static long beam(
      EmbeddedPostgres pg, JdbcUpsertSink<Row> sink, DirectOptions options, List<Row> rows)
      throws SQLException {
    truncate(pg);
    FailuresFn.FAILURES.set(0);
    long start = System.nanoTime();
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(rows).withCoder(new RowCoder()))
        .apply(sink)
        .failures()
        .apply(ParDo.of(new FailuresFn()));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    long nanos = System.nanoTime() - start;
    LAST_BATCHES.set(counter(result, "batches"));
    if (FailuresFn.FAILURES.get() != 0) {
      throw new IllegalStateException(FailuresFn.FAILURES.get() + " rows were dead-lettered");
    }
    verify(pg, rows.size());
    return nanos;
  }

  /** Batches the last Beam run committed (the sink's counter; read after it settles). */
  static final AtomicLong LAST_BATCHES = new AtomicLong();

  private static long counter(PipelineResult result, String name) {
    long previous = -1;
    for (int i = 0; i < 20; i++) {
      long total = 0;
      for (MetricResult<Long> c :
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(MetricNameFilter.named(JdbcUpsertSink.class, name))
                      .build())
              .getCounters()) {
        total += c.getCommitted();
      }
      if (total == previous) {
        return total;
      }
      previous = total;
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return total;
      }
    }
    return previous;
  }

  /** Counts dead letters (there must be none). */
  static final class FailuresFn extends DoFn<io.beamsuite.transforms.errors.DeadLetter, Void> {
    static final AtomicLong FAILURES = new AtomicLong();

    @ProcessElement
    public void process(BoundedWindow window) {
      FAILURES.incrementAndGet();
    }
  }

  private static void truncate(EmbeddedPostgres pg) throws SQLException {
    execute(pg, "TRUNCATE " + TABLE);
  }

  private static void execute(EmbeddedPostgres pg, String sql) throws SQLException {
    try (Connection c = pg.connection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static void verify(EmbeddedPostgres pg, long expected) throws SQLException {
    try (Connection c = pg.connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE)) {
      rs.next();
      if (rs.getLong(1) != expected) {
        throw new IllegalStateException("expected " + expected + " rows, found " + rs.getLong(1));
      }
    }
  }
}
