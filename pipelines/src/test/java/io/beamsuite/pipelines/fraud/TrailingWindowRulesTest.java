package io.beamsuite.pipelines.fraud;

import static org.junit.Assert.assertEquals;

import io.beamsuite.fixtures.oracle.CustomerVersions;
import io.beamsuite.fixtures.oracle.FraudAlertRow;
import io.beamsuite.fixtures.oracle.FraudOracle;
import io.beamsuite.fixtures.oracle.FraudParams;
import io.beamsuite.fixtures.oracle.LatePolicy;
import io.beamsuite.fixtures.oracle.RawInput;
import io.beamsuite.pipelines.model.EventCoders;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.windowing.LateRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * The streaming engine of {@link TrailingWindowRules} on the DirectRunner with {@link TestStream}:
 * arrival out of order, lateness from fired timers, the history cap, and equality with the
 * independent oracle for shuffled arrivals.
 */
public class TrailingWindowRulesTest {
  private static final Instant TEN = Instant.parse("2026-01-05T10:00:00Z");

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void aTransactionArrivingOutOfOrderCompletesTheAlertsOfLaterOnes() throws Exception {
    // Arrival t1 (10:00:00 GB), t3 (10:00:40 GB), then t2 (10:00:20 FR). On its arrival t3 has 2
    // transactions and 1 country; t2 joins t3's windows: t3 now has 3 transactions (velocity >= 3)
    // and 2 countries (many_countries >= 2), and t2's own window {t1, t2} has 2 countries.
    TestStream<Transaction> input =
        TestStream.create(transactionCoder())
            .addElements(at(tx("t1", "c-1", "GB", 0)), at(tx("t3", "c-1", "GB", 40)))
            .addElements(at(tx("t2", "c-1", "FR", 20)))
            .advanceWatermarkToInfinity();
    TrailingWindowRules.Result rules =
        p.apply(input)
            .apply(
                TrailingWindowRules.of()
                    .withManyCountries(Duration.standardMinutes(10), 2)
                    .withVelocity(Duration.standardMinutes(1), 3));
    PAssert.that(rows(rules.alerts()))
        .containsInAnyOrder("many_countries|t2|2", "many_countries|t3|2", "velocity|t3|3");
    PAssert.that(rules.lateVelocity()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  public void aTransactionBehindTheFiredTimersIsRoutedLateForBothRules() throws Exception {
    // Lateness 1 min, longest window 10 min: t1's entry expires at 10:11:00, and once that timer
    // has fired, t2 at 10:05 (10:05 + 1 min <= 10:11) is late for both rules; t3 at 10:29:50 is
    // not, and its window no longer holds t1 (dropped).
    TestStream<Transaction> input =
        TestStream.create(transactionCoder())
            .addElements(at(tx("t1", "c-1", "GB", 0)))
            .advanceWatermarkTo(TEN.plus(Duration.standardMinutes(30)))
            .addElements(at(tx("t2", "c-1", "FR", 300)), at(tx("t3", "c-1", "DE", 1_790)))
            .advanceWatermarkToInfinity();
    TrailingWindowRules.Result rules =
        p.apply(input)
            .apply(
                TrailingWindowRules.of()
                    .withManyCountries(Duration.standardMinutes(10), 1)
                    .withVelocity(Duration.standardMinutes(1), 1)
                    .withAllowedLateness(Duration.standardMinutes(1)));
    PAssert.that(rows(rules.alerts()))
        .containsInAnyOrder(
            "many_countries|t1|1", "velocity|t1|1", "many_countries|t3|1", "velocity|t3|1");
    PAssert.that(late("LateVelocity", rules.lateVelocity()))
        .containsInAnyOrder("t2 [2026-01-05T10:04:00.000Z, 2026-01-05T10:05:00.000Z] 10:11:00.001");
    PAssert.that(late("LateCountries", rules.lateManyCountries()))
        .containsInAnyOrder("t2 [2026-01-05T09:55:00.000Z, 2026-01-05T10:05:00.000Z] 10:11:00.001");
    p.run().waitUntilFinish();
  }

  @Test
  public void aBurstBeyondTheHistoryCapBecomesDeadLettersNotSlowerWork() throws Exception {
    TestStream<Transaction> input =
        TestStream.create(transactionCoder())
            .addElements(at(tx("t1", "c-1", "GB", 0)))
            .addElements(at(tx("t2", "c-1", "GB", 1)))
            .addElements(at(tx("t3", "c-1", "GB", 2)), at(tx("u1", "c-2", "GB", 2)))
            .advanceWatermarkToInfinity();
    TrailingWindowRules.Result rules =
        p.apply(input)
            .apply(
                TrailingWindowRules.of()
                    .withVelocity(Duration.standardMinutes(1), 2)
                    .withMaxHistory(2));
    PAssert.that(
            rules
                .deadLetters()
                .apply(
                    "Reasons",
                    MapElements.into(TypeDescriptors.strings())
                        .via((DeadLetter d) -> d.getStage() + "|" + d.getReason())))
        .containsInAnyOrder("fraud-trailing-rules|customer_history_full");
    PAssert.that(rows(rules.alerts())).containsInAnyOrder("velocity|t2|2");
    p.run().waitUntilFinish();
  }

  @Test
  public void shuffledArrivalsEndEqualToTheOracle() throws Exception {
    // 240 transactions of 4 customers over 20 minutes, arriving in random order, the watermark
    // held back so nothing is late: each alert's last (largest) value must equal the oracle's row.
    Random random = new Random(42);
    String[] countries = {"GB", "FR", "DE", "US"};
    List<Transaction> txs = new ArrayList<>();
    for (int i = 0; i < 240; i++) {
      txs.add(
          tx(
              "t" + i,
              "c-" + random.nextInt(4),
              countries[random.nextInt(random.nextInt(5) == 0 ? 4 : 1)],
              random.nextInt(1_200)));
    }
    List<RawInput> inputs = new ArrayList<>();
    txs.forEach(t -> inputs.add(RawInput.ofJson("transactions", json(t))));
    FraudParams params = new FraudParams(10, 2, 1, 4);
    ArrayList<String> expected = new ArrayList<>();
    for (FraudAlertRow r :
        FraudOracle.compute(
                inputs,
                CustomerVersions.of(List.of(), List.of(), List.of()),
                params,
                LatePolicy.none())
            .alerts()) {
      expected.add(r.toString());
    }
    Collections.shuffle(txs, random);
    TestStream.Builder<Transaction> stream = TestStream.create(transactionCoder());
    for (Transaction t : txs) {
      stream = stream.addElements(at(t));
    }
    TrailingWindowRules.Result rules =
        p.apply(stream.advanceWatermarkToInfinity())
            .apply(
                TrailingWindowRules.of()
                    .withManyCountries(Duration.standardMinutes(10), 2)
                    .withVelocity(Duration.standardMinutes(1), 4));
    PAssert.that(rules.alerts())
        .satisfies(
            alerts -> {
              Map<String, FraudAlertRow> last = new TreeMap<>();
              for (FraudAlert a : alerts) {
                last.merge(
                    a.rule + "|" + a.alertKey,
                    oracleRow(a),
                    (x, y) -> x.observed() >= y.observed() ? x : y);
              }
              List<String> actual = new ArrayList<>();
              last.values().forEach(r -> actual.add(r.toString()));
              assertEquals(expected, actual);
              return null;
            });
    p.run().waitUntilFinish();
  }

  private Coder<Transaction> transactionCoder() {
    return EventCoders.TransactionCoder.of();
  }

  private static Transaction tx(String id, String customer, String country, long secondsAfterTen) {
    return new Transaction(
        id, customer, "m-1", 100, "EUR", country, TEN.getMillis() + secondsAfterTen * 1_000);
  }

  private static TimestampedValue<Transaction> at(Transaction t) {
    return TimestampedValue.of(t, new Instant(t.eventTimeMillis));
  }

  /** {@code rule|alert_key|observed} of each alert. */
  private static PCollection<String> rows(PCollection<FraudAlert> alerts) {
    return alerts.apply(
        "Rows", MapElements.into(TypeDescriptors.strings()).via(TrailingWindowRulesTest::row));
  }

  /** {@code event_id [window_start, window_end] watermark-time} of each late record. */
  private static PCollection<String> late(
      String name, PCollection<LateRecord<Transaction>> records) {
    return records.apply(
        name, MapElements.into(TypeDescriptors.strings()).via(TrailingWindowRulesTest::late));
  }

  private static String row(FraudAlert a) {
    return a.rule + "|" + a.alertKey + "|" + a.observed;
  }

  private static String late(LateRecord<Transaction> r) {
    return r.value().eventId
        + " ["
        + r.windowStart()
        + ", "
        + r.windowEnd()
        + "] "
        + r.watermark().toString().substring(11, 23);
  }

  private static FraudAlertRow oracleRow(FraudAlert a) {
    return new FraudAlertRow(
        a.rule,
        a.alertKey,
        a.customerId,
        java.time.Instant.ofEpochMilli(a.eventTimeMillis),
        a.observed,
        a.threshold);
  }

  private static String json(Transaction t) {
    return String.format(
        "{\"event_id\":\"%s\",\"customer_id\":\"%s\",\"merchant_id\":\"m-1\","
            + "\"amount_cents\":100,\"currency\":\"EUR\",\"country\":\"%s\","
            + "\"event_time\":\"%s\"}",
        t.eventId, t.customerId, t.country, java.time.Instant.ofEpochMilli(t.eventTimeMillis));
  }
}
