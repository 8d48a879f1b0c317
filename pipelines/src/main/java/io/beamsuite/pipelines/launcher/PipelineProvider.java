package io.beamsuite.pipelines.launcher;

import java.util.List;

/**
 * Adds commands to the launcher from a module above {@code pipelines} (Lambda, Kappa) without a
 * dependency cycle: list the implementation in {@code
 * META-INF/services/io.beamsuite.pipelines.launcher.PipelineProvider}; each runner jar merges those
 * files, and {@link PipelineCatalog} finds the commands with {@link java.util.ServiceLoader}.
 *
 * <pre>{@code
 * public final class LambdaCommands implements PipelineProvider {
 *   public List<PipelineDefinition<?>> definitions() {
 *     return List.of(PipelineDefinition.of("lambda-batch", "...", BatchLayerOptions.class,
 *         BatchLayer::build));
 *   }
 * }
 * }</pre>
 */
public interface PipelineProvider {
  /** The commands, in the order {@code --help} lists them. */
  List<PipelineDefinition<?>> definitions();
}
