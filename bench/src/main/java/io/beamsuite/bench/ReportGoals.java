package io.beamsuite.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The report's goals table, with the goals it must always show: a goal this run did not measure is
 * listed as not measured rather than silently missing from the page.
 */
final class ReportGoals {
  /**
   * The goals the page must always show (the engine and yardstick goals): section, the start of the
   * ratio name that judges it, and the goal. A goal no ratio of this run judged is listed as not
   * measured, never dropped.
   */
  private static final List<String[]> REQUIRED_GOALS =
      List.of(
          new String[] {
            "flink-vs-native",
            "revenue + page views: lambda-batch on Flink / native Flink",
            "revenue + page views, embedded Flink p=2 / native Flink (whole run)",
            "≥ 0.6×",
            "section 1 was not run"
          },
          new String[] {
            "framework-cost",
            "revenue + page views: lambda-batch on Flink / plain Java",
            "revenue + page views, embedded Flink p=2 / plain Java (whole run)",
            "≥ 0.2×",
            "section 1 was not run"
          },
          new String[] {
            "direct-runner",
            "Direct whole pipeline",
            "Direct runner, whole pipeline (clickstream, fraud, sensors from files)",
            "≥ 10,000 rec/s",
            "section 4 was not run in this run"
          },
          new String[] {
            "dedup",
            "throughput: Dedup",
            "Dedup / Beam Deduplicate throughput, ≥ 1M ids",
            "≥ 1.2×",
            "section 3 was not run at 1,000,000 ids in this run"
          },
          new String[] {
            "dedup",
            "state bytes per id: Dedup (streaming",
            "Dedup state bytes per live id / HashMap<String, Long>",
            "≤ 3×",
            "section 3 was not run at 1,000,000 ids in this run"
          },
          new String[] {
            "latency",
            "fraud p99 many_countries",
            "fraud at 1,000 tx/s: p99 many_countries",
            "≤ 1 s",
            "section 6 was not run"
          },
          new String[] {
            "latency",
            "fraud p99 velocity",
            "fraud at 1,000 tx/s: p99 velocity",
            "≤ 1 s",
            "section 6 was not run"
          },
          new String[] {
            "latency",
            "fraud p99 amount_over_limit",
            "fraud at 1,000 tx/s: p99 amount_over_limit (--maxOutOfOrdernessSeconds=2)",
            "≤ 3 s",
            "section 6 was not run"
          },
          new String[] {
            "latency",
            "fraud sustainable rate",
            "fraud: maximum sustainable rate",
            "≥ 10,000 tx/s",
            "section 6 was not run"
          },
          new String[] {
            "kappa-replay",
            "kappa replay rate",
            "Kappa replay of 2M records, embedded Flink p=2",
            "≥ 20,000 rec/s",
            "section 5 was not run at 2,000,000 records in this run"
          },
          new String[] {
            "kappa-replay",
            "kappa replay / plain consumer",
            "Kappa replay / plain KafkaConsumer",
            "≥ 0.3×",
            "section 5 was not run at 2,000,000 records in this run"
          },
          new String[] {
            "demo", "demo", "demo (50,000 events), end to end", "≤ 2 min", "section 10 was not run"
          });

  private ReportGoals() {}

  /**
   * The goals table: every ratio with a goal, then the required goals no ratio of this run judged.
   */
  static void append(StringBuilder md, Map<String, List<JsonNode>> bySection) {
    md.append(
        "## Goals\n\n| section | ratio | median (min–max) | goal | |\n|---|---|---|---|---|\n");
    for (Map.Entry<String, List<JsonNode>> section : bySection.entrySet()) {
      for (JsonNode n : section.getValue()) {
        if (n.get("kind").asText().equals("ratio") && n.has("goal")) {
          md.append("| ")
              .append(ReportWriter.SECTIONS.getOrDefault(section.getKey(), section.getKey()))
              .append(" | ")
              .append(n.get("name").asText())
              .append(" | ")
              .append(RatioNodes.medianMinMax(n))
              .append(" | ")
              .append(n.get("goalText").asText())
              .append(" | ")
              .append(RatioNodes.verdict(n))
              .append(" |\n");
        }
      }
    }
    for (String[] required : REQUIRED_GOALS) {
      boolean judged =
          bySection.getOrDefault(required[0], List.of()).stream()
              .anyMatch(
                  n ->
                      n.get("kind").asText().equals("ratio")
                          && n.has("goal")
                          && n.get("name").asText().startsWith(required[1]));
      if (!judged) {
        md.append("| ")
            .append(ReportWriter.SECTIONS.getOrDefault(required[0], required[0]))
            .append(" | ")
            .append(required[2])
            .append(" | — | ")
            .append(required[3])
            .append(" | **NOT MEASURED** (")
            .append(required[4])
            .append(") |\n");
      }
    }
    md.append(
        "\nA goal is judged on the median of the trials. A goal marked NOT MEASURED has no number"
            + " from this run; it is neither met nor missed.\n\n");
  }
}
