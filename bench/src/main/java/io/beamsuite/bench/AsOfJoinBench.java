package io.beamsuite.bench;

import static io.beamsuite.bench.EnrichmentBenchmark.ENRICHED;
import static io.beamsuite.bench.EnrichmentBenchmark.config;
import static io.beamsuite.bench.EnrichmentBenchmark.flinkPipeline;
import static io.beamsuite.bench.EnrichmentBenchmark.install;
import static io.beamsuite.bench.EnrichmentBenchmark.readTransactions;
import static io.beamsuite.bench.EnrichmentBenchmark.transactions;

import io.beamsuite.bench.EnrichmentBenchmark.CountFn;
import io.beamsuite.bench.EnrichmentBenchmark.WithCustomerLimit;
import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.pipelines.model.Customer;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.cdc.ChangePosition;
import io.beamsuite.transforms.coders.EfficientCoders;
import io.beamsuite.transforms.enrichment.Enrichment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.joda.time.Instant;

/**
 * The as-of join part of section 7 (see {@link EnrichmentBenchmark}): {@code Enrichment.asOf}
 * against the customers' versions as a change stream vs the same join as a plain Java loop, over
 * the transactions the lookup part also reads.
 */
final class AsOfJoinBench {
  private AsOfJoinBench() {}

  /** Times the as-of join both ways over the same transactions and reports to {@code out}. */
  static void run(Results out, int events, int trials) throws Exception {
    GeneratorConfig config = config(events);
    EventGenerator generator = EventGenerator.of(config);
    List<CustomerRow> versions = new ArrayList<>(generator.customerSnapshot());
    versions.addAll(generator.customerUpdates());
    List<ChangeEvent<String, Customer>> changes = new ArrayList<>();
    for (int i = 0; i < versions.size(); i++) {
      CustomerRow row = versions.get(i);
      Customer c =
          new Customer(
              row.customerId(),
              row.name(),
              row.tier(),
              row.homeCountry(),
              row.creditLimitCents(),
              row.updatedAt().toEpochMilli() * 1000);
      changes.add(
          ChangeEvent.of(
              i < config.customerCount() ? ChangeEvent.Op.READ : ChangeEvent.Op.UPDATE,
              row.customerId(),
              null,
              c,
              ChangePosition.of(i, 0),
              new Instant(row.updatedAt().toEpochMilli())));
    }
    install(events);
    Map<String, TreeMap<Long, Long>> plainVersions = new HashMap<>();
    for (ChangeEvent<String, Customer> c : changes) {
      plainVersions
          .computeIfAbsent(c.key(), k -> new TreeMap<>())
          .put(c.after().updatedAtMillis().getMillis(), c.after().creditLimitCents);
    }
    long[] matched = new long[2];
    Trials.Timings t =
        Trials.of(trials)
            .side(
                "Enrichment.asOf on Flink",
                () -> {
                  ENRICHED.set(0);
                  Pipeline p = flinkPipeline();
                  Coder<Customer> customerCoder =
                      EfficientCoders.infer(p, TypeDescriptor.of(Customer.class), "withCoder(...)");
                  PCollection<ChangeEvent<String, Customer>> dimension =
                      p.apply(
                          "CustomerVersions",
                          Create.timestamped(changes, timestampsOf(changes))
                              .withCoder(ChangeEvent.coder(StringUtf8Coder.of(), customerCoder)));
                  readTransactions(p)
                      .apply(
                          "AsOf",
                          Enrichment.asOf(
                              (Transaction tx) -> tx.customerId,
                              dimension,
                              new WithCustomerLimit()))
                      .enriched()
                      .apply("Count", ParDo.of(new CountFn()));
                  p.run().waitUntilFinish();
                  matched[0] = ENRICHED.get();
                  return transactions.length;
                })
            .side(
                "plain Java TreeMap.floorEntry (1 thread)",
                () -> {
                  long n = 0;
                  for (Transaction tx : transactions) {
                    TreeMap<Long, Long> v = plainVersions.get(tx.customerId);
                    if (v != null && v.floorEntry(tx.eventTimeMillis) != null) {
                      n++;
                    }
                  }
                  matched[1] = n;
                  return transactions.length;
                })
            .run();
    out.note(
        String.format(
            "As-of join: %,d transactions against %,d customer versions (%,d snapshot rows +"
                + " %,d updates) as a timestamped change stream; enriched: Beam %,d, plain Java %,d%s.",
            transactions.length,
            changes.size(),
            config.customerCount(),
            changes.size() - config.customerCount(),
            matched[0],
            matched[1],
            matched[0] == matched[1] ? " (equal)" : " (**differ**)"));
    out.ratio(
        "as-of join: Enrichment.asOf on Flink / plain Java",
        t.ratios("Enrichment.asOf on Flink", "plain Java TreeMap.floorEntry (1 thread)"),
        null);
    out.table("as-of join throughput per trial", t.rateHeader(), t.rateRows());
  }

  private static List<Long> timestampsOf(List<ChangeEvent<String, Customer>> changes) {
    List<Long> ts = new ArrayList<>();
    for (ChangeEvent<String, Customer> c : changes) {
      ts.add(c.commitTime().getMillis());
    }
    return ts;
  }
}
