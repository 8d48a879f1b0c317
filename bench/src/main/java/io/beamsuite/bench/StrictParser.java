package io.beamsuite.bench;

import com.fasterxml.jackson.databind.ObjectReader;
import io.beamsuite.transforms.json.ParseJson;
import io.beamsuite.transforms.json.TolerantJson;
import io.beamsuite.transforms.records.RawRecord;
import java.nio.charset.CharacterCodingException;

/**
 * The per-record parse work of {@link ParseJson}, for the hand-written sides (native Flink, plain
 * Java): size limit, strict UTF-8 decoding, and the same tolerant Jackson reader into the model
 * class. Returns null for a record {@code ParseJson} would dead-letter.
 */
final class StrictParser {
  private final ObjectReader reader;

  StrictParser(Class<?> type) {
    this.reader = TolerantJson.newMapper().readerFor(type);
  }

  Object parse(byte[] payload) {
    if (payload.length > ParseJson.DEFAULT_MAX_PAYLOAD_BYTES) {
      return null;
    }
    try {
      String text = RawRecord.of(payload).utf8Text();
      return text.isBlank() ? null : reader.readValue(text);
    } catch (CharacterCodingException e) {
      return null;
    } catch (Exception e) {
      // ParseJson dead-letters any Jackson or validation failure the same way.
      return null;
    }
  }
}
