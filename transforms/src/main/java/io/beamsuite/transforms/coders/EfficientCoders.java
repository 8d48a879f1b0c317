package io.beamsuite.transforms.coders;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Picks the coder of a user type the way every beamsuite transform does: its Beam schema coder if
 * it has a schema, else the coder registry's coder — but never Java serialization, which is slow
 * and not deterministic.
 *
 * <pre>{@code
 * Coder<Customer> coder =
 *     EfficientCoders.infer(pipeline, TypeDescriptor.of(Customer.class), "withRowCoder(...)");
 * }</pre>
 */
public final class EfficientCoders {
  private EfficientCoders() {}

  /**
   * The schema or registry coder of {@code type}; fails with a message pointing at {@code
   * explicitCoderMethod} (e.g. {@code "withCoder(...)"}) when there is none or only Java
   * serialization.
   */
  public static <T> Coder<T> infer(
      Pipeline pipeline, TypeDescriptor<T> type, String explicitCoderMethod) {
    Coder<T> inferred;
    try {
      inferred = pipeline.getSchemaRegistry().getSchemaCoder(type);
    } catch (NoSuchSchemaException noSchema) {
      try {
        inferred = pipeline.getCoderRegistry().getCoder(type);
      } catch (CannotProvideCoderException e) {
        throw new IllegalStateException(
            "No coder for " + type + ": give it a Beam schema or call " + explicitCoderMethod, e);
      }
    }
    if (inferred instanceof SerializableCoder) {
      throw new IllegalStateException(
          "Only Java serialization is available for "
              + type
              + "; give it a Beam schema (@DefaultSchema) or call "
              + explicitCoderMethod);
    }
    return inferred;
  }
}
