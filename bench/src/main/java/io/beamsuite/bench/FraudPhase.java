package io.beamsuite.bench;

import static io.beamsuite.bench.LatencyBenchmark.DRAIN_SECONDS;
import static io.beamsuite.bench.LatencyBenchmark.FEEDER_SLACK_MS;
import static io.beamsuite.bench.LatencyBenchmark.LAG_BOUND_MS;
import static io.beamsuite.bench.LatencyBenchmark.ms;
import static io.beamsuite.bench.LatencyBenchmark.sorted;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.pipelines.clickstream.ClickstreamOptions;
import io.beamsuite.pipelines.clickstream.ClickstreamPipeline;
import io.beamsuite.pipelines.fraud.FraudOptions;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import io.beamsuite.pipelines.testing.Workload;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** What one phase of the fraud feed sent and what arrived. */
final class FraudPhase {
  final String name;
  final int rate;
  final int seconds;
  int sent;
  long startMs;
  double feederBehindMs;
  double achievedRate;
  /** rule -> latencies (ms) of the rows that arrived, sorted. */
  final Map<String, double[]> latencies = new HashMap<>();
  final Map<String, Integer> expected = new HashMap<>();
  int missing;
  int unexpected;
  double windowRulesLastThirdP99 = Double.NaN;
  boolean held;

  FraudPhase(String name, int rate, int seconds) {
    this.name = name;
    this.rate = rate;
    this.seconds = seconds;
  }

  double dueMs(int i) {
    return startMs + i * 1000.0 / rate;
  }

  String verdict() {
    if (held) {
      return "holds";
    }
    List<String> why = new ArrayList<>();
    if (feederBehindMs > FEEDER_SLACK_MS) {
      why.add(String.format(Locale.ROOT, "feeder %,.0f ms behind schedule", feederBehindMs));
    }
    if (missing > 0) {
      why.add(String.format(Locale.ROOT, "%,d alerts not there %d s after the last send", missing,
          DRAIN_SECONDS));
    }
    if (!(windowRulesLastThirdP99 <= LAG_BOUND_MS)) {
      why.add(String.format(Locale.ROOT, "window-rule p99 in the last third %,.0f ms > %,d ms",
          windowRulesLastThirdP99, LAG_BOUND_MS));
    }
    return "**falls behind** (" + String.join(", ", why) + ")";
  }
}
