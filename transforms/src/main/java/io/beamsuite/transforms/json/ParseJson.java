package io.beamsuite.transforms.json;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.google.auto.value.AutoValue;
import io.beamsuite.transforms.coders.EfficientCoders;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.portability.AdditionalOutputs;
import io.beamsuite.transforms.records.RawRecord;
import io.beamsuite.transforms.records.SourceCoordinates;
import io.beamsuite.transforms.results.TaggedOutputs;
import java.nio.charset.CharacterCodingException;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Parses JSON payloads into objects of a class with the {@link TolerantJson} reader; a payload that
 * cannot become a valid object is sent to the dead letters with a reason instead of failing the
 * pipeline.
 *
 * <p>Rejected, each with its own {@link DeadLetter.Reasons reason}: empty payloads, payloads over
 * the size limit, invalid UTF-8, malformed or truncated JSON, JSON that is not an object, missing
 * required fields ({@code @JsonProperty(required = true)} on a creator), wrong types, and values
 * the target class's constructor refuses. Unknown fields are ignored and optional fields default.
 *
 * <p>Every input ends as exactly one parsed value or one dead letter; counters {@code records_in},
 * {@code parsed} and {@code dead_letters} (plus one counter per reason) reconcile.
 *
 * <pre>{@code
 * ParseJson.Result<Click> clicks =
 *     rawRecords.apply("ParseClicks", ParseJson.of(Click.class).withStage("parse-clicks"));
 * PCollection<Click> parsed = clicks.parsed();
 * PCollection<DeadLetter> rejected = clicks.deadLetters();
 * }</pre>
 *
 * <p>The output coder is the one registered for the class (for example a Beam schema) unless {@link
 * #withCoder(Coder)} gives one; Java serialization is refused because it is neither compact nor
 * deterministic.
 */
@AutoValue
public abstract class ParseJson<T> extends PTransform<PCollection<RawRecord>, ParseJson.Result<T>> {
  /** Default upper bound on payload size: 1 MiB. */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;

  abstract Class<T> type();

  abstract String stage();

  abstract int maxPayloadBytes();

  abstract @Nullable Coder<T> coder();

  abstract Builder<T> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setType(Class<T> type);

    abstract Builder<T> setStage(String stage);

    abstract Builder<T> setMaxPayloadBytes(int maxPayloadBytes);

    abstract Builder<T> setCoder(@Nullable Coder<T> coder);

    abstract ParseJson<T> build();
  }

  /** Parses into {@code type}; dead letters name the stage {@code parse-<SimpleName>}. */
  public static <T> ParseJson<T> of(Class<T> type) {
    checkArgumentNotNull(type, "type");
    return new AutoValue_ParseJson.Builder<T>()
        .setType(type)
        .setStage("parse-" + type.getSimpleName())
        .setMaxPayloadBytes(DEFAULT_MAX_PAYLOAD_BYTES)
        .build();
  }

  /** The stage name written into dead letters. */
  public ParseJson<T> withStage(String stage) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException("stage must be a non-blank name");
    }
    return toBuilder().setStage(stage).build();
  }

  /** Payloads longer than this many bytes are dead letters ({@code payload_too_large}). */
  public ParseJson<T> withMaxPayloadBytes(int maxPayloadBytes) {
    if (maxPayloadBytes <= 0) {
      throw new IllegalArgumentException(
          "maxPayloadBytes must be positive, got " + maxPayloadBytes);
    }
    return toBuilder().setMaxPayloadBytes(maxPayloadBytes).build();
  }

  /** The coder of the parsed values, when the registry has none for the class. */
  public ParseJson<T> withCoder(Coder<T> coder) {
    checkArgumentNotNull(coder, "coder");
    return toBuilder().setCoder(coder).build();
  }

  /**
   * The same parse, each value keyed by where its record was read from ({@code null} when the
   * source does not say): what {@code Dedup.withSourceOrder} needs to keep the first copy of an id
   * on bounded input.
   *
   * <pre>{@code
   * ParseJson.Result<KV<SourceCoordinates, Click>> parsed =
   *     raw.apply("ParseClicks", ParseJson.of(Click.class).keyedBySource());
   * }</pre>
   */
  public PTransform<PCollection<RawRecord>, Result<KV<@Nullable SourceCoordinates, T>>>
      keyedBySource() {
    ParseJson<T> parse = this;
    return new PTransform<PCollection<RawRecord>, Result<KV<@Nullable SourceCoordinates, T>>>() {
      @Override
      public Result<KV<@Nullable SourceCoordinates, T>> expand(PCollection<RawRecord> input) {
        return parse.expand(
            input,
            true,
            KvCoder.of(
                NullableCoder.of(SourceCoordinates.coder()),
                parse.outputCoder(input.getPipeline())));
      }
    };
  }

  @Override
  public Result<T> expand(PCollection<RawRecord> input) {
    return expand(input, false, outputCoder(input.getPipeline()));
  }

  private <OutputT> Result<OutputT> expand(
      PCollection<RawRecord> input, boolean keyBySource, Coder<OutputT> outputCoder) {
    TupleTag<OutputT> parsedTag = new TupleTag<>();
    TupleTag<DeadLetter> deadLetterTag = new TupleTag<>();
    PCollectionTuple outputs =
        input.apply(
            "Parse",
            ParDo.of(
                    new ParseFn<T, OutputT>(
                        type(), stage(), maxPayloadBytes(), keyBySource, parsedTag, deadLetterTag))
                .withOutputTags(parsedTag, TupleTagList.of(deadLetterTag)));
    PCollection<OutputT> parsed = outputs.get(parsedTag).setCoder(outputCoder);
    // ParDo gives a typed additional output the coder registry's coder, which for the
    // Serializable DeadLetter is Java serialization; use its schema coder instead.
    return new Result<>(
        input.getPipeline(),
        parsedTag,
        parsed,
        deadLetterTag,
        AdditionalOutputs.consumed(
            "DeadLetters", outputs.get(deadLetterTag).setCoder(DeadLetter.coder())));
  }

  private Coder<T> outputCoder(Pipeline pipeline) {
    return coder() != null
        ? coder()
        : EfficientCoders.infer(pipeline, TypeDescriptor.of(type()), "withCoder(...)");
  }

  /** The parsed values and the dead letters of a {@link ParseJson}. */
  public static final class Result<T> extends TaggedOutputs {
    private final PCollection<T> parsed;
    private final PCollection<DeadLetter> deadLetters;

    Result(
        Pipeline pipeline,
        TupleTag<T> parsedTag,
        PCollection<T> parsed,
        TupleTag<DeadLetter> deadLetterTag,
        PCollection<DeadLetter> deadLetters) {
      super(pipeline);
      this.parsed = output(parsedTag, parsed);
      this.deadLetters = output(deadLetterTag, deadLetters);
    }

    /** Successfully parsed values. */
    public PCollection<T> parsed() {
      return parsed;
    }

    /** Payloads that could not be parsed, with reasons. */
    public PCollection<DeadLetter> deadLetters() {
      return deadLetters;
    }
  }

  /** Parses into {@code T}; outputs the value, or the value keyed by its record's source. */
  private static final class ParseFn<T, OutputT> extends DoFn<RawRecord, OutputT> {
    private final Class<T> type;
    private final String stage;
    private final int maxPayloadBytes;
    private final boolean keyBySource;
    private final TupleTag<OutputT> parsedTag;
    private final TupleTag<DeadLetter> deadLetterTag;

    private final Counter recordsIn = Metrics.counter(ParseJson.class, "records_in");
    private final Counter parsedCount = Metrics.counter(ParseJson.class, "parsed");
    private final Counter deadLetterCount = Metrics.counter(ParseJson.class, "dead_letters");

    private transient @Nullable ObjectReader reader;

    ParseFn(
        Class<T> type,
        String stage,
        int maxPayloadBytes,
        boolean keyBySource,
        TupleTag<OutputT> parsedTag,
        TupleTag<DeadLetter> deadLetterTag) {
      this.type = type;
      this.stage = stage;
      this.maxPayloadBytes = maxPayloadBytes;
      this.keyBySource = keyBySource;
      this.parsedTag = parsedTag;
      this.deadLetterTag = deadLetterTag;
    }

    @Setup
    public void setup() {
      reader = TolerantJson.newMapper().readerFor(type);
    }

    @ProcessElement
    public void processElement(@Element RawRecord record, MultiOutputReceiver out) {
      recordsIn.inc();
      byte[] payload = record.getPayload();
      if (payload.length > maxPayloadBytes) {
        reject(
            record,
            DeadLetter.Reasons.PAYLOAD_TOO_LARGE,
            payload.length + " bytes exceeds the limit of " + maxPayloadBytes,
            null,
            out);
        return;
      }
      String text;
      try {
        text = record.utf8Text();
      } catch (CharacterCodingException e) {
        reject(record, DeadLetter.Reasons.INVALID_UTF8, "payload is not valid UTF-8", e, out);
        return;
      }
      if (text.isBlank()) {
        reject(record, DeadLetter.Reasons.EMPTY_PAYLOAD, "payload is empty", null, out);
        return;
      }
      T value;
      try {
        value = checkArgumentNotNull(reader).readValue(text);
      } catch (JsonProcessingException e) {
        reject(record, reasonFor(e), describe(e), e, out);
        return;
      } catch (RuntimeException e) {
        // Custom deserializers may throw anything; still a property of the record, not the job.
        reject(record, DeadLetter.Reasons.INVALID_VALUE, String.valueOf(e.getMessage()), e, out);
        return;
      }
      if (value == null) {
        reject(
            record,
            DeadLetter.Reasons.NOT_AN_OBJECT,
            "JSON null is not a " + type.getSimpleName(),
            null,
            out);
        return;
      }
      parsedCount.inc();
      @SuppressWarnings("unchecked") // OutputT is T, or KV<SourceCoordinates, T> when keyed
      OutputT output = (OutputT) (keyBySource ? KV.of(record.getSource(), value) : value);
      out.get(parsedTag).output(output);
    }

    private void reject(
        RawRecord record,
        String reason,
        String detail,
        @Nullable Exception cause,
        MultiOutputReceiver out) {
      deadLetterCount.inc();
      Metrics.counter(ParseJson.class, "dead_letters_" + reason).inc();
      out.get(deadLetterTag)
          .output(
              DeadLetter.builder()
                  .setStage(stage)
                  .setReason(reason)
                  .setDetail(detail)
                  .setErrorClass(cause == null ? "" : cause.getClass().getName())
                  .setPayload(record.getPayload())
                  .setFailedAt(Instant.now())
                  .setSource(record.getSource())
                  .build());
    }

    private static String reasonFor(JsonProcessingException e) {
      // A null for a required creator property (refused by TolerantJson) counts as missing; it
      // is a MismatchedInputException with a path, so it must be caught before those below.
      if (e instanceof InvalidNullException) {
        return DeadLetter.Reasons.MISSING_REQUIRED_FIELD;
      }
      if (e instanceof StreamReadException) {
        return DeadLetter.Reasons.MALFORMED_JSON;
      }
      // A parser error inside a known field's value ("page":"/ho<EOF>, a bad escape) comes
      // wrapped in a JsonMappingException with a path; the document is still malformed. A number
      // out of range (InputCoercionException) is a well-formed value of the wrong type.
      Throwable cause = e.getCause();
      if (e instanceof JsonMappingException
          && ((cause instanceof StreamReadException && !(cause instanceof InputCoercionException))
              || cause instanceof StreamConstraintsException)) {
        return DeadLetter.Reasons.MALFORMED_JSON;
      }
      if (e instanceof ValueInstantiationException) {
        return DeadLetter.Reasons.INVALID_VALUE;
      }
      if (e instanceof MismatchedInputException) {
        MismatchedInputException mismatch = (MismatchedInputException) e;
        String message = String.valueOf(mismatch.getOriginalMessage());
        if (message.startsWith("Missing required creator property")) {
          return DeadLetter.Reasons.MISSING_REQUIRED_FIELD;
        }
        // More JSON after a complete value ("{...}{...}", "{...} 42"): the document is
        // malformed, even though its first value is an object.
        if (message.startsWith("Trailing token")) {
          return DeadLetter.Reasons.MALFORMED_JSON;
        }
        if (mismatch.getPath().isEmpty()) {
          return DeadLetter.Reasons.NOT_AN_OBJECT;
        }
        return DeadLetter.Reasons.WRONG_TYPE;
      }
      if (e instanceof JsonMappingException) {
        return DeadLetter.Reasons.WRONG_TYPE;
      }
      return DeadLetter.Reasons.MALFORMED_JSON;
    }

    private static String describe(JsonProcessingException e) {
      String message = String.valueOf(e.getOriginalMessage());
      if (e instanceof ValueInstantiationException && e.getCause() != null) {
        message = String.valueOf(e.getCause().getMessage());
      }
      if (e instanceof JsonMappingException && !((JsonMappingException) e).getPath().isEmpty()) {
        message = "at " + ((JsonMappingException) e).getPathReference() + ": " + message;
      }
      return message;
    }
  }
}
