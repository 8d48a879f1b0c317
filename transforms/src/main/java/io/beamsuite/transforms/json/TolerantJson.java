package io.beamsuite.transforms.json;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The Jackson configuration of beamsuite's tolerant reader, in one place so every stage reads and
 * writes events the same way.
 *
 * <ul>
 *   <li>Unknown fields are ignored (a v2 producer never breaks a v1 reader).
 *   <li>Missing optional fields take the defaults of the target class. Declare optional numbers
 *       boxed ({@code Integer schemaVersion}): Jackson treats a missing primitive creator parameter
 *       like an explicit {@code null}, which this reader rejects for primitives.
 *   <li>A required field ({@code @JsonProperty(required = true)}) given as {@code null} counts as
 *       missing.
 *   <li>Wrong types are errors, not guesses: {@code null} for a primitive, a fraction for an
 *       integer, a number or boolean for a string, a string for a number, trailing garbage.
 *   <li>Nesting is capped so hostile input cannot exhaust the stack.
 *   <li>{@code java.time} types are ISO-8601 strings.
 * </ul>
 *
 * <pre>{@code
 * ObjectMapper mapper = TolerantJson.newMapper();
 * Click click = mapper.readValue(json, Click.class);
 * }</pre>
 */
public final class TolerantJson {
  /** Deepest nesting accepted; event payloads are two or three levels deep. */
  public static final int MAX_NESTING_DEPTH = 64;

  private TolerantJson() {}

  /** A new mapper with the tolerant-reader settings; mappers are thread-safe once configured. */
  public static ObjectMapper newMapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            // After JavaTimeModule, so it wins for Instant: the same values, parsed faster.
            .addModule(
                new SimpleModule("IsoInstants")
                    .addDeserializer(java.time.Instant.class, IsoInstants.jacksonDeserializer()))
            .annotationIntrospector(new RequiredMeansNonNull())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();
    // A number or boolean where text is expected is a wrong type, not something to stringify.
    mapper
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build());
    return mapper;
  }

  /**
   * Jackson's {@code required} only checks that a creator property is present, so {@code
   * {"event_id": null}} would reach the object (and fail its non-nullable coder later, taking the
   * pipeline down); refuse null for required properties unless a {@code @JsonSetter} says
   * otherwise.
   */
  private static final class RequiredMeansNonNull extends JacksonAnnotationIntrospector {
    private static final long serialVersionUID = 1L;

    @Override
    public JsonSetter.Value findSetterInfo(Annotated a) {
      JsonSetter.Value setter = super.findSetterInfo(a);
      if (setter.nonDefaultValueNulls() == null
          && a instanceof AnnotatedMember
          && Boolean.TRUE.equals(hasRequiredMarker((AnnotatedMember) a))) {
        return setter.withValueNulls(Nulls.FAIL);
      }
      return setter;
    }
  }
}
