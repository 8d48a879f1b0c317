package io.beamsuite.transforms.records;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An undecoded input record: the payload bytes exactly as they were read, plus where they came from
 * when the source knows it.
 *
 * <p>Parsing transforms such as {@link io.beamsuite.transforms.json.ParseJson} take raw records
 * rather than strings so that a payload that is not even valid UTF-8 still reaches the dead letters
 * byte for byte.
 *
 * <pre>{@code
 * PCollection<RawRecord> raw =
 *     lines.apply(MapElements.into(TypeDescriptor.of(RawRecord.class)).via(RawRecord::utf8));
 * }</pre>
 */
@AutoValue
@DefaultSchema(AutoValueSchema.class)
@SuppressWarnings("mutable") // the payload array is never modified after construction
public abstract class RawRecord implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The payload, verbatim. */
  public abstract byte[] getPayload();

  /** Where the record was read from, if the source reports it. */
  public abstract @Nullable SourceCoordinates getSource();

  /** A record with known source coordinates. */
  @SchemaCreate
  public static RawRecord of(byte[] payload, @Nullable SourceCoordinates source) {
    return new AutoValue_RawRecord(payload, source);
  }

  /** A record without source coordinates. */
  public static RawRecord of(byte[] payload) {
    return of(payload, null);
  }

  /**
   * The payload as text; fails on any byte sequence that is not valid UTF-8 instead of replacing
   * it, so a parser can dead-letter the record with the bytes intact.
   */
  public String utf8Text() throws CharacterCodingException {
    return strictUtf8(getPayload());
  }

  /** {@code bytes} as text, failing on any sequence that is not valid UTF-8. */
  public static String strictUtf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  /** A record whose payload is the UTF-8 encoding of {@code text}. */
  public static RawRecord utf8(String text) {
    return of(text.getBytes(StandardCharsets.UTF_8), null);
  }
}
