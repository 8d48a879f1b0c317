package io.beamsuite.transforms.enrichment;

import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Output-coder resolution shared by the enrichment strategies. */
final class EnrichmentCoders {
  private EnrichmentCoders() {}

  /**
   * The explicit coder if given, else the registry's coder for the join function's declared output
   * type; lambdas erase that type, hence the pointer to {@code withOutputCoder}.
   */
  @SuppressWarnings("unchecked")
  static <OutputT> Coder<OutputT> outputCoder(
      @Nullable Coder<OutputT> explicit, PCollection<?> input, JoinFn<?, ?, OutputT> joinFn) {
    if (explicit != null) {
      return explicit;
    }
    try {
      TypeDescriptor<OutputT> type =
          (TypeDescriptor<OutputT>)
              TypeDescriptor.of(joinFn.getClass())
                  .resolveType(JoinFn.class.getTypeParameters()[2]);
      return input.getPipeline().getCoderRegistry().getCoder(type);
    } catch (CannotProvideCoderException | RuntimeException e) {
      throw new IllegalStateException(
          "Cannot infer the coder of the enriched records; call withOutputCoder(...)", e);
    }
  }
}
