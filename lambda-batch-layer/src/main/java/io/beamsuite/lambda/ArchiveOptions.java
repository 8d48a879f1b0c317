package io.beamsuite.lambda;

import io.beamsuite.pipelines.views.ViewsOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of {@code lambda-archive}.
 *
 * <pre>{@code
 * java -jar beamsuite-local.jar lambda-archive --archiveDir=/data/master \
 *     --bootstrapServers=127.0.0.1:9092 --groupId=archiver --maxReadSeconds=300
 * }</pre>
 */
public interface ArchiveOptions extends ViewsOptions {
  @Description(
      "Root of the master dataset the records are appended to (a local or shared file system path)")
  @Validation.Required
  String getArchiveDir();

  void setArchiveDir(String dir);

  @Description("Unbounded runs: seconds between file flushes (each flush writes new files)")
  @Default.Long(60)
  long getArchiveFlushSeconds();

  void setArchiveFlushSeconds(long seconds);
}
