package io.beamsuite.kappa;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@code kappa-cutover}.
 *
 * <pre>{@code
 * java -jar beamsuite-local.jar kappa-cutover --version=3 --dropVersion=1
 * }</pre>
 */
public interface KappaCutoverOptions extends KappaOptions {
  @Description(
      "After the cut-over, drop the tables of this older version (refused while a view serves it);"
          + " 0 = drop nothing")
  @Default.Integer(0)
  int getDropVersion();

  void setDropVersion(int version);
}
