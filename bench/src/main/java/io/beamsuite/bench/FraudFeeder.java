package io.beamsuite.bench;

import static io.beamsuite.bench.LatencyBenchmark.BLOCK;
import static io.beamsuite.bench.LatencyBenchmark.COUNTRY_SLOTS;
import static io.beamsuite.bench.LatencyBenchmark.HOP_COUNTRIES;
import static io.beamsuite.bench.LatencyBenchmark.OVER_LIMIT_SLOTS;
import static io.beamsuite.bench.LatencyBenchmark.VELOCITY_SLOTS;

import io.beamsuite.fixtures.generator.CustomerRow;
import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.fixtures.services.EmbeddedPostgres;
import io.beamsuite.pipelines.fraud.FraudPipeline;
import io.beamsuite.pipelines.testing.Workload;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The open-loop transaction feeder of one fraud job. */
final class FraudFeeder {
  private final KafkaProducer<String, String> producer;
  private final List<CustomerRow> pool;
  private final int poolRate;
  private final String topic;
  private long rotation;
  private long extraRotation;
  private int fresh;

  FraudFeeder(KafkaProducer<String, String> producer, List<CustomerRow> pool, int poolRate) {
    this(producer, pool, poolRate, "transactions");
  }

  FraudFeeder(
      KafkaProducer<String, String> producer, List<CustomerRow> pool, int poolRate, String topic) {
    this.producer = producer;
    this.pool = pool;
    this.poolRate = poolRate;
    this.topic = topic;
  }

  /**
   * Creates {@code transactionsTopic} (2 partitions) and {@code customersTopic} (1), sends the CDC
   * snapshot of {@code poolSize} generated customers to the latter and returns them: the pool a
   * feeder draws its under-limit transactions from.
   */
  static List<CustomerRow> customerPool(
      EmbeddedKafka kafka, String transactionsTopic, String customersTopic, int poolSize)
      throws IOException {
    EventGenerator generator =
        EventGenerator.of(
            GeneratorConfig.builder()
                .seed(BenchEvents.SEED)
                .eventCount(10)
                .customerCount(poolSize)
                .customerUpdateCount(0)
                .build());
    kafka.createTopic(transactionsTopic, 2);
    kafka.createTopic(customersTopic, 1);
    try (KafkaProducer<String, String> producer =
        LatencyBenchmark.producer(kafka.bootstrapServers())) {
      for (String envelope : Workload.customerChanges(generator)) {
        producer.send(new ProducerRecord<>(customersTopic, envelope));
      }
      producer.flush();
    }
    return generator.customerSnapshot();
  }

  void probe(String id) {
    CustomerRow c = pool.get(pool.size() - 1);
    send(id, c.customerId(), c.creditLimitCents() + 1, "US", System.currentTimeMillis());
  }

  /** Sends the phase on its schedule; fills in what was sent and the expected alerts. */
  void run(FraudPhase phase) throws InterruptedException {
    int n = phase.rate * phase.seconds / BLOCK * BLOCK;
    long startNanos = System.nanoTime();
    phase.startMs = System.currentTimeMillis();
    double behindNanos = 0;
    String velocityCustomer = null;
    String countryCustomer = null;
    long lastVelocityMs = Long.MIN_VALUE;
    long lastCountryMs = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      long due = startNanos + (long) (i * 1e9 / phase.rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      behindNanos = Math.max(behindNanos, System.nanoTime() - due);
      int slot = i % BLOCK;
      if (slot == 0) {
        velocityCustomer = "v-" + fresh;
        countryCustomer = "k-" + fresh;
        fresh++;
        lastVelocityMs = Long.MIN_VALUE;
        lastCountryMs = Long.MIN_VALUE;
      }
      long eventMs = (long) Math.floor(phase.dueMs(i));
      String id = phase.name + "-" + i;
      int velocity = Arrays.binarySearch(VELOCITY_SLOTS, slot);
      int hop = Arrays.binarySearch(COUNTRY_SLOTS, slot);
      // A block's velocity (and country) transactions get strictly increasing event times: above
      // 10,000 tx/s two of them can fall in one millisecond, and a transaction's trailing window
      // includes those at its own event time, so the earlier one would deserve the alert too.
      if (velocity >= 0) {
        lastVelocityMs = Math.max(eventMs, lastVelocityMs + 1);
        send(id, velocityCustomer, 1_000, "US", lastVelocityMs);
      } else if (hop >= 0) {
        lastCountryMs = Math.max(eventMs, lastCountryMs + 1);
        send(id, countryCustomer, 1_000, HOP_COUNTRIES[hop], lastCountryMs);
      } else if (Arrays.binarySearch(OVER_LIMIT_SLOTS, slot) >= 0 || phase.rate <= poolRate) {
        CustomerRow c = nextInRotation();
        boolean over = Arrays.binarySearch(OVER_LIMIT_SLOTS, slot) >= 0;
        send(id, c.customerId(), over ? c.creditLimitCents() + 1 : 1_000, "US", eventMs);
      } else {
        // Above the pool's rate: customers without a CDC row, 16 x rate of them per phase in
        // rotation (over 19 s apart), so the active customers grow with the rate.
        String customer = "b" + phase.rate + "-" + (extraRotation++ % (16L * phase.rate));
        send(id, customer, 1_000, "US", eventMs);
      }
    }
    // Sends per second up to the last send (the flush after it waits for the broker's acks).
    phase.achievedRate = n / ((System.nanoTime() - startNanos) / 1e9);
    producer.flush();
    phase.sent = n;
    phase.feederBehindMs = behindNanos / 1e6;
    int blocks = n / BLOCK;
    phase.expected.put(FraudPipeline.VELOCITY, blocks);
    phase.expected.put(FraudPipeline.MANY_COUNTRIES, blocks);
    phase.expected.put(FraudPipeline.AMOUNT_OVER_LIMIT, blocks * OVER_LIMIT_SLOTS.length);
  }

  /**
   * Waits for the phase's alerts ({@link FraudPhase#drain}) while the feed goes on at the pool's
   * rate with transactions that deserve no alert (pool customers in rotation, under their limits,
   * one country). A live stream does not stop after the phase's last transaction: without this, the
   * transactions' watermark would stop with the feed, and the phase's last held transactions would
   * wait for KafkaIO's idle-partition rule, which moves a caught-up partition's watermark from its
   * backlog check (about once a second): up to a second more for the last two seconds of every
   * phase, which was 3% of its alerts and so set its p99.
   */
  void drainWhileFeeding(FraudPhase phase, EmbeddedPostgres postgres) throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    Thread filler =
        new Thread(
            () -> {
              long startNanos = System.nanoTime();
              for (long i = 0; !done.get(); i++) {
                LockSupport.parkNanos(startNanos + (long) (i * 1e9 / poolRate) - System.nanoTime());
                CustomerRow c = nextInRotation();
                send(
                    "fill-" + phase.name + "-" + i, // outside the phase's alert-key prefix
                    c.customerId(),
                    1_000,
                    "US",
                    System.currentTimeMillis());
              }
            },
            "fraud-filler");
    filler.start();
    try {
      phase.drain(postgres);
    } finally {
      done.set(true);
      filler.join();
    }
  }

  /** The next pool customer in rotation; the last one is kept for the start-up probes. */
  private CustomerRow nextInRotation() {
    return pool.get((int) (rotation++ % (pool.size() - 1)));
  }

  private void send(String id, String customer, long amountCents, String country, long eventMs) {
    String json =
        "{\"event_id\":\""
            + id
            + "\",\"customer_id\":\""
            + customer
            + "\",\"merchant_id\":\"m-00001\",\"amount_cents\":"
            + amountCents
            + ",\"currency\":\"USD\",\"country\":\""
            + country
            + "\",\"event_time\":\""
            + Instant.ofEpochMilli(eventMs)
            + "\"}";
    producer.send(new ProducerRecord<>(topic, customer, json));
  }
}
