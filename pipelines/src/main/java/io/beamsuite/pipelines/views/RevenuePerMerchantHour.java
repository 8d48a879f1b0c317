package io.beamsuite.pipelines.views;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.JdbcUpsertSink;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.pipelines.wiring.WindowResultTable;
import io.beamsuite.transforms.windowing.WindowResult;
import io.beamsuite.transforms.windowing.WindowSpec;
import io.beamsuite.transforms.windowing.WindowedAggregate;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Revenue per merchant per hour: the {@code amount_cents} of unique transactions summed per {@code
 * merchant_id} in 1-hour tumbling event-time windows, accumulating (every pane carries the window's
 * full sum, so an upsert of the latest pane is the right row). Transactions later than the allowed
 * lateness go to {@link WindowedAggregate.Result#lateRecords()}.
 *
 * <p>The one definition of {@code revenue_per_merchant_hour}: the Lambda batch layer and speed
 * layer (and a Kappa replay) apply it unchanged, and write it with {@link #toTable} into their own,
 * e.g. versioned, table.
 *
 * <p>Overflow: amounts are validated {@code >= 0} when parsed, and sums use {@link Math#addExact},
 * so a merchant-hour above {@link Long#MAX_VALUE} cents (about 9.2e16 dollars, impossible for the
 * generated data) throws {@link ArithmeticException} and fails the bundle instead of writing a
 * wrapped, negative revenue.
 *
 * <pre>{@code
 * WindowedAggregate.Result<String, Long, Transaction> revenue =
 *     uniqueTransactions.apply(
 *         "RevenuePerMerchantHour",
 *         RevenuePerMerchantHour.create().withAllowedLateness(Duration.standardMinutes(10)));
 * revenue.results()
 *     .apply("WriteRevenue", RevenuePerMerchantHour.toTable(db, "revenue_per_merchant_hour_batch_v3"));
 * }</pre>
 */
public final class RevenuePerMerchantHour
    extends PTransform<
        PCollection<Transaction>, WindowedAggregate.Result<String, Long, Transaction>> {
  /** The view's table name; layers write versioned copies, e.g. {@code ..._batch_v3}. */
  public static final String TABLE = "revenue_per_merchant_hour";

  /** The window size. */
  public static final Duration WINDOW = Duration.standardHours(1);

  /** The allowed lateness of {@link #create()}, the default of {@code --allowedLatenessSeconds}. */
  public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.standardMinutes(10);

  // The view's windowing; WindowSpec validates the lateness.
  private final WindowSpec window;

  private RevenuePerMerchantHour(WindowSpec window) {
    this.window = window;
  }

  /** Revenue per merchant hour with {@link #DEFAULT_ALLOWED_LATENESS}. */
  public static RevenuePerMerchantHour create() {
    return new RevenuePerMerchantHour(
        WindowSpec.tumbling(WINDOW).withAllowedLateness(DEFAULT_ALLOWED_LATENESS).accumulating());
  }

  /** How long after a window's end its transactions are still summed (not negative). */
  public RevenuePerMerchantHour withAllowedLateness(Duration lateness) {
    return new RevenuePerMerchantHour(window.withAllowedLateness(lateness));
  }

  /** The allowed lateness. */
  public Duration getAllowedLateness() {
    return window.getAllowedLateness();
  }

  @Override
  public WindowedAggregate.Result<String, Long, Transaction> expand(
      PCollection<Transaction> transactions) {
    return transactions.apply(
        "SumPerMerchant",
        WindowedAggregate.of((Transaction t) -> t.merchantId, new SumAmountCents())
            .withKeyCoder(StringUtf8Coder.of())
            .over(window));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(
        DisplayData.item("allowedLateness", window.getAllowedLateness())
            .withLabel("Allowed lateness"));
  }

  /**
   * An upsert of the results into {@code table}: {@code (merchant_id text, window_start
   * timestamptz, window_end timestamptz, revenue_cents bigint, PRIMARY KEY (merchant_id,
   * window_start))}; its dead letters name the stage {@code write-<table>}.
   */
  public static JdbcUpsertSink<WindowResult<String, Long>> toTable(
      JdbcConnectionSpec db, String table) {
    return WindowResultTable.to(
        db, table, "merchant_id", "window_start", "window_end", "revenue_cents");
  }

  /** Sums {@code amount_cents} exactly; the accumulator is the running sum. */
  static final class SumAmountCents extends CombineFn<Transaction, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long addInput(Long sum, Transaction transaction) {
      return Math.addExact(sum, transaction.amountCents);
    }

    @Override
    public Long mergeAccumulators(Iterable<Long> sums) {
      long merged = 0;
      for (long sum : sums) {
        merged = Math.addExact(merged, sum);
      }
      return merged;
    }

    @Override
    public Long extractOutput(Long sum) {
      return sum;
    }

    @Override
    public Coder<Long> getAccumulatorCoder(CoderRegistry registry, Coder<Transaction> inputCoder) {
      return VarLongCoder.of();
    }

    @Override
    public Coder<Long> getDefaultOutputCoder(
        CoderRegistry registry, Coder<Transaction> inputCoder) {
      return VarLongCoder.of();
    }
  }
}
