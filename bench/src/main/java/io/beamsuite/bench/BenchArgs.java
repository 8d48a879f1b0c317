package io.beamsuite.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * The {@code --name=value} arguments of a benchmark main ({@code --quick} is {@code --quick=true});
 * unknown names are rejected so a typo cannot silently run the defaults.
 */
final class BenchArgs {
  private final Map<String, String> values = new HashMap<>();

  private BenchArgs(String[] args, String... known) {
    java.util.Set<String> allowed = new java.util.HashSet<>(java.util.List.of(known));
    allowed.add("quick");
    for (String arg : args) {
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("expected --name=value, got " + arg);
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException("unknown argument --" + name + "; known: " + allowed);
      }
      values.put(name, eq < 0 ? "true" : arg.substring(eq + 1));
    }
  }

  static BenchArgs parse(String[] args, String... known) {
    return new BenchArgs(args, known);
  }

  boolean quick() {
    return Boolean.parseBoolean(values.getOrDefault("quick", "false"));
  }

  /** {@code --name}, else {@code quickDefault} under {@code --quick}, else {@code fullDefault}. */
  int intArg(String name, int fullDefault, int quickDefault) {
    String v = values.get(name);
    int value = v != null ? Integer.parseInt(v) : quick() ? quickDefault : fullDefault;
    if (value < 1) {
      throw new IllegalArgumentException("--" + name + " must be >= 1, got " + value);
    }
    return value;
  }

  /**
   * {@code --name=a,b,c} as positive integers, else {@code quickDefault} under {@code --quick},
   * else {@code fullDefault} (both comma-separated).
   */
  java.util.List<Integer> intList(String name, String fullDefault, String quickDefault) {
    String v = values.get(name);
    String text = v != null ? v : quick() ? quickDefault : fullDefault;
    java.util.List<Integer> list = new java.util.ArrayList<>();
    for (String part : text.split(",")) {
      int value = Integer.parseInt(part.trim());
      if (value < 1) {
        throw new IllegalArgumentException("--" + name + " values must be >= 1, got " + value);
      }
      list.add(value);
    }
    return list;
  }
}
