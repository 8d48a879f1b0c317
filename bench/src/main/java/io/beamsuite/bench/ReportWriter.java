package io.beamsuite.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Renders docs/benchmarks.md and docs/benchmarks.png from the JSON-lines results the benchmark
 * mains wrote ({@link Results}), plus what bench.sh recorded about the run (commands, load
 * average).
 *
 * <pre>{@code
 * java -cp ... io.beamsuite.bench.ReportWriter <results dir> docs/benchmarks.md docs/benchmarks.png
 * }</pre>
 *
 * <p>The results directory holds {@code <section>.jsonl} (what the main wrote, then bench.sh's
 * {@code run} line: invocation, start, end, status), {@code <section>.cmd} (the exact command) and
 * {@code loadavg.txt} (epoch seconds + {@code /proc/loadavg}, one line per sample).
 */
public final class ReportWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every section in page order, with what it is about. */
  private static final Map<String, String> SECTIONS = new LinkedHashMap<>();

  static {
    SECTIONS.put(
        "flink-vs-native", "1. Headline: lambda-batch on Flink vs native Flink vs plain Java");
    SECTIONS.put("framework-cost", "2. Framework cost vs plain Java");
    SECTIONS.put("dedup", "3. Dedup vs Beam's Deduplicate");
    SECTIONS.put("direct-runner", "4. Whole pipelines on the Direct runner and embedded Flink");
    SECTIONS.put("kappa-replay", "5. Kappa replay: kappa-replay on Flink vs a plain KafkaConsumer");
    SECTIONS.put(
        "latency", "6. Latency: fraud and clickstream on Flink streaming, Kafka to PostgreSQL");
    SECTIONS.put("enrichment", "7. Enrichment: JdbcLookup vs per-element JDBC, as-of join");
    SECTIONS.put("coders", "8. Coder cost per record");
    SECTIONS.put("poison-input", "9. Poison input: clean vs 10% poison");
    SECTIONS.put("demo", "10. The demo end to end");
  }

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
            "state bytes per id: Dedup (64 key buckets)",
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

  /** The bench.sh run line (invocation, start, end, status) of each section. */
  private static final Map<String, JsonNode> RUNS = new LinkedHashMap<>();

  private static List<double[]> loadSamples = new ArrayList<>();

  private ReportWriter() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: ReportWriter <results dir> <out.md> <out.png>");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    Map<String, List<JsonNode>> bySection = new LinkedHashMap<>();
    SECTIONS.keySet().forEach(s -> bySection.put(s, new ArrayList<>()));
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
        List<JsonNode> nodes = new ArrayList<>();
        JsonNode run = null;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            JsonNode node = JSON.readTree(line);
            if (node.get("kind").asText().equals("run")) {
              run = node;
            } else {
              nodes.add(node);
            }
          }
        }
        // The run line (written by bench.sh) applies to every section the main wrote.
        java.util.Set<String> sectionsOfFile = new java.util.LinkedHashSet<>();
        nodes.forEach(n -> sectionsOfFile.add(n.get("section").asText()));
        if (run != null) {
          sectionsOfFile.add(run.get("section").asText());
          for (String section : sectionsOfFile) {
            RUNS.put(section, run);
          }
        }
        for (JsonNode node : nodes) {
          bySection.computeIfAbsent(node.get("section").asText(), s -> new ArrayList<>()).add(node);
        }
      }
    }
    loadSamples = readLoad(dir.resolve("loadavg.txt"));
    Path png = Path.of(args[2]);
    StringBuilder md = new StringBuilder();
    header(md, dir, bySection, png.getFileName().toString());
    goals(md, bySection);
    for (Map.Entry<String, List<JsonNode>> section : bySection.entrySet()) {
      section(md, section.getKey(), section.getValue(), RUNS.get(section.getKey()));
    }
    Files.writeString(Path.of(args[1]), md.toString(), StandardCharsets.UTF_8);
    chart(bySection, png);
    System.out.println("wrote " + args[1] + " and " + args[2]);
  }

  private static void header(
      StringBuilder md, Path dir, Map<String, List<JsonNode>> bySection, String png)
      throws IOException {
    md.append("# Benchmarks\n\n");
    md.append("Generated by `run-scripts/bench.sh` — do not edit by hand; rerun the script. ")
        .append(
            "Numbers on this shared machine are noisy, so every goal is judged on a **ratio of sides")
        .append(
            " measured in one run** over the same pre-generated events (fixed seed), warm-up first, then")
        .append(
            " ≥ 3 trials in rotating order (unless a section says otherwise); the median is shown with min")
        .append(
            " and max. CPU-seconds per million records are given where a section measures them: they depend")
        .append(" less on the other load of the machine than wall time. Benchmarks are not part")
        .append(
            " of `mvn verify` (module `bench`, Maven profile `bench`; `.ci/run` compiles it).\n\n");
    md.append("![median ratio per benchmark against its goal](").append(png).append(")\n\n");
    md.append("## Run\n\n");
    md.append("- Date: ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append("\n");
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    md.append(
        String.format(
            Locale.ROOT,
            "- Machine: %d cores (%s), %.1f GiB RAM, %s %s (%s)%n",
            Runtime.getRuntime().availableProcessors(),
            cpuModel(),
            os.getTotalMemorySize() / (1024.0 * 1024 * 1024),
            System.getProperty("os.name"),
            System.getProperty("os.version"),
            System.getProperty("os.arch")));
    md.append("- Load average while the benchmarks ran (1-min, sampled every 10 s by bench.sh): ")
        .append(loadAverage(Long.MIN_VALUE, Long.MAX_VALUE))
        .append(
            ". Other engineers' builds share the CPU, and the load average also counts the benchmarks' own")
        .append(" runnable threads; each section states its own.\n");
    md.append("- Java: `").append(javaVersion()).append("`\n");
    md.append("- Versions: Beam ")
        .append(org.apache.beam.sdk.util.ReleaseInfo.getReleaseInfo().getVersion())
        .append(", Flink ")
        .append(org.apache.flink.runtime.util.EnvironmentInformation.getVersion())
        .append(", Kafka (clients/broker) ")
        .append(org.apache.kafka.common.utils.AppInfoParser.getVersion());
    for (List<JsonNode> nodes : bySection.values()) {
      for (JsonNode n : nodes) {
        if (n.get("kind").asText().equals("meta")) {
          md.append(", ")
              .append(n.get("name").asText())
              .append(" ")
              .append(n.get("value").asText());
        }
      }
    }
    md.append("\n");
    java.util.Set<String> invocations = new java.util.LinkedHashSet<>();
    RUNS.values().forEach(r -> invocations.add(r.get("invocation").asText()));
    md.append("- Produced by: ")
        .append(invocations.isEmpty() ? "nothing" : "`" + String.join("`, `", invocations) + "`")
        .append(
            " (build: `mvn -B -ntp -q -Pbench -DskipTests -Dmaven.javadoc.skip=true package -pl bench -am`)\n");
    md.append(
            "\nExact commands, one JVM per section (run by bench.sh from the repository root; section 1 starts")
        .append(" one more JVM per run of a side, with the same heap flags):\n\n```bash\n");
    for (String section : SECTIONS.keySet()) {
      Path command = dir.resolve(section + ".cmd");
      if (Files.exists(command)) {
        md.append(Files.readString(command).trim()).append("\n");
      }
    }
    md.append("```\n\n");
  }

  /** The CPU model from /proc/cpuinfo, or "CPU model unknown". */
  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "CPU model unknown";
  }

  private static String javaVersion() {
    return System.getProperty("java.runtime.name")
        + " "
        + System.getProperty("java.runtime.version")
        + " ("
        + System.getProperty("java.vm.name")
        + ", "
        + System.getProperty("java.vendor")
        + ")";
  }

  private static List<double[]> readLoad(Path file) throws IOException {
    List<double[]> samples = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 2) {
          samples.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])});
        }
      }
    }
    return samples;
  }

  /**
   * Median, min and max of the 1-minute load average sampled between {@code from} and {@code to}
   * (epoch s).
   */
  private static String loadAverage(long from, long to) {
    double[] loads =
        loadSamples.stream()
            .filter(s -> s[0] >= from && s[0] - 10 <= to)
            .mapToDouble(s -> s[1])
            .sorted()
            .toArray();
    if (loads.length == 0) {
      return "not recorded";
    }
    return String.format(
        Locale.ROOT,
        "median %.1f (min %.1f, max %.1f, %d samples)",
        loads[loads.length / 2],
        loads[0],
        loads[loads.length - 1],
        loads.length);
  }

  private static void goals(StringBuilder md, Map<String, List<JsonNode>> bySection) {
    md.append(
        "## Goals\n\n| section | ratio | median (min–max) | goal | |\n|---|---|---|---|---|\n");
    for (Map.Entry<String, List<JsonNode>> section : bySection.entrySet()) {
      for (JsonNode n : section.getValue()) {
        if (n.get("kind").asText().equals("ratio") && n.has("goal")) {
          md.append("| ")
              .append(SECTIONS.getOrDefault(section.getKey(), section.getKey()))
              .append(" | ")
              .append(n.get("name").asText())
              .append(" | ")
              .append(medianMinMax(n))
              .append(" | ")
              .append(n.get("goalText").asText())
              .append(" | ")
              .append(verdict(n))
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
            .append(SECTIONS.getOrDefault(required[0], required[0]))
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

  private static void section(StringBuilder md, String key, List<JsonNode> nodes, JsonNode run) {
    md.append("## ").append(SECTIONS.getOrDefault(key, key)).append("\n\n");
    if (run == null) {
      String only = key.equals("framework-cost") ? "flink-vs-native" : key;
      md.append(
          nodes.isEmpty()
              ? "Not run by bench.sh yet (`run-scripts/bench.sh --only " + only + "`).\n\n"
              : "No bench.sh run record for this section.\n\n");
    } else {
      long start = run.get("start").asLong();
      long end = run.get("end").asLong();
      md.append(
          String.format(
              Locale.ROOT,
              "_Measured by `%s` at %s, %d s; load average %s._%s%n%n",
              run.get("invocation").asText(),
              Instant.ofEpochSecond(start),
              end - start,
              loadAverage(start, end),
              run.get("status").asText().equals("ok")
                  ? ""
                  : " **The section's main did not end normally in this run** (it failed or was stopped; log: `bench/target/results/"
                      + run.get("section").asText()
                      + ".log`); what it wrote before it ended is below."));
    }
    if (nodes.isEmpty()) {
      return;
    }
    List<JsonNode> profiles = new ArrayList<>();
    List<JsonNode> ratios = new ArrayList<>();
    for (JsonNode n : nodes) {
      switch (n.get("kind").asText()) {
        case "note":
          md.append(n.get("text").asText()).append("\n\n");
          break;
        case "table":
          table(md, n);
          break;
        case "ratio":
          ratios.add(n);
          break;
        case "profile":
          profiles.add(n);
          break;
        default:
          break;
      }
    }
    if (!ratios.isEmpty()) {
      md.append("| ratio | per trial | median (min–max) | goal |\n|---|---|---|---|\n");
      for (JsonNode n : ratios) {
        List<String> perTrial = new ArrayList<>();
        n.get("values")
            .forEach(v -> perTrial.add(String.format(Locale.ROOT, "%.2f", v.asDouble())));
        md.append("| ")
            .append(n.get("name").asText())
            .append(" | ")
            .append(String.join(", ", perTrial))
            .append(" | **")
            .append(medianMinMax(n))
            .append("** | ")
            .append(n.has("goal") ? n.get("goalText").asText() + " " + verdict(n) : "—")
            .append(" |\n");
      }
      md.append("\n");
    }
    if (!profiles.isEmpty()) {
      md.append("### Where the time goes\n\n")
          .append(
              "One extra run per side under JDK Flight Recorder (`jdk.ExecutionSample` every 10 ms on every")
          .append(
              " Java thread, via the `jdk.jfr` API); \"layer\" is the library of the top-most non-JDK frame,")
          .append(" \"top frames\" the sampled method itself.\n\n");
      for (JsonNode p : profiles) {
        long samples = p.get("samples").asLong();
        md.append("- **")
            .append(p.get("name").asText())
            .append("** (")
            .append(samples)
            .append(" samples): layers ")
            .append(percentages(p.get("layers"), samples))
            .append("; top frames ")
            .append(percentages(p.get("topFrames"), samples))
            .append("\n");
      }
      md.append("\n");
    }
  }

  private static String percentages(JsonNode counts, long total) {
    List<String> parts = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = counts.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      parts.add(
          String.format(
              Locale.ROOT,
              "%s %.0f%%",
              "`" + e.getKey() + "`",
              100.0 * e.getValue().asLong() / total));
    }
    return String.join(", ", parts);
  }

  private static void table(StringBuilder md, JsonNode n) {
    md.append("**").append(n.get("name").asText()).append("**\n\n|");
    n.get("header").forEach(h -> md.append(" ").append(h.asText()).append(" |"));
    md.append("\n|");
    n.get("header").forEach(h -> md.append("---|"));
    md.append("\n");
    for (JsonNode row : n.get("rows")) {
      md.append("|");
      row.forEach(c -> md.append(" ").append(c.asText()).append(" |"));
      md.append("\n");
    }
    md.append("\n");
  }

  private static double[] sorted(JsonNode ratio) {
    double[] v = new double[ratio.get("values").size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ratio.get("values").get(i).asDouble();
    }
    Arrays.sort(v);
    return v;
  }

  // The same median as Ratios.summary: the upper middle value of an even count.
  private static double median(JsonNode ratio) {
    double[] v = sorted(ratio);
    return v[v.length / 2];
  }

  private static String medianMinMax(JsonNode ratio) {
    double[] v = sorted(ratio);
    String unit = ratio.has("unit") ? " " + ratio.get("unit").asText() : "×";
    return String.format(
        Locale.ROOT, "%s%s (%s–%s)", fmt(v[v.length / 2]), unit, fmt(v[0]), fmt(v[v.length - 1]));
  }

  private static String fmt(double v) {
    // Three decimals below 1, so that a median just under a goal (0.198 vs 0.2) does not print as
    // it.
    return v >= 100
        ? String.format(Locale.ROOT, "%,.0f", v)
        : v < 1 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String verdict(JsonNode ratio) {
    if (ratio.has("inconclusive")) {
      return "**INCONCLUSIVE** (" + ratio.get("inconclusive").asText() + ")";
    }
    return met(ratio) ? "MET" : "**NOT MET**";
  }

  private static boolean met(JsonNode ratio) {
    double m = median(ratio);
    double goal = ratio.get("goal").asDouble();
    return ratio.get("goalAtLeast").asBoolean() ? m >= goal : m <= goal;
  }

  private static void chart(Map<String, List<JsonNode>> bySection, Path png) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    int bars = 0;
    double lowest = 1.0;
    double highest = 1.0;
    for (List<JsonNode> nodes : bySection.values()) {
      for (JsonNode n : nodes) {
        if (n.get("kind").asText().equals("ratio") && n.has("goal") && !n.has("unit")) {
          // A log axis cannot show a non-positive (inconclusive) median: that bar is left out.
          boolean drawable = median(n) > 0 && !n.has("inconclusive");
          double shown = drawable ? median(n) : n.get("goal").asDouble();
          lowest = Math.min(lowest, Math.min(shown, n.get("goal").asDouble()));
          highest = Math.max(highest, Math.max(shown, n.get("goal").asDouble()));
          String label =
              shorten(n.get("name").asText())
                  + (n.get("goalAtLeast").asBoolean() ? "" : " (goal ≤)")
                  + (n.has("inconclusive")
                      ? "  [INCONCLUSIVE]"
                      : met(n) ? "  [MET]" : "  [NOT MET]");
          data.addValue(drawable ? median(n) : null, "median ratio (this run)", label);
          data.addValue(n.get("goal").asDouble(), "goal", label);
          bars++;
        }
      }
    }
    LogAxis axis = new LogAxis("ratio (log scale; goal ≥ value unless the label says ≤)");
    axis.setSmallestValue(0.001);
    axis.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
    axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0));
    axis.setRange(
        Math.pow(10, Math.floor(Math.log10(lowest))),
        Math.pow(10, Math.ceil(Math.log10(highest * 1.2))));
    CategoryAxis categories = new CategoryAxis();
    categories.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    categories.setMaximumCategoryLabelWidthRatio(0.6f);
    BarRenderer renderer = new BarRenderer();
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setSeriesPaint(0, new Color(0x33, 0x66, 0xcc));
    renderer.setSeriesPaint(1, new Color(0xbb, 0xbb, 0xbb));
    renderer.setItemMargin(0.0);
    CategoryPlot plot = new CategoryPlot(data, categories, axis, renderer);
    plot.setOrientation(PlotOrientation.HORIZONTAL);
    plot.setRangeAxisLocation(org.jfree.chart.axis.AxisLocation.BOTTOM_OR_RIGHT);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    ValueMarker one = new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1.0f));
    plot.addRangeMarker(one);
    JFreeChart chart =
        new JFreeChart(
            "beamsuite benchmarks: median ratio vs goal",
            JFreeChart.DEFAULT_TITLE_FONT,
            plot,
            true);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1200, Math.max(400, 120 + 46 * bars));
  }

  private static String shorten(String name) {
    return name.length() <= 70 ? name : name.substring(0, 67) + "...";
  }
}
