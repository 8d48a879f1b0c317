package io.beamsuite.transforms.results;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The base of every multi-output result in beamsuite: an ordered map from {@link TupleTag} to
 * {@link PCollection} that implements the {@link POutput} plumbing ({@link #getPipeline()}, {@link
 * #expand()}, {@link #finishSpecifyingOutput}) once. A subclass registers each output with {@link
 * #output} in its constructor and exposes it through a typed accessor named for what it holds.
 *
 * <p><b>Why this shape.</b> Each transform keeps its own result class with typed accessors ({@code
 * parsed()} / {@code deadLetters()}, {@code unique()} / {@code duplicates()}, {@code results()} /
 * {@code lateRecords()}, {@code enriched()} / {@code unmatched()} / {@code failures()}, …), so a
 * caller reads what each output means and the compiler checks its element type; only the plumbing
 * is shared. Beam's {@code WithFailures.Result} was not used: it holds exactly one output and one
 * failure collection, and several results here carry more (late records, duplicates, unmatched
 * records, stale changes, one late output per fraud rule). A {@code PCollectionTuple} would carry
 * them but loses the typed names.
 *
 * <p><b>Tags.</b> The tags are the subclass's, created where they always were (named tags such as
 * {@code "deadLetters"} or the transform's own {@code ParDo} tags): they name the outputs in the
 * pipeline graph, so changing them could break a Dataflow update or a dry run's expectations. The
 * map keeps registration order, so {@link #expand()} lists the outputs in a stable order.
 *
 * <pre>{@code
 * public static final class Result<T> extends TaggedOutputs {
 *   private final PCollection<T> parsed;
 *   private final PCollection<DeadLetter> deadLetters;
 *
 *   Result(Pipeline pipeline, TupleTag<T> parsedTag, PCollection<T> parsed,
 *       TupleTag<DeadLetter> deadLetterTag, PCollection<DeadLetter> deadLetters) {
 *     super(pipeline);
 *     this.parsed = output(parsedTag, parsed);
 *     this.deadLetters = output(deadLetterTag, deadLetters);
 *   }
 *
 *   public PCollection<T> parsed() {
 *     return parsed;
 *   }
 *
 *   public PCollection<DeadLetter> deadLetters() {
 *     return deadLetters;
 *   }
 * }
 * }</pre>
 */
public abstract class TaggedOutputs implements POutput {
  private final Pipeline pipeline;
  private final Map<TupleTag<?>, PValue> outputs = new LinkedHashMap<>();

  protected TaggedOutputs(Pipeline pipeline) {
    if (pipeline == null) {
      throw new IllegalArgumentException("pipeline must not be null");
    }
    this.pipeline = pipeline;
  }

  /**
   * Registers {@code collection} under {@code tag} and returns it, for the subclass constructor's
   * {@code this.x = output(xTag, x)}. Each tag once.
   */
  protected final <T> PCollection<T> output(TupleTag<?> tag, PCollection<T> collection) {
    if (tag == null || collection == null) {
      throw new IllegalArgumentException("tag and collection must not be null");
    }
    if (outputs.putIfAbsent(tag, collection) != null) {
      throw new IllegalArgumentException("output tag " + tag.getId() + " registered twice");
    }
    return collection;
  }

  @Override
  public final Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public final Map<TupleTag<?>, PValue> expand() {
    return Collections.unmodifiableMap(outputs);
  }

  /** Nothing to finish: every output was already produced by the transform's own steps. */
  @Override
  public final void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
