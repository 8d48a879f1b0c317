package io.beamsuite.io.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Kafka client settings beyond the bootstrap servers — typically security ({@code
 * security.protocol}, {@code sasl.mechanism}, {@code ssl.truststore.location}) — split into the
 * part that may be seen and the part that must not:
 *
 * <ul>
 *   <li>{@link #of plain properties} go into KafkaIO's consumer/producer config, which KafkaIO
 *       shows as display data (Flink job plan, Dataflow job spec). Secret-typed keys (Kafka's
 *       {@code PASSWORD} type: {@code sasl.jaas.config}, {@code ssl.key.password}, {@code
 *       ssl.keystore.password}, ...) are therefore refused here unless the value is a Kafka config
 *       provider reference such as {@code ${file:/etc/kafka/secrets.properties:jaas}}.
 *   <li>A {@link #withSecretsFile secrets file} (Java properties format, e.g. {@code
 *       sasl.jaas.config=...}) is named, not read, when the pipeline is built: only its path
 *       travels with the job. It is read by the consumer/producer factory each time KafkaIO creates
 *       a client, on the machine that creates it (the worker; for Dataflow Runner v1 also the
 *       launcher, which splits the source), so the file must exist there.
 * </ul>
 *
 * <pre>{@code
 * KafkaClientProperties security =
 *     KafkaClientProperties.parse(List.of("security.protocol=SASL_SSL", "sasl.mechanism=PLAIN"))
 *         .withSecretsFile("/etc/beamsuite/kafka-secrets.properties");
 * p.apply(KafkaJsonSource.of(bootstrap, "clicks").withClientProperties(security));
 * }</pre>
 */
public final class KafkaClientProperties implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final KafkaClientProperties NONE =
      new KafkaClientProperties(new TreeMap<>(), null);

  // TreeMap: serializable, and a stable order wherever the properties are shown.
  private final TreeMap<String, String> properties;
  private final @Nullable String secretsFile;

  private KafkaClientProperties(TreeMap<String, String> properties, @Nullable String secretsFile) {
    this.properties = properties;
    this.secretsFile = secretsFile;
  }

  /** No extra properties and no secrets file: KafkaIO's own clients. */
  public static KafkaClientProperties none() {
    return NONE;
  }

  /**
   * Plain (non-secret) client properties.
   *
   * @throws IllegalArgumentException if a key is blank, is one this class or KafkaIO owns ({@code
   *     bootstrap.servers}, (de)serializers), or holds a literal secret
   */
  public static KafkaClientProperties of(Map<String, String> properties) {
    TreeMap<String, String> copy = new TreeMap<>();
    properties.forEach(
        (key, value) -> {
          String k = key == null ? "" : key.trim();
          if (k.isEmpty() || value == null) {
            throw new IllegalArgumentException(
                "Kafka property needs a key and a value: '" + key + "'");
          }
          checkNotOwned(k);
          checkNotSecret(k, value);
          copy.put(k, value);
        });
    return new KafkaClientProperties(copy, null);
  }

  /** Parses {@code key=value} entries (the {@code --kafkaProperties} option's list). */
  public static KafkaClientProperties parse(List<String> entries) {
    Map<String, String> properties = new TreeMap<>();
    for (String entry : entries) {
      if (entry == null || entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "--kafkaProperties: expected key=value, got '" + redacted(entry) + "'");
      }
      properties.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
    }
    return of(properties);
  }

  /**
   * The same properties plus a Java properties file read wherever a Kafka client is created; its
   * entries (secret or not) override the plain ones and never enter options or display data.
   */
  public KafkaClientProperties withSecretsFile(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("secrets file path must be non-blank");
    }
    return new KafkaClientProperties(properties, path);
  }

  /** The plain properties, for KafkaIO's consumer/producer config (no secrets in them). */
  public Map<String, Object> plainProperties() {
    return new HashMap<>(properties);
  }

  /** The secrets file's path, or null. */
  public @Nullable String secretsFile() {
    return secretsFile;
  }

  /** True if neither plain properties nor a secrets file are set. */
  public boolean isEmpty() {
    return properties.isEmpty() && secretsFile == null;
  }

  /** A consumer factory for KafkaIO reading the secrets file; null without one (KafkaIO's own). */
  public @Nullable SerializableFunction<Map<String, Object>, Consumer<byte[], byte[]>>
      consumerFactory() {
    return secretsFile == null ? null : new ConsumerWithSecrets(secretsFile);
  }

  /** A producer factory for KafkaIO reading the secrets file; null without one (KafkaIO's own). */
  public <K, V>
      @Nullable SerializableFunction<Map<String, Object>, Producer<K, V>> producerFactory() {
    return secretsFile == null ? null : new ProducerWithSecrets<>(secretsFile);
  }

  /**
   * A complete config for a Kafka client created here (not by KafkaIO), e.g. an admin client of a
   * launcher command: the plain properties, then {@code base}, then the secrets file's entries.
   */
  public Map<String, Object> clientConfig(Map<String, Object> base) {
    Map<String, Object> config = plainProperties();
    config.putAll(base);
    return secretsFile == null ? config : withSecrets(config, secretsFile);
  }

  /** {@code config} (a client config built by KafkaIO) with the secrets file's entries added. */
  static Map<String, Object> withSecrets(Map<String, Object> config, String secretsFile) {
    Properties secrets = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(secretsFile))) {
      secrets.load(in);
    } catch (IOException e) {
      // The message names the file, never its content.
      throw new UncheckedIOException("cannot read the Kafka secrets file " + secretsFile, e);
    }
    Map<String, Object> merged = new HashMap<>(config);
    secrets.stringPropertyNames().forEach(key -> merged.put(key, secrets.getProperty(key)));
    return merged;
  }

  /** Shows keys and the secrets file's path only: values may be sensitive enough to hide too. */
  @Override
  public String toString() {
    return "KafkaClientProperties{keys="
        + properties.keySet()
        + ", secretsFile="
        + secretsFile
        + "}";
  }

  private static void checkNotOwned(String key) {
    if (key.equals(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)
        || key.endsWith(".deserializer")
        || key.endsWith(".serializer")) {
      throw new IllegalArgumentException(
          "--kafkaProperties: "
              + key
              + " is set by the pipeline (use --bootstrapServers for the brokers)");
    }
  }

  private static void checkNotSecret(String key, String value) {
    boolean providerReference = value.startsWith("${") && value.endsWith("}");
    if (isPasswordTyped(key) && !providerReference) {
      throw new IllegalArgumentException(
          "--kafkaProperties: "
              + key
              + " is a secret and would be printed and serialized with the job; put it in the"
              + " file named by --kafkaSecretsFile (read where the Kafka client is created), or"
              + " use a Kafka config provider reference like ${file:/path/secrets.properties:"
              + key
              + "}");
    }
  }

  /** Kafka's own classification: the keys its clients type as {@code PASSWORD}. */
  private static boolean isPasswordTyped(String key) {
    for (ConfigDef def :
        List.of(
            ConsumerConfig.configDef(),
            ProducerConfig.configDef(),
            AdminClientConfig.configDef())) {
      ConfigDef.ConfigKey configKey = def.configKeys().get(key);
      if (configKey != null && configKey.type == ConfigDef.Type.PASSWORD) {
        return true;
      }
    }
    // Listener-prefixed or unknown spellings of the usual secrets.
    return key.endsWith("jaas.config") || key.endsWith("password") || key.endsWith(".keystore.key");
  }

  private static String redacted(String entry) {
    return entry.length() <= 3 ? entry : entry.substring(0, 3) + "...";
  }

  private static final class ConsumerWithSecrets
      implements SerializableFunction<Map<String, Object>, Consumer<byte[], byte[]>> {
    private static final long serialVersionUID = 1L;
    private final String secretsFile;

    ConsumerWithSecrets(String secretsFile) {
      this.secretsFile = secretsFile;
    }

    @Override
    public Consumer<byte[], byte[]> apply(Map<String, Object> config) {
      return new KafkaConsumer<>(withSecrets(config, secretsFile));
    }
  }

  private static final class ProducerWithSecrets<K, V>
      implements SerializableFunction<Map<String, Object>, Producer<K, V>> {
    private static final long serialVersionUID = 1L;
    private final String secretsFile;

    ProducerWithSecrets(String secretsFile) {
      this.secretsFile = secretsFile;
    }

    @Override
    public Producer<K, V> apply(Map<String, Object> config) {
      return new KafkaProducer<>(withSecrets(config, secretsFile));
    }
  }
}
