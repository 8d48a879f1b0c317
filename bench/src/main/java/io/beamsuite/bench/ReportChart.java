package io.beamsuite.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
 * The report's chart (docs/benchmarks.png): every goal at a glance, the median ratio of this run
 * against its goal; the only part of the report that needs JFreeChart.
 */
final class ReportChart {
  private ReportChart() {}

  /** Draws every goal-judged ratio without a unit (median vs goal, log scale) into {@code png}. */
  static void write(Map<String, List<JsonNode>> bySection, Path png) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    int bars = 0;
    double lowest = 1.0;
    double highest = 1.0;
    for (List<JsonNode> nodes : bySection.values()) {
      for (JsonNode n : nodes) {
        if (n.get("kind").asText().equals("ratio") && n.has("goal") && !n.has("unit")) {
          // A log axis cannot show a non-positive (inconclusive) median: that bar is left out.
          boolean drawable = RatioNodes.median(n) > 0 && !n.has("inconclusive");
          double shown = drawable ? RatioNodes.median(n) : n.get("goal").asDouble();
          lowest = Math.min(lowest, Math.min(shown, n.get("goal").asDouble()));
          highest = Math.max(highest, Math.max(shown, n.get("goal").asDouble()));
          String label =
              shorten(n.get("name").asText())
                  + (n.get("goalAtLeast").asBoolean() ? "" : " (goal ≤)")
                  + (n.has("inconclusive")
                      ? "  [INCONCLUSIVE]"
                      : RatioNodes.met(n) ? "  [MET]" : "  [NOT MET]");
          data.addValue(drawable ? RatioNodes.median(n) : null, "median ratio (this run)", label);
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
