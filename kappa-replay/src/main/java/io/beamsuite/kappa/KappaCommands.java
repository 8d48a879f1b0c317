package io.beamsuite.kappa;

import io.beamsuite.io.jdbc.ServingViews;
import io.beamsuite.pipelines.launcher.PipelineDefinition;
import io.beamsuite.pipelines.launcher.PipelineProvider;
import io.beamsuite.pipelines.options.OptionsValidation;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * The launcher's Kappa commands: {@code kappa-replay}, {@code kappa-cutover}, {@code kappa-status}
 * (listed in {@code META-INF/services/io.beamsuite.pipelines.launcher.PipelineProvider}).
 *
 * <pre>{@code
 * java -jar beamsuite-local.jar kappa-replay --version=2 --cutoverWhenCaughtUp=true
 * java -jar beamsuite-local.jar kappa-status
 * java -jar beamsuite-local.jar kappa-cutover --version=2 --dropVersion=1
 * }</pre>
 */
public final class KappaCommands implements PipelineProvider {
  @Override
  public List<PipelineDefinition<?>> definitions() {
    return List.of(
        PipelineDefinition.task(
            "kappa-replay",
            "replay the transactions + clicks log into <view>_v<N>; lag, catch-up, optional cut-over",
            KappaReplayOptions.class,
            KappaReplay::run),
        PipelineDefinition.task(
            "kappa-cutover",
            "switch the serving views <view>_kappa to version N in one transaction (optionally drop an old one)",
            KappaCutoverOptions.class,
            KappaCommands::cutover),
        PipelineDefinition.task(
            "kappa-status",
            "served version per view, versions present, replay lag",
            KappaOptions.class,
            KappaCommands::status));
  }

  /** {@code kappa-cutover}. */
  static int cutover(KappaCutoverOptions options, PrintStream out) throws Exception {
    OptionsValidation.validate(options);
    KappaViews views = KappaViews.on(OptionsValidation.database(options));
    int version = options.getVersion();
    if (version < 1) {
      throw new IllegalArgumentException("--version: must be >= 1, got " + version);
    }
    if (options.getDropVersion() == version) {
      throw new IllegalArgumentException(
          "--dropVersion: cannot drop the version being cut over to");
    }
    for (ServingViews.Published p : views.cutover(version)) {
      out.printf("%s now serves version %d (%s)%n", p.view(), p.version(), p.definition());
    }
    if (options.getDropVersion() > 0) {
      views.drop(options.getDropVersion());
      out.printf("dropped the tables of version %d%n", options.getDropVersion());
    }
    return 0;
  }

  /** {@code kappa-status}. */
  static int status(KappaOptions options, PrintStream out) throws Exception {
    OptionsValidation.validate(options);
    KappaViews views = KappaViews.on(OptionsValidation.database(options));
    long servedMax = 0;
    for (String view : KappaViews.views()) {
      Optional<Long> served = views.served(view);
      servedMax = Math.max(servedMax, served.orElse(0L));
      out.printf(
          "%s: serves %s; versions present %s%n",
          KappaViews.servingView(view),
          served.map(v -> "version " + v).orElse("nothing yet"),
          views.versionsPresent(view));
    }
    long version = options.getVersion() > 0 ? options.getVersion() : servedMax;
    if (version == 0 && options.getGroupId() == null) {
      out.println("lag: no version served and no --version/--groupId given");
      return 0;
    }
    String group = options.getGroupId() != null ? options.getGroupId() : "kappa-v" + version;
    try (KafkaPositions kafka =
        KafkaPositions.connect(
            options.getBootstrapServers(), OptionsValidation.kafkaClient(options))) {
      Map<TopicPartition, Long> end =
          kafka.endOffsets(List.of(options.getTransactionsTopic(), options.getClicksTopic()));
      Map<TopicPartition, Long> committed = kafka.committed(group);
      long total = 0;
      StringBuilder parts = new StringBuilder();
      for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
        Long at = committed.get(e.getKey());
        long lag = at == null ? e.getValue() : Math.max(0, e.getValue() - at);
        total += lag;
        parts.append(
            String.format(
                "%n  %s:%d committed=%s end=%d lag=%d",
                e.getKey().topic(),
                e.getKey().partition(),
                at == null ? "none" : at,
                e.getValue(),
                lag));
      }
      out.printf("lag of consumer group %s: %d records%s%n", group, total, parts);
    }
    return 0;
  }
}
