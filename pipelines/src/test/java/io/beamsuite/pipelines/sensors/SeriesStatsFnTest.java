package io.beamsuite.pipelines.sensors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link SeriesStatsFn} and {@link SeriesStats}: moments, merging, coders. */
@RunWith(JUnit4.class)
public class SeriesStatsFnTest {
  private static final SeriesStatsFn<Double> FN = SeriesStatsFn.of((Double d) -> d);

  @Test
  public void populationStddevOfAHandExample() {
    // 2, 4, 4, 4, 5, 5, 7, 9: sum 40, n 8, mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32;
    // population variance 32 / 8 = 4, stddev 2 (the sample stddev would be sqrt(32/7)).
    SeriesStats s = sequential(List.of(2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0));
    assertEquals(8, s.count());
    assertEquals(5.0, s.mean(), 0.0);
    assertEquals(32.0, s.m2(), 0.0);
    assertEquals(4.0, s.variance(), 0.0);
    assertEquals(2.0, s.stddev(), 0.0);
  }

  @Test
  public void twoValuesAndOneAndNone() {
    // 10, 12: mean 11, deviations -1, +1, m2 2, variance 2/2 = 1.
    assertEquals(1.0, SeriesStats.ofValues(10, 12).stddev(), 0.0);
    SeriesStats one = SeriesStats.ofValues(42.5);
    assertEquals(1, one.count());
    assertEquals(42.5, one.mean(), 0.0);
    assertEquals(0.0, one.stddev(), 0.0);
    SeriesStats none = FN.extractOutput(FN.createAccumulator());
    assertEquals(SeriesStats.empty(), none);
    assertEquals(0.0, none.stddev(), 0.0);
  }

  @Test
  public void mergedEqualsSequentialWithin1e12() {
    Random random = new Random(20261123);
    for (int trial = 0; trial < 50; trial++) {
      // Sensor-like values (an offset of up to a few thousand, spread 3): the naive
      // sum-of-squares formula already loses digits here.
      List<Double> values = new ArrayList<>();
      int n = 1 + random.nextInt(2000);
      double offset = 1000 * random.nextGaussian();
      for (int i = 0; i < n; i++) {
        values.add(offset + 3.0 * random.nextGaussian());
      }
      SeriesStats sequential = sequential(values);

      // Random split into chunks (some empty), each accumulated, merged in a random tree shape.
      List<SeriesStatsFn.Accumulator> parts = new ArrayList<>();
      int i = 0;
      while (i < n) {
        int size = random.nextInt(50);
        SeriesStatsFn.Accumulator a = FN.createAccumulator();
        for (int j = i; j < Math.min(n, i + size); j++) {
          a = FN.addInput(a, values.get(j));
        }
        parts.add(a);
        i += size;
      }
      while (parts.size() > 1) {
        int k = random.nextInt(parts.size() - 1);
        SeriesStatsFn.Accumulator merged =
            FN.mergeAccumulators(List.of(parts.get(k), parts.get(k + 1)));
        parts.remove(k + 1);
        parts.set(k, merged);
      }
      SeriesStats merged = FN.extractOutput(parts.get(0));

      assertEquals(sequential.count(), merged.count());
      assertRelative(sequential.mean(), merged.mean(), 1e-12);
      assertRelative(sequential.m2(), merged.m2(), 1e-12);
      assertRelative(sequential.stddev(), merged.stddev(), 1e-12);
      // And close to the textbook two-pass computation.
      assertRelative(twoPassStddev(values), merged.stddev(), 1e-9);
    }
  }

  @Test
  public void constantSeriesHasStddevExactlyZeroHoweverMerged() {
    // 0.1 is not representable; the sum-of-squares formula gives a tiny positive variance here,
    // which would make a flat window a scorable predecessor with a huge z-score.
    List<SeriesStatsFn.Accumulator> parts = new ArrayList<>();
    for (int p = 0; p < 7; p++) {
      SeriesStatsFn.Accumulator a = FN.createAccumulator();
      for (int i = 0; i < 13 + p; i++) {
        a = FN.addInput(a, 0.1);
      }
      parts.add(a);
    }
    SeriesStats s = FN.extractOutput(FN.mergeAccumulators(parts));
    assertEquals(0.1, s.mean(), 0.0);
    assertEquals(0.0, s.stddev(), 0.0);
    assertTrue(!ScoredWindow.canScoreAgainst(s));
  }

  @Test
  public void codersRoundTripAndAreDeterministic() throws Exception {
    Coder<SeriesStats> coder = SeriesStats.coder();
    CoderProperties.coderDeterministic(
        coder, SeriesStats.ofValues(1, 2, 3), SeriesStats.ofValues(1, 2, 3));
    CoderProperties.coderDecodeEncodeEqual(coder, SeriesStats.ofValues(1, 2.5, -3e300));
    CoderProperties.coderDecodeEncodeEqual(coder, SeriesStats.empty());
    CoderProperties.coderSerializable(coder);
    coder.verifyDeterministic();

    Coder<SeriesStatsFn.Accumulator> accumulatorCoder = FN.getAccumulatorCoder(null, null);
    accumulatorCoder.verifyDeterministic();
    SeriesStatsFn.Accumulator a = FN.addInput(FN.addInput(FN.createAccumulator(), 3.0), 8.0);
    SeriesStatsFn.Accumulator decoded = CoderUtils.clone(accumulatorCoder, a);
    assertEquals(FN.extractOutput(a), FN.extractOutput(decoded));
  }

  private static SeriesStats sequential(List<Double> values) {
    SeriesStatsFn.Accumulator a = FN.createAccumulator();
    for (double v : values) {
      a = FN.addInput(a, v);
    }
    return FN.extractOutput(a);
  }

  private static double twoPassStddev(List<Double> values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    double mean = sum / values.size();
    double squares = 0;
    for (double v : values) {
      squares += (v - mean) * (v - mean);
    }
    return Math.sqrt(squares / values.size());
  }

  private static void assertRelative(double expected, double actual, double tolerance) {
    double scale = Math.max(Math.abs(expected), Math.abs(actual));
    assertTrue(
        "expected " + expected + ", got " + actual,
        Math.abs(expected - actual) <= tolerance * scale);
  }
}
