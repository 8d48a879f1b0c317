package io.beamsuite.pipelines.options;

import io.beamsuite.io.jdbc.JdbcConnectionSpec;
import io.beamsuite.io.jdbc.SqlIdentifiers;
import io.beamsuite.io.kafka.KafkaClientProperties;
import java.util.List;

/**
 * Checks the values of {@link BeamsuiteOptions} before a pipeline is built, so a typo fails at once
 * with a message naming the option instead of deep inside a runner.
 *
 * <pre>{@code
 * PipelineSettings settings = OptionsValidation.validate(options); // or "--source: ..."
 * }</pre>
 */
public final class OptionsValidation {
  private OptionsValidation() {}

  /**
   * Throws {@link IllegalArgumentException} naming the first bad option; returns the typed values
   * of the string options, for the pipeline builders.
   */
  public static PipelineSettings validate(BeamsuiteOptions options) {
    SourceSpec source = SourceSpec.parse(options.getSource());
    requireNonBlank("--bootstrapServers", options.getBootstrapServers());
    requireAtLeast("--maxRecords", options.getMaxRecords(), 0);
    requireAtLeast("--maxReadSeconds", options.getMaxReadSeconds(), 0);
    requireAtLeast("--maxOutOfOrdernessSeconds", options.getMaxOutOfOrdernessSeconds(), 0);
    requireAtLeast("--watermarkStallWarningSeconds", options.getWatermarkStallWarningSeconds(), 0);
    requireAtLeast("--allowedLatenessSeconds", options.getAllowedLatenessSeconds(), 0);
    requireAtLeast("--dedupRetentionMinutes", options.getDedupRetentionMinutes(), 1);
    if (options.getDedupKeyBuckets() != null) {
      requireAtLeast("--dedupKeyBuckets", options.getDedupKeyBuckets(), 0);
    }
    if (!options.getJdbcUrl().startsWith("jdbc:postgresql:")) {
      // The value is not echoed: a URL can carry a password parameter.
      throw new IllegalArgumentException(
          "--jdbcUrl: expected jdbc:postgresql://host:port/database");
    }
    requireNonBlank("--jdbcUser", options.getJdbcUser());
    if (options.getJdbcPassword() != null && options.getJdbcPasswordEnv() != null) {
      throw new IllegalArgumentException("give --jdbcPassword or --jdbcPasswordEnv, not both");
    }
    Guarantee guarantee = Guarantee.parse(options.getGuarantee());
    kafkaClient(options);
    return PipelineSettings.of(
        source,
        guarantee,
        options.getGroupId(),
        options.as(EventTimeWatermarkOptions.class).getEventTimeWatermark());
  }

  /**
   * The Kafka client settings the options describe: {@code --kafkaProperties} (plain; secret-typed
   * keys refused) and {@code --kafkaSecretsFile} (read where each client is created).
   */
  public static KafkaClientProperties kafkaClient(BeamsuiteOptions options) {
    List<String> entries = options.getKafkaProperties();
    KafkaClientProperties client =
        KafkaClientProperties.parse(entries == null ? List.of() : entries);
    String secretsFile = options.getKafkaSecretsFile();
    return secretsFile == null || secretsFile.isBlank()
        ? client
        : client.withSecretsFile(secretsFile);
  }

  /** The database connection the options describe; the password is never printed. */
  public static JdbcConnectionSpec database(BeamsuiteOptions options) {
    JdbcConnectionSpec spec = JdbcConnectionSpec.of(options.getJdbcUrl(), options.getJdbcUser());
    if (options.getJdbcPassword() != null) {
      spec = spec.withPassword(options.getJdbcPassword());
    } else if (options.getJdbcPasswordEnv() != null) {
      spec = spec.withPasswordFromEnv(options.getJdbcPasswordEnv());
    }
    return spec;
  }

  public static void requireAtLeast(String option, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(option + ": must be >= " + min + ", got " + value);
    }
  }

  public static void requireAtLeast(String option, double value, double min) {
    if (!(value >= min)) {
      throw new IllegalArgumentException(option + ": must be >= " + min + ", got " + value);
    }
  }

  /**
   * Returns {@code value} if it is a valid, optionally schema-qualified SQL name ({@link
   * SqlIdentifiers}), else throws naming the option, before any SQL runs.
   */
  public static String requireSqlName(String option, String value) {
    try {
      return SqlIdentifiers.qualifiedName(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  public static void requireNonBlank(String option, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(option + ": must not be empty");
    }
  }
}
