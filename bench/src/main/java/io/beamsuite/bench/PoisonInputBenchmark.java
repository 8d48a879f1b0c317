package io.beamsuite.bench;

import io.beamsuite.fixtures.generator.EventTopic;
import io.beamsuite.fixtures.generator.MalformedCorpus;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 9: the clickstream parse + dedup + page views per minute on the embedded FlinkRunner
 * ({@link BeamSide}), over clean clicks vs the same clicks with one {@link MalformedCorpus} record
 * after every 9 (10% poison: malformed JSON, oversized, invalid UTF-8, wrong types, hostile
 * strings...). Throughput counts every input record; every poison record the corpus expects to be
 * dead-lettered must come out as exactly one dead letter.
 */
public final class PoisonInputBenchmark {
  private PoisonInputBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = BenchArgs.parse(args, "events", "trials");
    int events = a.intArg("events", 40_000, 15_000);
    int trials = a.intArg("trials", 3, 3);
    Results out = Results.forSection("poison-input", "Poison input");

    BenchEvents.Workload clean = BenchEvents.generate(EventTopic.CLICKS, events, 0.03, 24);
    List<MalformedCorpus.Entry> corpus = new ArrayList<>();
    for (MalformedCorpus.Entry e : MalformedCorpus.load()) {
      if (e.topic() == null || e.topic().equals(EventTopic.CLICKS.topicName())) {
        corpus.add(e);
      }
    }
    // The same byte[] instances repeat, so the 1 MiB oversized entry costs its memory once.
    List<byte[]> poison = new ArrayList<>();
    long expectedDeadLetters = 0;
    for (int i = 0; poison.size() < clean.size() / 9; i++) {
      MalformedCorpus.Entry e = corpus.get(i % corpus.size());
      poison.add(e.payload());
      expectedDeadLetters += e.expectsDeadLetter() ? 1 : 0;
    }
    BenchEvents.Workload poisoned = clean.interleave(poison, 9);
    long expected = expectedDeadLetters;
    List<String> deadLetterChecks = new ArrayList<>();

    Trials.Timings t =
        Trials.of(trials)
            .side(
                "clean",
                () -> {
                  BenchEvents.install(clean);
                  BeamSide.DEAD_LETTERS.set(0);
                  long n = BeamSide.run(View.PAGE_VIEWS, BeamSide.flinkEmbedded(), null);
                  check(deadLetterChecks, "clean", BeamSide.DEAD_LETTERS.get(), 0);
                  return n;
                })
            .side(
                "10% poison",
                () -> {
                  BenchEvents.install(poisoned);
                  BeamSide.DEAD_LETTERS.set(0);
                  long n = BeamSide.run(View.PAGE_VIEWS, BeamSide.flinkEmbedded(), null);
                  check(deadLetterChecks, "poisoned", BeamSide.DEAD_LETTERS.get(), expected);
                  return n;
                })
            .run();
    out.note(
        String.format(
            "Clickstream parse (`ParseJson`) + `Dedup` + `PageViewsPerMinute` on the embedded"
                + " FlinkRunner (parallelism 2), dead letters counted. Clean: %,d click records (%,d events, 3%%"
                + " duplicates). Poisoned: the same plus %,d records from the %d click/generic `MalformedCorpus`"
                + " entries in rotation (one after every 9 clean records, i.e. %.1f%% of %,d; %,d of them are"
                + " entries the corpus expects to be dead-lettered, the rest are hostile but valid). Throughput ="
                + " input records / wall time.",
            clean.size(),
            events,
            poison.size(),
            corpus.size(),
            100.0 * poison.size() / poisoned.size(),
            poisoned.size(),
            expected));
    out.ratio(
        "poisoned / clean throughput",
        t.ratios("10% poison", "clean"),
        Results.Goal.atLeast(0.5, "≥ 0.5× (within 2×)"));
    out.table("throughput per trial", t.rateHeader(), t.rateRows());
    out.note(
        deadLetterChecks.stream().allMatch(s -> s.startsWith("ok"))
            ? String.format(
                "Dead letters: every run produced exactly the expected count (poisoned %,d, clean 0): %d"
                    + " runs checked.",
                expected, deadLetterChecks.size())
            : "Dead letters: **MISMATCH** " + String.join("; ", deadLetterChecks));
  }

  private static void check(List<String> checks, String side, long actual, long expected) {
    checks.add(
        (actual == expected ? "ok " : "MISMATCH ")
            + side
            + ": "
            + actual
            + " dead letters, expected "
            + expected);
    System.out.println(checks.get(checks.size() - 1));
  }
}
