package io.beamsuite.pipelines.launcher;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Prints the beamsuite options of an options interface (its own and those of beamsuite interfaces
 * it extends) with their defaults; Beam's and the runners' options are left to their own docs.
 */
final class OptionsHelp {
  private OptionsHelp() {}

  static void print(Class<? extends PipelineOptions> options, PrintStream out) {
    List<Method> getters = new ArrayList<>();
    for (Method m : options.getMethods()) {
      boolean ours = m.getDeclaringClass().getName().startsWith("io.beamsuite.");
      if (ours && m.getParameterCount() == 0 && m.getName().startsWith("get")) {
        getters.add(m);
      }
    }
    getters.sort(Comparator.comparing(Method::getName));
    for (Method getter : getters) {
      String name = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
      Description description = getter.getAnnotation(Description.class);
      out.printf("    --%s%s%n", name, defaultOf(getter));
      if (description != null) {
        out.printf("        %s%n", description.value());
      }
    }
  }

  private static String defaultOf(Method getter) {
    if (getter.getAnnotation(Default.String.class) != null) {
      String value = getter.getAnnotation(Default.String.class).value();
      return "=" + (value.isEmpty() ? "\"\"" : value) + " (default)";
    }
    if (getter.getAnnotation(Default.Long.class) != null) {
      return "=" + getter.getAnnotation(Default.Long.class).value() + " (default)";
    }
    if (getter.getAnnotation(Default.Integer.class) != null) {
      return "=" + getter.getAnnotation(Default.Integer.class).value() + " (default)";
    }
    if (getter.getAnnotation(Default.Double.class) != null) {
      return "=" + getter.getAnnotation(Default.Double.class).value() + " (default)";
    }
    if (getter.getAnnotation(Default.Boolean.class) != null) {
      return "=" + getter.getAnnotation(Default.Boolean.class).value() + " (default)";
    }
    return "=<value> (no default)";
  }
}
