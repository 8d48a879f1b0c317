package io.beamsuite.pipelines.launcher;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options of the launcher itself (not of a pipeline).
 *
 * <pre>{@code
 * java -jar beamsuite-local.jar clickstream --progressSeconds=10
 * }</pre>
 */
public interface LauncherOptions extends PipelineOptions {
  @Description(
      "Log progress (records in, dead letters, late, rows written) this often while running")
  @Default.Long(30)
  long getProgressSeconds();

  void setProgressSeconds(long seconds);
}
