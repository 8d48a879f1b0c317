package io.beamsuite.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.pipelines.model.Click;
import io.beamsuite.pipelines.model.SensorReading;
import io.beamsuite.pipelines.model.Transaction;
import io.beamsuite.transforms.coders.EfficientCoders;
import io.beamsuite.transforms.records.RawRecord;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Section 8: encode + decode per record of each event type with the coder the pipelines use (the
 * coder {@link EfficientCoders#infer} picks, as {@code ParseJson} does: the event types' own
 * field-by-field default coders), against a plain Jackson round trip of the same record ({@code
 * readTree} of its JSON + {@code writeValueAsBytes}). Also the {@link RawRecord} coder. Warm-up,
 * then trials in rotating order; each run codes every record {@code passes} times.
 */
public final class CoderBenchmark {
  private CoderBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials", "passes");
    int events = a.intArg("events", 50_000, 10_000);
    int trials = a.intArg("trials", 3, 3);
    int passes = a.intArg("passes", 5, 2);
    Results out = Results.forSection("coders", "Coder cost per record");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    ObjectMapper jackson = new ObjectMapper();
    List<List<String>> rows = new ArrayList<>();
    Trials trialsOf = Trials.of(trials);
    List<String[]> pairs = new ArrayList<>();
    for (EventTopic topic : EventTopic.values()) {
      Class<?> type =
          topic == EventTopic.CLICKS
              ? Click.class
              : topic == EventTopic.TRANSACTIONS ? Transaction.class : SensorReading.class;
      BenchEvents.Workload w = BenchEvents.generate(topic, events, 0.0, 24);
      StrictParser parser = new StrictParser(type);
      List<Object> decoded = new ArrayList<>();
      for (int i = 0; i < w.size(); i++) {
        decoded.add(parser.parse(w.payload(i)));
      }
      Coder<Object> coder = coderOf(p, type);
      String name = type.getSimpleName();
      String coderSide = name + ": " + coder.getClass().getSimpleName();
      String jacksonSide = name + ": Jackson tree round trip";
      trialsOf.side(coderSide, () -> roundTrips(coder, decoded, passes));
      trialsOf.side(jacksonSide, () -> jacksonRoundTrips(jackson, w, passes));
      pairs.add(new String[] {coderSide, jacksonSide});
      if (type == Transaction.class) {
        List<Object> raw = new ArrayList<>();
        for (int i = 0; i < w.size(); i++) {
          raw.add(RawRecord.of(w.payload(i)));
        }
        Coder<Object> rawCoder = coderOf(p, RawRecord.class);
        String rawSide = "RawRecord (transaction payloads): " + rawCoder.getClass().getSimpleName();
        trialsOf.side(rawSide, () -> roundTrips(rawCoder, raw, passes));
        pairs.add(new String[] {rawSide, jacksonSide});
      }
    }
    Trials.Timings t = trialsOf.run();
    for (String[] pair : pairs) {
      out.ratio(pair[0] + " vs Jackson (speed-up)", t.ratios(pair[0], pair[1]), null);
      double[] ns = new double[t.trials()];
      for (int i = 0; i < ns.length; i++) {
        ns[i] = 1e9 / t.rate(pair[0], i);
      }
      double[] jacksonNs = new double[t.trials()];
      for (int i = 0; i < ns.length; i++) {
        jacksonNs[i] = 1e9 / t.rate(pair[1], i);
      }
      rows.add(
          List.of(
              pair[0],
              String.format("%,.0f", Stats.median(ns)),
              String.format("%,.0f", Stats.median(jacksonNs))));
    }
    out.note(
        String.format(
            "%,d generated events per type, every record encoded and decoded %d times per run"
                + " (`CoderUtils.encodeToByteArray` + `decodeFromByteArray`); warm-up, then %d trials in rotating order."
                + " A ratio above 1 means the coder is faster than the Jackson round trip.",
            events, passes, trials));
    out.table(
        "ns per record (encode + decode), median",
        List.of("coder", "coder ns/record", "Jackson ns/record"),
        rows);
  }

  @SuppressWarnings("unchecked")
  private static Coder<Object> coderOf(Pipeline p, Class<?> type) {
    return (Coder<Object>) EfficientCoders.infer(p, TypeDescriptor.of(type), "withCoder(...)");
  }

  private static long roundTrips(Coder<Object> coder, List<Object> records, int passes)
      throws Exception {
    long n = 0;
    for (int pass = 0; pass < passes; pass++) {
      for (Object record : records) {
        byte[] bytes = CoderUtils.encodeToByteArray(coder, record);
        if (CoderUtils.decodeFromByteArray(coder, bytes) == null) {
          throw new IllegalStateException("decoded null");
        }
        n++;
      }
    }
    return n;
  }

  private static long jacksonRoundTrips(ObjectMapper jackson, BenchEvents.Workload w, int passes)
      throws Exception {
    long n = 0;
    for (int pass = 0; pass < passes; pass++) {
      for (int i = 0; i < w.size(); i++) {
        JsonNode tree = jackson.readTree(w.payload(i));
        if (jackson.writeValueAsBytes(tree).length == 0) {
          throw new IllegalStateException("empty JSON");
        }
        n++;
      }
    }
    return n;
  }
}
