package io.beamsuite.bench;

import static io.beamsuite.bench.LatencyBenchmark.producer;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.pipelines.fraud.FraudOptions;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Streaming fraud on the Direct runner (the local default) from Kafka: the same open-loop feed as
 * {@link FraudLatency}, steps of rising rate until one falls behind, on topics of its own.
 */
final class DirectStreamingFraud {
  static final String TRANSACTIONS = "transactions-direct";
  static final String CUSTOMERS = "customers-direct";

  private DirectStreamingFraud() {}

  static void run(
      Results out,
      EmbeddedPostgres postgres,
      EmbeddedKafka kafka,
      int baseRate,
      List<Integer> steps,
      int stepSeconds)
      throws Exception {
    int poolSize = 1 + 16 * baseRate;
    List<CustomerRow> pool = FraudFeeder.customerPool(kafka, TRANSACTIONS, CUSTOMERS, poolSize);
    FraudOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DirectRunner",
                "--blockOnRun=false",
                "--enforceImmutability=false",
                "--enforceEncodability=false",
                "--streaming=true",
                "--source=kafka",
                "--bootstrapServers=" + kafka.bootstrapServers(),
                "--transactionsTopic=" + TRANSACTIONS,
                "--customersSource=kafka",
                "--customersTopic=" + CUSTOMERS,
                "--alertsTopic=",
                "--maxOutOfOrdernessSeconds=2",
                "--customerVersionRetentionMinutes=10",
                "--jdbcUrl=" + postgres.jdbcUrl(),
                "--jdbcUser=" + postgres.user())
            .as(FraudOptions.class);
    Pipeline p = Pipeline.create(options);
    FraudPipeline.build(p, options);
    long submitted = System.currentTimeMillis();
    PipelineResult result = p.run();
    List<FraudPhase> phases = new ArrayList<>();
    Profiles.Summary[] profile = new Profiles.Summary[1];
    double upSeconds;
    try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
      FraudFeeder feeder = new FraudFeeder(producer, pool, baseRate, TRANSACTIONS);
      long upBy = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(300);
      int probe = 0;
      while (LatencyBenchmark.count(postgres, "alert_key LIKE 'direct-probe-%'") == 0) {
        if (System.currentTimeMillis() > upBy) {
          throw new IllegalStateException(
              "no alert within 300 s; the Direct fraud job did not start");
        }
        feeder.probe("direct-probe-" + probe++);
        Thread.sleep(500);
      }
      upSeconds = (System.currentTimeMillis() - submitted) / 1e3;
      for (int rate : steps) {
        FraudPhase phase = new FraudPhase("direct-r" + rate, rate, stepSeconds);
        profile[0] =
            Profiles.sample(
                () -> {
                  feeder.run(phase);
                  feeder.drainWhileFeeding(phase, postgres);
                  return phase.sent;
                });
        phases.add(phase);
        System.out.printf("Direct: %,d tx/s for %d s: %s%n", rate, stepSeconds, phase.verdict());
        if (!phase.held) {
          break;
        }
      }
    } finally {
      result.cancel();
    }
    report(out, phases, profile[0], baseRate, poolSize, upSeconds);
  }

  private static void report(
      Results out,
      List<FraudPhase> phases,
      Profiles.Summary profile,
      int baseRate,
      int poolSize,
      double upSeconds) {
    out.note(
        String.format(
            Locale.ROOT,
            "**fraud on the Direct runner.** The same pipeline and feed on `--runner=DirectRunner"
                + " --streaming=true` (with the launcher's Direct defaults: `--blockOnRun=false"
                + " --enforceImmutability=false --enforceEncodability=false`), topics `%s` (2"
                + " partitions) and `%s` (a %,d-row snapshot: 16 × the base rate of %,d tx/s), in the same"
                + " JVM after the Flink job has been cancelled. The job answered its start-up probe %.0f s"
                + " after submission; then steps of rising rate, each judged as the Flink ladder's.",
            TRANSACTIONS,
            CUSTOMERS,
            poolSize,
            baseRate,
            upSeconds));
    List<List<String>> rows = new ArrayList<>();
    int sustainable = 0;
    for (FraudPhase phase : phases) {
      int expected = phase.expected.values().stream().mapToInt(Integer::intValue).sum();
      rows.add(
          List.of(
              String.format("%,d", phase.rate),
              String.valueOf(phase.seconds),
              String.format("%,.0f", phase.achievedRate),
              String.format("%,d / %,d", expected - phase.missing, expected),
              LatencyBenchmark.ms(phase.windowRulesLastThirdP99),
              phase.verdict()));
      if (phase.held) {
        sustainable = phase.rate;
      }
    }
    out.table(
        "fraud on the Direct runner: rate steps (one job; stops at the first step that falls behind)",
        List.of(
            "tx/s", "s", "sent/s", "alerts arrived", "window rules p99, last third ms", "verdict"),
        rows);
    out.measure(
        "fraud on the Direct runner, streaming from Kafka: sustainable rate",
        new double[] {sustainable},
        "tx/s",
        Results.Goal.atLeast(1_000, "≥ 1,000 tx/s"));
    if (profile != null) {
      out.profile(
          String.format(
              Locale.ROOT,
              "whole JVM (Direct runner job, embedded Kafka broker, feeder) during the %,d tx/s step",
              phases.get(phases.size() - 1).rate),
          profile);
    }
  }
}
