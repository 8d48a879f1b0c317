package io.beamsuite.pipelines.options;

import com.google.auto.value.AutoValue;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The typed values of one run's string options, parsed once by {@link
 * OptionsValidation#validate(BeamsuiteOptions)} and handed to the pipeline builders, so no builder
 * parses {@code --source} or {@code --guarantee} again. A command that reads its inputs differently
 * from what its options say (the Kappa replay: its own consumer group, an event-time watermark)
 * passes a changed copy rather than writing into the options.
 *
 * <pre>{@code
 * PipelineSettings settings = OptionsValidation.validate(options);
 * if (settings.source().isFile()) { ... }
 * p.apply("ReadClicks", EventSource.of(settings, options, options.getClicksTopic()));
 * }</pre>
 */
@AutoValue
public abstract class PipelineSettings {
  /** {@code --source}. */
  public abstract SourceSpec source();

  /** {@code --guarantee}. */
  public abstract Guarantee guarantee();

  /** {@code --groupId}: the Kafka consumer group of the reads, or none. */
  public abstract @Nullable String groupId();

  /** {@code --eventTimeWatermark} where the command has it ({@link EventTimeWatermarkOptions}). */
  public abstract boolean eventTimeWatermark();

  static PipelineSettings of(
      SourceSpec source,
      Guarantee guarantee,
      @Nullable String groupId,
      boolean eventTimeWatermark) {
    return new AutoValue_PipelineSettings(source, guarantee, groupId, eventTimeWatermark);
  }

  /** The same settings reading with consumer group {@code groupId}. */
  public PipelineSettings withGroupId(String groupId) {
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("groupId must be a non-blank name");
    }
    return of(source(), guarantee(), groupId, eventTimeWatermark());
  }

  /** The same settings with the Kafka watermark following event time only (or not). */
  public PipelineSettings withEventTimeWatermark(boolean eventTimeOnly) {
    return of(source(), guarantee(), groupId(), eventTimeOnly);
  }
}
