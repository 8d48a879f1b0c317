package io.beamsuite.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamsuite.fixtures.bench.Ratios;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The machine-readable result lines of one benchmark section: one JSON object per line, appended to
 * the file named by {@code -Dbench.out} (and echoed to stdout with a {@link Ratios#summary} line
 * for ratios). {@link ReportWriter} renders them.
 *
 * <pre>{@code
 * Results out = Results.forSection("flink-vs-native", "Beam on Flink vs native Flink");
 * out.ratio("revenue: Beam / native", new double[] {0.4, 0.5, 0.45}, Goal.atLeast(0.5));
 * out.table("trials", List.of("trial", "beam rec/s"), List.of(List.of("1", "123")));
 * }</pre>
 */
public final class Results {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String section;
  private final Path file;

  private Results(String section, Path file) {
    this.section = section;
    this.file = file;
  }

  /**
   * Results of {@code section}, written to {@code -Dbench.out} (default {@code
   * target/bench/<section>.jsonl}).
   */
  public static Results forSection(String section, String title) {
    Path file = Path.of(System.getProperty("bench.out", "target/bench/" + section + ".jsonl"));
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Results results = new Results(section, file);
    ObjectNode line = results.line("section");
    line.put("title", title);
    results.write(line);
    return results;
  }

  /** A goal for a ratio: {@code median >= value} (or {@code <=} for {@link #atMost}). */
  public static final class Goal {
    final double value;
    final boolean atLeast;
    final String text;

    private Goal(double value, boolean atLeast, String text) {
      this.value = value;
      this.atLeast = atLeast;
      this.text = text;
    }

    public static Goal atLeast(double value, String text) {
      return new Goal(value, true, text);
    }

    public static Goal atMost(double value, String text) {
      return new Goal(value, false, text);
    }
  }

  /** Ratios measured in one run each (one per trial); {@code goal} may be null. */
  public void ratio(String name, double[] perTrial, Goal goal) {
    ratio(name, perTrial, goal, null);
  }

  /**
   * As {@link #ratio(String, double[], Goal)}; a non-null {@code inconclusive} says why the values
   * cannot judge the goal (the page then shows INCONCLUSIVE, not MET or NOT MET).
   */
  public void ratio(String name, double[] perTrial, Goal goal, String inconclusive) {
    System.out.println(Ratios.summary(section + ": " + name, perTrial));
    ObjectNode line = line("ratio");
    line.put("name", name);
    ArrayNode values = line.putArray("values");
    for (double v : perTrial) {
      values.add(v);
    }
    if (goal != null) {
      line.put("goal", goal.value);
      line.put("goalAtLeast", goal.atLeast);
      line.put("goalText", goal.text);
    }
    if (inconclusive != null) {
      line.put("inconclusive", inconclusive);
    }
    write(line);
  }

  /**
   * Absolute rates measured in one run each (one per trial), e.g. records/s, with an optional goal;
   * the page shows them with {@code unit} instead of "×" and leaves them out of the ratio chart.
   */
  public void rate(String name, double[] perTrial, Goal goal) {
    System.out.println(Ratios.summary(section + ": " + name, perTrial));
    ObjectNode line = line("ratio");
    line.put("name", name);
    line.put("unit", "rec/s");
    ArrayNode values = line.putArray("values");
    for (double v : perTrial) {
      values.add(v);
    }
    if (goal != null) {
      line.put("goal", goal.value);
      line.put("goalAtLeast", goal.atLeast);
      line.put("goalText", goal.text);
    }
    write(line);
  }

  /**
   * A measured quantity in {@code unit} (e.g. "s", "tx/s"), one value per trial, with an optional
   * goal; shown like {@link #rate} (the unit instead of "×", left out of the ratio chart).
   */
  public void measure(String name, double[] perTrial, String unit, Goal goal) {
    System.out.println(Ratios.summary(section + ": " + name, perTrial));
    ObjectNode line = line("ratio");
    line.put("name", name);
    line.put("unit", unit);
    ArrayNode values = line.putArray("values");
    for (double v : perTrial) {
      values.add(v);
    }
    if (goal != null) {
      line.put("goal", goal.value);
      line.put("goalAtLeast", goal.atLeast);
      line.put("goalText", goal.text);
    }
    write(line);
  }

  /** A table of this section (cells already formatted). */
  public void table(String name, List<String> header, List<List<String>> rows) {
    ObjectNode line = line("table");
    line.put("name", name);
    ArrayNode h = line.putArray("header");
    header.forEach(h::add);
    ArrayNode r = line.putArray("rows");
    for (List<String> row : rows) {
      ArrayNode cells = r.addArray();
      row.forEach(cells::add);
    }
    write(line);
    System.out.println(name + ": " + header);
    rows.forEach(row -> System.out.println("  " + row));
  }

  /** A paragraph of this section (markdown). */
  public void note(String markdown) {
    ObjectNode line = line("note");
    line.put("text", markdown);
    write(line);
    System.out.println("note: " + markdown);
  }

  /** A version or fact about the run, shown in the page header (e.g. the PostgreSQL version). */
  public void meta(String name, String value) {
    ObjectNode line = line("meta");
    line.put("name", name);
    line.put("value", value);
    write(line);
  }

  /** Where the time of {@code name} went (sampled stacks, see {@link Profiles}). */
  public void profile(String name, Profiles.Summary summary) {
    ObjectNode line = line("profile");
    line.put("name", name);
    line.put("samples", summary.samples);
    ObjectNode layers = line.putObject("layers");
    summary.layers.forEach(layers::put);
    ObjectNode frames = line.putObject("topFrames");
    summary.topFrames.forEach(frames::put);
    write(line);
    System.out.println(
        "profile " + name + ": " + summary.samples + " samples, layers " + summary.layers);
  }

  private ObjectNode line(String kind) {
    ObjectNode line = JSON.createObjectNode();
    line.put("section", section);
    line.put("kind", kind);
    return line;
  }

  private synchronized void write(ObjectNode line) {
    try {
      Files.write(
          file,
          (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
