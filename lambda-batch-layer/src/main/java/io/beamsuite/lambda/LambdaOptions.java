package io.beamsuite.lambda;

import io.beamsuite.pipelines.views.ViewsOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of the Lambda commands ({@code lambda-batch}, {@code lambda-speed}, {@code
 * lambda-serve}).
 *
 * <pre>{@code
 * java -jar beamsuite-local.jar lambda-batch --source=file:/data/master \
 *     --cutoff=2024-01-01T03:00:00Z --jdbcUrl=jdbc:postgresql://127.0.0.1:5432/postgres
 * }</pre>
 */
public interface LambdaOptions extends ViewsOptions {
  @Description(
      "Event-time cutoff, ISO-8601 on a whole hour (e.g. 2024-01-01T03:00:00Z): the batch layer"
          + " covers events before it, the speed layer events at or after it. Required by"
          + " lambda-batch; lambda-speed defaults to the cutoff the serving views publish")
  @Default.String("")
  String getCutoff();

  void setCutoff(String cutoff);

  @Description(
      "lambda-batch: the version to write, above the served one; 0 = the served version + 1")
  @Default.Long(0)
  long getBatchVersion();

  void setBatchVersion(long version);

  @Description("lambda-serve: also print this many rows of each serving view")
  @Default.Integer(0)
  int getPrintRows();

  void setPrintRows(int rows);
}
