package io.beamsuite.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Locale;

/**
 * Reading a ratio result ({@link Results}' JSON): its median, spread and verdict against its goal,
 * shared by the report's tables and its chart so that both judge a goal the same way.
 */
final class RatioNodes {
  private RatioNodes() {}

  static double[] sorted(JsonNode ratio) {
    double[] v = new double[ratio.get("values").size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ratio.get("values").get(i).asDouble();
    }
    Arrays.sort(v);
    return v;
  }

  // The same median as Ratios.summary: the upper middle value of an even count.
  static double median(JsonNode ratio) {
    double[] v = sorted(ratio);
    return v[v.length / 2];
  }

  static String medianMinMax(JsonNode ratio) {
    double[] v = sorted(ratio);
    String unit = ratio.has("unit") ? " " + ratio.get("unit").asText() : "×";
    return String.format(
        Locale.ROOT, "%s%s (%s–%s)", fmt(v[v.length / 2]), unit, fmt(v[0]), fmt(v[v.length - 1]));
  }

  static String fmt(double v) {
    // Three decimals below 1, so that a median just under a goal (0.198 vs 0.2) does not print as
    // it.
    return v >= 100
        ? String.format(Locale.ROOT, "%,.0f", v)
        : v < 1 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  static String verdict(JsonNode ratio) {
    if (ratio.has("inconclusive")) {
      return "**INCONCLUSIVE** (" + ratio.get("inconclusive").asText() + ")";
    }
    return met(ratio) ? "MET" : "**NOT MET**";
  }

  static boolean met(JsonNode ratio) {
    double m = median(ratio);
    double goal = ratio.get("goal").asDouble();
    return ratio.get("goalAtLeast").asBoolean() ? m >= goal : m <= goal;
  }
}
