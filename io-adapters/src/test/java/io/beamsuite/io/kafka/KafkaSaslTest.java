package io.beamsuite.io.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamsuite.fixtures.services.EmbeddedKafka;
import io.beamsuite.transforms.records.RawRecord;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link KafkaClientProperties} against a real broker with a {@code SASL_PLAINTEXT}/{@code PLAIN}
 * listener: a pipeline reads and writes through it with the password from a secrets file, a wrong
 * password fails the run with Kafka's authentication error, and the password appears in none of:
 * the transforms' display data, their serialized form, and everything this JVM logged (broker,
 * clients, Beam) while the broker ran.
 */
@RunWith(JUnit4.class)
public class KafkaSaslTest {
  private static final String USER = "beamsuite";
  // Random, so a match in the logs cannot come from anywhere but this test's secret.
  private static final String PASSWORD = "pw-" + UUID.randomUUID();
  private static final String WRONG_PASSWORD = "wrong-" + UUID.randomUUID();
  private static final int N = 40;
  private static final KafkaClientProperties SASL_PLAIN =
      KafkaClientProperties.parse(
          List.of("security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN"));

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
  private static PrintStream originalOut;
  private static PrintStream originalErr;
  private static EmbeddedKafka kafka;

  @BeforeClass
  public static void captureLogsAndStartSaslBroker() throws Exception {
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(tee(originalOut));
    System.setErr(tee(originalErr));
    kafka = new EmbeddedKafka().withSaslPlainListener(Map.of(USER, PASSWORD)).start();
    kafka.createTopic("sasl-in", 1);
    kafka.createTopic("sasl-out", 1);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      for (int i = 0; i < N; i++) {
        producer.send(new ProducerRecord<>("sasl-in", "k" + i, click(i))).get();
      }
    }
  }

  @AfterClass
  public static void stopBrokerAndRestoreStreams() {
    try {
      if (kafka != null) {
        kafka.close();
      }
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
  }

  @Test
  public void readsAndWritesThroughSaslWithThePasswordFromTheSecretsFileOnly() throws Exception {
    KafkaClientProperties client = SASL_PLAIN.withSecretsFile(secretsFile(PASSWORD).toString());
    KafkaJsonSource source =
        KafkaJsonSource.of(kafka.saslBootstrapServers(), "sasl-in")
            .withClientProperties(client)
            .withMaxNumRecords(N)
            .withMaxReadTime(org.joda.time.Duration.standardSeconds(60));
    KafkaJsonSink sink =
        KafkaJsonSink.to(kafka.saslBootstrapServers(), "sasl-out").withClientProperties(client);

    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply("Read", source)
        .apply(
            "Key",
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via(
                    (RawRecord r) ->
                        KV.of("k", new String(r.getPayload(), StandardCharsets.UTF_8))))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
        .apply("Write", sink);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    List<String> expected = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      expected.add(click(i));
    }
    assertEquals(expected, readPlaintext("sasl-out", N));

    // What travels with a job: display data and the serialized KafkaIO transforms.
    String display = DisplayData.from(source.kafkaRead()).toString();
    assertThat(display, containsString("SASL_PLAINTEXT"));
    assertThat(display, not(containsString(PASSWORD)));
    assertFalse(
        "serialized read holds the password",
        contains(SerializableUtils.serializeToByteArray(source.kafkaRead()), PASSWORD));
    assertFalse(
        "serialized sink holds the password",
        contains(SerializableUtils.serializeToByteArray(sink), PASSWORD));
    assertLogsHoldNoSecret();
  }

  @Test
  public void aWrongPasswordFailsTheRunWithKafkasAuthenticationError() throws Exception {
    KafkaJsonSource source =
        KafkaJsonSource.of(kafka.saslBootstrapServers(), "sasl-in")
            .withClientProperties(
                SASL_PLAIN.withSecretsFile(secretsFile(WRONG_PASSWORD).toString()))
            .withMaxNumRecords(N)
            .withMaxReadTime(org.joda.time.Duration.standardSeconds(60));
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply("Read", source);

    long start = System.nanoTime();
    Exception failure = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    String chain = causes(failure);
    assertThat(chain, containsString("SaslAuthenticationException"));
    assertThat(chain, containsString("Invalid username or password"));
    assertTrue(
        "should fail fast, not after the read timeout",
        Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(50)) < 0);
    assertThat(chain, not(containsString(WRONG_PASSWORD)));
    assertLogsHoldNoSecret();
  }

  @Test
  public void refusesALiteralSecretAsAPlainPropertyWithoutEchoingIt() {
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KafkaClientProperties.parse(
                    List.of(
                        "security.protocol=SASL_SSL",
                        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule"
                            + " required username=\"u\" password=\""
                            + PASSWORD
                            + "\";")));
    assertThat(refused.getMessage(), containsString("sasl.jaas.config is a secret"));
    assertThat(refused.getMessage(), containsString("--kafkaSecretsFile"));
    assertThat(refused.getMessage(), not(containsString(PASSWORD)));
    for (String key :
        List.of("ssl.keystore.password", "ssl.key.password", "ssl.truststore.password")) {
      assertThrows(
          key, IllegalArgumentException.class, () -> KafkaClientProperties.of(Map.of(key, "x")));
    }
    // A config-provider reference names where the secret is, so it may travel.
    assertEquals(
        "${file:/etc/kafka/secrets.properties:jaas}",
        KafkaClientProperties.of(
                Map.of("sasl.jaas.config", "${file:/etc/kafka/secrets.properties:jaas}"))
            .plainProperties()
            .get("sasl.jaas.config"));
  }

  private static void assertLogsHoldNoSecret() {
    System.out.flush();
    System.err.flush();
    String log;
    synchronized (LOG) {
      log = LOG.toString(StandardCharsets.UTF_8);
    }
    // The capture must have seen the broker's and clients' configuration dumps, else it proves
    // nothing.
    assertThat(log, containsString("sasl.jaas.config = [hidden]"));
    assertThat(log, not(containsString(PASSWORD)));
    assertThat(log, not(containsString(WRONG_PASSWORD)));
  }

  private static PrintStream tee(PrintStream original) {
    return new PrintStream(
        new OutputStream() {
          @Override
          public void write(int b) {
            original.write(b);
            synchronized (LOG) {
              LOG.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            original.write(b, off, len);
            synchronized (LOG) {
              LOG.write(b, off, len);
            }
          }
        },
        true,
        StandardCharsets.UTF_8);
  }

  private static Path secretsFile(String password) throws Exception {
    Path file = TMP.newFile().toPath();
    Files.writeString(
        file,
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\\\""
            + USER
            + "\\\" password=\\\""
            + password
            + "\\\";\n");
    return file;
  }

  private List<String> readPlaintext(String topic, int n) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringDeserializer(),
            new StringDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (values.size() < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
    }
    values.sort(null);
    return values;
  }

  private static String click(int i) {
    return String.format(
        "{\"event_id\":\"c-%03d\",\"user_id\":\"u-1\",\"page\":\"/p\",\"event_time\":\"2026-11-23T10:00:%02dZ\"}",
        i, i % 60);
  }

  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }

  private static String causes(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      s.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
    }
    return s.toString();
  }
}
