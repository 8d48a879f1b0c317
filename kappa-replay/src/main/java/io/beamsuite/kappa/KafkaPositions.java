package io.beamsuite.kappa;

import io.beamsuite.io.kafka.EventTimes;
import io.beamsuite.io.kafka.KafkaClientProperties;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Offsets the replay needs from the broker, with plain Kafka clients: the partitions of the topics,
 * their earliest and end offsets, offsets by timestamp, a consumer group's committed offsets (how
 * far the pipeline has got: KafkaIO commits them as the runner finalizes checkpoints), seeding the
 * group with the replay's start offsets, and the event time at the live point.
 *
 * <pre>{@code
 * try (KafkaPositions kafka = KafkaPositions.connect("127.0.0.1:9092")) {
 *   Map<TopicPartition, Long> live = kafka.endOffsets(List.of("transactions", "clicks"));
 * }
 * }</pre>
 */
public final class KafkaPositions implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final AdminClient admin;
  private final KafkaConsumer<byte[], byte[]> consumer;

  private KafkaPositions(String bootstrapServers, KafkaClientProperties client) {
    this.admin =
        AdminClient.create(
            client.clientConfig(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)));
    this.consumer =
        new KafkaConsumer<>(
            client.clientConfig(
                Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500")),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
  }

  public static KafkaPositions connect(String bootstrapServers) {
    return connect(bootstrapServers, KafkaClientProperties.none());
  }

  /**
   * Clients with the given settings, e.g. security ({@code --kafkaProperties/--kafkaSecretsFile}).
   */
  public static KafkaPositions connect(String bootstrapServers, KafkaClientProperties client) {
    return new KafkaPositions(bootstrapServers, client);
  }

  /** Every partition of {@code topics}, ordered; a missing topic is an error. */
  public List<TopicPartition> partitions(List<String> topics) {
    List<TopicPartition> all = new ArrayList<>();
    for (String topic : topics) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalArgumentException("Kafka topic " + topic + " does not exist");
      }
      for (PartitionInfo info : infos) {
        all.add(new TopicPartition(topic, info.partition()));
      }
    }
    all.sort(KafkaPositions::compare);
    return all;
  }

  /** The end offset (next offset to be written) of every partition of {@code topics}. */
  public Map<TopicPartition, Long> endOffsets(List<String> topics) {
    return sorted(consumer.endOffsets(partitions(topics), TIMEOUT));
  }

  /** The earliest retained offset of every partition of {@code topics}. */
  public Map<TopicPartition, Long> beginningOffsets(List<String> topics) {
    return sorted(consumer.beginningOffsets(partitions(topics), TIMEOUT));
  }

  /**
   * Per partition, the first offset whose Kafka record timestamp is at or after {@code time}; the
   * end offset where there is none (nothing of the history is replayed there).
   */
  public Map<TopicPartition, Long> offsetsForTime(List<String> topics, Instant time) {
    List<TopicPartition> partitions = partitions(topics);
    Map<TopicPartition, Long> query = new HashMap<>();
    partitions.forEach(tp -> query.put(tp, time.toEpochMilli()));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, TIMEOUT);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
    Map<TopicPartition, Long> offsets = new TreeMap<>(KafkaPositions::compare);
    for (TopicPartition tp : partitions) {
      OffsetAndTimestamp hit = found.get(tp);
      offsets.put(tp, hit == null ? end.get(tp) : hit.offset());
    }
    return offsets;
  }

  /** The offsets {@code groupId} has committed (partitions without a commit are absent). */
  public Map<TopicPartition, Long> committed(String groupId) {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(groupId)
              .partitionsToOffsetAndMetadata()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, Long> offsets = new TreeMap<>(KafkaPositions::compare);
      committed.forEach(
          (tp, om) -> {
            if (om != null) {
              offsets.put(tp, om.offset());
            }
          });
      return offsets;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted reading the offsets of group " + groupId, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not read the offsets of group " + groupId, e);
    }
  }

  /**
   * Sets {@code groupId}'s committed offsets to {@code offsets}: KafkaIO's reader starts a
   * partition at its group's committed offset, so this is where the replay begins. The group must
   * have no active members (KafkaIO assigns partitions itself and never joins as a member).
   */
  public void seed(String groupId, Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    offsets.forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
    try {
      admin
          .alterConsumerGroupOffsets(groupId, commit)
          .all()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted seeding group " + groupId, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "could not set the start offsets of consumer group "
              + groupId
              + " (is a replay with this group still running?)",
          e);
    }
  }

  /**
   * The largest {@code event_time} among the last {@code window} records before {@code end} of each
   * partition: the event time of the live point (null where none of them has one).
   */
  public @Nullable Instant eventTimeBefore(Map<TopicPartition, Long> end, int window) {
    Instant max = null;
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      long stop = e.getValue();
      long from = Math.max(0, stop - window);
      if (stop <= 0) {
        continue;
      }
      TopicPartition tp = e.getKey();
      consumer.assign(List.of(tp));
      consumer.seek(tp, from);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      long position = from;
      while (position < stop && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() >= stop) {
            continue;
          }
          position = Math.max(position, r.offset() + 1);
          org.joda.time.Instant t = EventTimes.eventTimeOrNull(r.value());
          if (t != null && (max == null || t.getMillis() > max.toEpochMilli())) {
            max = Instant.ofEpochMilli(t.getMillis());
          }
        }
        position = Math.max(position, consumer.position(tp));
      }
    }
    consumer.unsubscribe();
    return max;
  }

  @Override
  public void close() {
    try {
      consumer.close(Duration.ofSeconds(5));
    } finally {
      admin.close(Duration.ofSeconds(5));
    }
  }

  static int compare(TopicPartition a, TopicPartition b) {
    int byTopic = a.topic().compareTo(b.topic());
    return byTopic != 0 ? byTopic : Integer.compare(a.partition(), b.partition());
  }

  private static Map<TopicPartition, Long> sorted(Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, Long> sorted = new TreeMap<>(KafkaPositions::compare);
    sorted.putAll(offsets);
    return sorted;
  }
}
