package io.beamsuite.bench;

import io.beamsuite.fixtures.generator.EventGenerator;
import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.fixtures.generator.GeneratedRecord;
import io.beamsuite.fixtures.generator.GeneratorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The pre-generated input of a benchmark: the raw JSON payloads of one topic in arrival order and
 * the event time of each (what a Kafka record timestamp would carry), generated once per run with a
 * fixed seed. Every side of a comparison reads the same arrays: they are static so that a source
 * running inside the embedded Flink MiniCluster of this JVM (Beam or native) reads them by index
 * without copying them into the job graph.
 *
 * <pre>{@code
 * BenchEvents.install(BenchEvents.generate(EventTopic.TRANSACTIONS, 200_000, 0.03));
 * byte[] third = BenchEvents.payload(2);
 * }</pre>
 */
public final class BenchEvents {
  /** The seed of every benchmark workload. */
  public static final long SEED = 20261124L;

  private static volatile byte[][] payloads = new byte[0][];
  private static volatile long[] eventTimes = new long[0];

  private BenchEvents() {}

  /** Payloads and event times of one topic. */
  public static final class Workload {
    final byte[][] payloads;
    final long[] eventTimes;

    Workload(byte[][] payloads, long[] eventTimes) {
      this.payloads = payloads;
      this.eventTimes = eventTimes;
    }

    public int size() {
      return payloads.length;
    }

    public byte[] payload(int i) {
      return payloads[i];
    }

    public long eventTime(int i) {
      return eventTimes[i];
    }

    /** The same records followed by {@code extra} (event time of the record it follows). */
    public Workload interleave(List<byte[]> extra, int every) {
      List<byte[]> p = new ArrayList<>();
      List<Long> t = new ArrayList<>();
      int next = 0;
      for (int i = 0; i < payloads.length; i++) {
        p.add(payloads[i]);
        t.add(eventTimes[i]);
        if ((i + 1) % every == 0 && next < extra.size()) {
          p.add(extra.get(next++));
          t.add(eventTimes[i]);
        }
      }
      return new Workload(
          p.toArray(new byte[0][]), t.stream().mapToLong(Long::longValue).toArray());
    }
  }

  /**
   * {@code events} records of {@code topic} only (valid, plus {@code duplicateRate} duplicates; no
   * late or malformed records), spread over {@code hours} of event time, seed {@link #SEED}.
   */
  public static Workload generate(EventTopic topic, int events, double duplicateRate, int hours) {
    GeneratorConfig config =
        GeneratorConfig.builder()
            .seed(SEED)
            .eventCount(events)
            .timeSpan(Duration.ofHours(hours))
            .duplicateRate(duplicateRate)
            .topicWeights(
                topic == EventTopic.CLICKS ? 1 : 0,
                topic == EventTopic.TRANSACTIONS ? 1 : 0,
                topic == EventTopic.SENSOR_READINGS ? 1 : 0)
            .userCount(10_000)
            .customerCount(5_000)
            .merchantCount(500)
            .sensorCount(200)
            .includeOversizedMalformed(false)
            .build();
    List<GeneratedRecord> records = EventGenerator.of(config).generate();
    byte[][] payloads = new byte[records.size()][];
    long[] times = new long[records.size()];
    for (int i = 0; i < records.size(); i++) {
      payloads[i] = records.get(i).payload();
      times[i] = records.get(i).eventTime().toEpochMilli();
    }
    return new Workload(payloads, times);
  }

  /** Makes {@code workload} the one every source of this JVM reads. */
  public static void install(Workload workload) {
    eventTimes = workload.eventTimes;
    payloads = workload.payloads;
  }

  public static int size() {
    return payloads.length;
  }

  public static byte[] payload(long i) {
    return payloads[(int) i];
  }

  public static long eventTime(long i) {
    return eventTimes[(int) i];
  }
}
