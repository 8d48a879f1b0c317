package io.beamsuite.pipelines.launcher;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Prints the beamsuite options of an options interface (its own and those of beamsuite interfaces
 * it extends) with their defaults; Beam's and the runners' options are left to their own docs.
 */
final class OptionsHelp {
  private OptionsHelp() {}

  static void print(Class<? extends PipelineOptions> options, PrintStream out) {
    for (Method getter : getters(options)) {
      Description description = getter.getAnnotation(Description.class);
      String value = defaultValue(options, getter);
      String shown =
          value == null
              ? "<value> (no default)"
              : (value.isEmpty() ? "\"\"" : value) + " (default)";
      out.printf("    --%s=%s%n", optionName(getter), shown);
      if (description != null) {
        out.printf("        %s%n", description.value());
      }
    }
  }

  /** The getters of the beamsuite options of {@code options}, by name. */
  static List<Method> getters(Class<? extends PipelineOptions> options) {
    List<Method> getters = new ArrayList<>();
    for (Method m : options.getMethods()) {
      boolean ours = m.getDeclaringClass().getName().startsWith("io.beamsuite.");
      if (ours && m.getParameterCount() == 0 && m.getName().startsWith("get")) {
        getters.add(m);
      }
    }
    getters.sort(Comparator.comparing(Method::getName));
    return getters;
  }

  /** {@code getJdbcUrl} is option {@code jdbcUrl}. */
  static String optionName(Method getter) {
    return Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
  }

  /**
   * The default of {@code getter} for {@code options} as text, or null without one: a {@code
   * Default.InstanceFactory} (e.g. a default that depends on the pipeline) is asked with {@code
   * options}.
   */
  static @Nullable String defaultValue(Class<? extends PipelineOptions> options, Method getter) {
    Default.InstanceFactory factory = getter.getAnnotation(Default.InstanceFactory.class);
    if (factory == null) {
      return defaultValue(getter);
    }
    try {
      Object value =
          factory
              .value()
              .getDeclaredConstructor()
              .newInstance()
              .create(PipelineOptionsFactory.as(options));
      return value == null ? null : String.valueOf(value);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  /** The {@code @Default.*} value as text, or null without one. */
  static @Nullable String defaultValue(Method getter) {
    if (getter.getAnnotation(Default.String.class) != null) {
      return getter.getAnnotation(Default.String.class).value();
    }
    if (getter.getAnnotation(Default.Long.class) != null) {
      return String.valueOf(getter.getAnnotation(Default.Long.class).value());
    }
    if (getter.getAnnotation(Default.Integer.class) != null) {
      return String.valueOf(getter.getAnnotation(Default.Integer.class).value());
    }
    if (getter.getAnnotation(Default.Double.class) != null) {
      return String.valueOf(getter.getAnnotation(Default.Double.class).value());
    }
    if (getter.getAnnotation(Default.Boolean.class) != null) {
      return String.valueOf(getter.getAnnotation(Default.Boolean.class).value());
    }
    return null;
  }
}
