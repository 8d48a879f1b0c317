package io.beamsuite.kappa;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@code kappa-replay}.
 *
 * <pre>{@code
 * java -jar beamsuite-local.jar kappa-replay --version=2 --from=earliest \
 *     --runner=FlinkRunner --checkpointingInterval=5000 --cutoverWhenCaughtUp=true
 * }</pre>
 */
public interface KappaReplayOptions extends KappaOptions {
  @Description(
      "Where the replay starts in each topic: 'earliest' (the oldest retained offset),"
          + " an ISO-8601 instant (the first record whose Kafka timestamp is at or after it),"
          + " or explicit offsets 'topic:partition=offset,...' (partitions not named start at the"
          + " earliest offset)")
  @Default.String("earliest")
  String getFrom();

  void setFrom(String from);

  @Description(
      "Switch the serving views <view>_kappa to this version as soon as the replay has caught up")
  @Default.Boolean(false)
  boolean getCutoverWhenCaughtUp();

  void setCutoverWhenCaughtUp(boolean cutover);

  @Description(
      "Stop the command once caught up (and cut over, if asked). The pipeline stops with it unless"
          + " it runs detached on a Flink cluster (--attachedMode=false), where it keeps running as"
          + " the live job")
  @Default.Boolean(false)
  boolean getExitWhenCaughtUp();

  void setExitWhenCaughtUp(boolean exit);

  @Description(
      "Caught up when, on every partition, the committed position is at most this many records"
          + " short of the live point (the end offset when the replay started)")
  @Default.Long(0)
  long getCaughtUpLag();

  void setCaughtUpLag(long records);

  @Description("Print replay progress (lag per partition, records/s, ETA) this often")
  @Default.Long(10)
  long getReplayProgressSeconds();

  void setReplayProgressSeconds(long seconds);
}
