package io.beamsuite.kappa;

import io.beamsuite.pipelines.views.ViewsOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options every Kappa command shares: the views' options (topics, database, event-time policy) and
 * the version a command works on.
 *
 * <pre>{@code
 * KappaOptions options = PipelineOptionsFactory.fromArgs("--version=2").as(KappaOptions.class);
 * }</pre>
 */
public interface KappaOptions extends ViewsOptions {
  @Description(
      "Version N of the replayed views: tables <view>_v<N>, consumer group kappa-v<N> unless"
          + " --groupId is given (kappa-status: 0 = the served version)")
  @Default.Integer(0)
  int getVersion();

  void setVersion(int version);
}
