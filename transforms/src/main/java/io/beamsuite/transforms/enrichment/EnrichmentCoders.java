package io.beamsuite.transforms.enrichment;

import io.beamsuite.transforms.coders.EfficientCoders;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Output-coder resolution shared by the enrichment strategies. */
final class EnrichmentCoders {
  private EnrichmentCoders() {}

  /**
   * The explicit coder if given, else the schema (then registry) coder of the join function's
   * declared output type. Lambdas erase that type, and Java serialization is refused, hence the
   * pointers to {@code withOutputCoder}.
   */
  static <OutputT> Coder<OutputT> outputCoder(
      @Nullable Coder<OutputT> explicit, Pipeline pipeline, JoinFn<?, ?, OutputT> joinFn) {
    if (explicit != null) {
      return explicit;
    }
    TypeDescriptor<OutputT> type = joinOutputType(joinFn);
    if (type == null) {
      throw new IllegalStateException(
          "Cannot infer a coder for the enriched records: the output type of the JoinFn "
              + joinFn.getClass().getName()
              + " is erased (a lambda or a generic class); call withOutputCoder(...)");
    }
    return EfficientCoders.infer(pipeline, type, "withOutputCoder(...)");
  }

  /** The JoinFn's {@code OutputT} when its class states it, e.g. an anonymous or named class. */
  @SuppressWarnings("unchecked")
  private static <OutputT> @Nullable TypeDescriptor<OutputT> joinOutputType(
      JoinFn<?, ?, OutputT> joinFn) {
    TypeDescriptor<?> resolved =
        TypeDescriptor.of(joinFn.getClass()).resolveType(JoinFn.class.getTypeParameters()[2]);
    return resolved.hasUnresolvedParameters() ? null : (TypeDescriptor<OutputT>) resolved;
  }
}
