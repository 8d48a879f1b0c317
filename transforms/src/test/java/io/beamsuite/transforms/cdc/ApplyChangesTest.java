package io.beamsuite.transforms.cdc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamsuite.transforms.cdc.ChangeEvent.Op;
import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.testing.PipelineMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Exact-output tests of {@link ApplyChanges}. Rows are strings; a change's position is its log
 * position with sequence 0. Every element is its own TestStream step, because the outcome depends
 * on arrival order and one step is one bundle, whose order the runner may change.
 */
@RunWith(JUnit4.class)
public class ApplyChangesTest {
  private static final Instant T0 = Instant.parse("2026-01-05T09:00:00Z");
  private static final Coder<ChangeEvent<String, String>> CHANGE_CODER =
      ChangeEvent.coder(StringUtf8Coder.of(), StringUtf8Coder.of());

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void reorderedChangesNeverOverwriteNewerOnes() {
    List<ChangeEvent<String, String>> arrivals =
        List.of(
            insert("a", 10, "a1"),
            update("a", 30, "a3"),
            update("a", 20, "a2"), // older than a3: stale
            update("b", 50, "b5"),
            insert("b", 40, "b4"), // older: stale
            update("a", 40, "a4"));

    ApplyChanges.Result<String, String> out =
        p.apply(stream(arrivals)).apply(ApplyChanges.create());

    PAssert.that(out.mutations())
        .containsInAnyOrder(
            upsert("a", 10, "a1"),
            upsert("a", 30, "a3"),
            upsert("b", 50, "b5"),
            upsert("a", 40, "a4"));
    PAssert.that(out.staleChanges())
        .containsInAnyOrder(update("a", 20, "a2"), insert("b", 40, "b4"));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(6, counter(result, "changes_in"));
    assertEquals(4, counter(result, "applied"));
    assertEquals(2, counter(result, "stale_changes"));
    assertEquals(0, counter(result, "duplicate_changes"));
  }

  @Test
  public void duplicateDeliveriesAreStaleAndCounted() {
    List<ChangeEvent<String, String>> arrivals =
        List.of(
            insert("a", 10, "a1"),
            insert("a", 10, "a1"),
            update("a", 20, "a2"),
            insert("a", 10, "a1"), // redelivered after a newer change
            update("a", 20, "a2"),
            delete("a", 30, "a2"),
            delete("a", 30, "a2"));

    ApplyChanges.Result<String, String> out =
        p.apply(stream(arrivals)).apply(ApplyChanges.create());

    PAssert.that(out.mutations())
        .containsInAnyOrder(upsert("a", 10, "a1"), upsert("a", 20, "a2"), deleteOf("a", 30, "a2"));
    PAssert.that(out.staleChanges())
        .containsInAnyOrder(
            insert("a", 10, "a1"),
            insert("a", 10, "a1"),
            update("a", 20, "a2"),
            delete("a", 30, "a2"));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(7, counter(result, "changes_in"));
    assertEquals(3, counter(result, "applied"));
    assertEquals(4, counter(result, "stale_changes"));
    // The a1 that came back after a2 is stale but not a duplicate of the last applied change.
    assertEquals(3, counter(result, "duplicate_changes"));
    assertEquals(1, counter(result, "deletes"));
  }

  @Test
  public void aDeletedRowStaysDeletedWhenAnOlderUpdateArrivesLate() {
    List<ChangeEvent<String, String>> arrivals =
        List.of(
            insert("a", 10, "a1"),
            delete("a", 30, null), // default replica identity: no before image
            update("a", 20, "a2"), // older than the delete: must not resurrect the row
            delete("b", 15, "b0"), // a delete for a key never seen
            insert("b", 12, "b1"), // older than that delete
            insert("a", 40, "a4")); // a genuine re-insert

    ApplyChanges.Result<String, String> out =
        p.apply(stream(arrivals)).apply(ApplyChanges.create());

    // A delete carries the old image as the source logged it: none for a, b0 for b.
    PAssert.that(out.mutations())
        .containsInAnyOrder(
            upsert("a", 10, "a1"),
            deleteOf("a", 30, null),
            deleteOf("b", 15, "b0"),
            upsert("a", 40, "a4"));
    PAssert.that(out.staleChanges())
        .containsInAnyOrder(update("a", 20, "a2"), insert("b", 12, "b1"));
    PAssert.that(finalState(out.mutations()))
        .containsInAnyOrder("a=UPSERT@40:a4", "b=DELETE@15:b0");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(2, counter(result, "deletes"));
    assertEquals(2, counter(result, "stale_changes"));
  }

  @Test
  public void snapshotRowsMergeWithAnOverlappingStream() {
    // The snapshot read every row at LSN 100. Stream changes before 100 are already in it.
    List<ChangeEvent<String, String>> arrivals =
        List.of(
            update("x", 150, "x-stream"), // committed after the snapshot, arrives first
            read("x", 100, "x-snap"), // older than the applied stream change: dropped
            read("y", 100, "y-snap"),
            update("y", 90, "y-old"), // replayed stream change older than the snapshot: dropped
            update("y", 120, "y-new"), // newer than the snapshot: applied
            insert("w", 50, "w-old"), // stream change before the snapshot arrives first
            read("w", 100, "w-snap"), // the snapshot is newer: applied
            read("z", 100, "z-snap"),
            delete("v", 80, "v-old"), // deleted before the snapshot ...
            read("v", 100, "v-snap")); // ... but the snapshot (newer) has it again: applied

    ApplyChanges.Result<String, String> out =
        p.apply(stream(arrivals)).apply(ApplyChanges.create());

    PAssert.that(out.staleChanges())
        .containsInAnyOrder(read("x", 100, "x-snap"), update("y", 90, "y-old"));
    PAssert.that(finalState(out.mutations()))
        .containsInAnyOrder(
            "x=UPSERT@150:x-stream",
            "y=UPSERT@120:y-new",
            "w=UPSERT@100:w-snap",
            "z=UPSERT@100:z-snap",
            "v=UPSERT@100:v-snap");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(8, counter(result, "applied"));
    assertEquals(2, counter(result, "stale_changes"));
  }

  @Test
  public void aTombstoneExpiresOnlyWhenTheWatermarkPassesDeletePlusRetention() {
    Duration retention = Duration.standardHours(1);
    TestStream<ChangeEvent<String, String>> events =
        TestStream.create(CHANGE_CODER)
            .addElements(at(insert("a", 10, "a1"), 0), at(insert("k", 10, "k1"), 0))
            .addElements(at(delete("a", 30, "a1"), 5))
            // Exactly at delete time + retention the tombstone still holds.
            .advanceWatermarkTo(T0.plus(Duration.standardMinutes(5)).plus(retention))
            .addElements(at(update("a", 20, "a2"), 1))
            // One millisecond later it is gone: an older change is then treated as new.
            .advanceWatermarkTo(
                T0.plus(Duration.standardMinutes(5)).plus(retention).plus(Duration.millis(1)))
            .addElements(at(update("a", 21, "a2b"), 2))
            // A live row has no expiry: its position still keeps older changes out.
            .advanceWatermarkTo(T0.plus(Duration.standardDays(30)))
            .addElements(at(update("k", 5, "k0"), 3))
            .advanceWatermarkToInfinity();

    ApplyChanges.Result<String, String> out =
        p.apply(events)
            .apply(ApplyChanges.<String, String>create().withTombstoneRetention(retention));

    PAssert.that(out.mutations())
        .containsInAnyOrder(
            upsert("a", 10, "a1"),
            upsert("k", 10, "k1"),
            deleteOf("a", 30, "a1"),
            upsert("a", 21, "a2b"));
    PAssert.that(out.staleChanges())
        .containsInAnyOrder(update("a", 20, "a2"), update("k", 5, "k0"));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    // a's tombstone expired once; the tombstone of nothing else existed.
    assertEquals(1, counter(result, "tombstones_expired"));
  }

  @Test
  public void mutationsEqualAPlainJavaOracleOverAShuffledHistoryWithDuplicates() {
    // Histories of 6 keys with increasing positions; some start in the snapshot (op r at LSN 1000).
    Random random = new Random(20260105L);
    List<ChangeEvent<String, String>> history = new ArrayList<>();
    long lsn = 1001;
    for (int k = 0; k < 6; k++) {
      String key = "k" + k;
      boolean live;
      if (k % 2 == 0) {
        history.add(read(key, 1000, key + "@snap"));
        live = true;
      } else {
        history.add(insert(key, lsn++, key + "@0"));
        live = true;
      }
      for (int v = 1; v <= 4; v++) {
        if (live && random.nextInt(3) == 0) {
          history.add(delete(key, lsn++, key + "@" + (v - 1)));
          live = false;
        } else if (live) {
          history.add(update(key, lsn++, key + "@" + v));
        } else {
          history.add(insert(key, lsn++, key + "@" + v));
          live = true;
        }
      }
    }
    List<ChangeEvent<String, String>> arrivals = new ArrayList<>(history);
    Collections.shuffle(arrivals, random);
    for (int i = 0; i < 8; i++) { // redeliveries, each later than its original
      int original = random.nextInt(arrivals.size());
      arrivals.add(
          original + 1 + random.nextInt(arrivals.size() - original), arrivals.get(original));
    }

    ApplyChanges.Result<String, String> out =
        p.apply(stream(arrivals)).apply(ApplyChanges.create());

    Oracle oracle = new Oracle(arrivals);
    // The seeded scenario is not degenerate: most arrivals are stale, and deletes are applied.
    assertEquals(38, arrivals.size());
    assertEquals(13, oracle.mutations.size());
    assertEquals(5, oracle.mutations.stream().filter(Mutation::isDelete).count());
    PAssert.that(out.mutations()).containsInAnyOrder(oracle.mutations);
    PAssert.that(finalState(out.mutations())).containsInAnyOrder(oracle.finalState());
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(arrivals.size(), counter(result, "changes_in"));
    assertEquals(oracle.mutations.size(), counter(result, "applied"));
    assertEquals(arrivals.size() - oracle.mutations.size(), counter(result, "stale_changes"));
    assertEquals(5, counter(result, "deletes"));
    assertEquals(
        counter(result, "changes_in"),
        counter(result, "applied") + counter(result, "stale_changes"));
  }

  @Test
  public void theCapturedDebeziumStreamReplaysToTheSourceTableEvenWhenDeliveredTwice()
      throws Exception {
    // Every captured record twice, in no particular order: the final state must still be the
    // source table's after the capture (c-2 and c-4 deleted).
    List<String> lines = new ArrayList<>(DebeziumJsonTest.resourceLines("customers.jsonl"));
    lines.addAll(DebeziumJsonTest.resourceLines("customers.jsonl"));

    ApplyChanges.Result<String, Customer> out =
        p.apply(DebeziumJsonTest.records(lines))
            .apply(DebeziumJson.parse(Customer.class).withKeyField("customer_id"))
            .changes()
            .apply(ApplyChanges.<String, Customer>create());

    PAssert.that(finalState(out.mutations()))
        .containsInAnyOrder(
            "c-1=UPSERT@22034328:" + DebeziumJsonTest.ADA_2,
            "c-2=DELETE@22034496:" + DebeziumJsonTest.GRACE_KEY_ONLY,
            "c-3=UPSERT@22035224:" + DebeziumJsonTest.ALAN_2,
            "c-4=DELETE@22035824:" + DebeziumJsonTest.EDSGER_3,
            "c-5=UPSERT@22034608:" + DebeziumJsonTest.NAMELESS);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(22, counter(result, "changes_in"));
    assertEquals(
        counter(result, "changes_in"),
        counter(result, "applied") + counter(result, "stale_changes"));
    // How many apply depends on the order; at most one of each pair, at least one per key.
    long applied = counter(result, "applied");
    assertTrue("applied " + applied, applied >= 5 && applied <= 11);
    assertEquals(2, counter(result, "deletes"));
  }

  @Test
  public void aChangeWithoutARowImageIsADeadLetterNotAFailure() {
    List<ChangeEvent<String, String>> arrivals =
        List.of(
            ChangeEvent.of(Op.UPDATE, "a", null, null, ChangePosition.of(10, 0), T0),
            update("a", 20, "a2"));

    ApplyChanges.Result<String, String> out =
        p.apply(stream(arrivals)).apply(ApplyChanges.create());

    PAssert.that(out.mutations()).containsInAnyOrder(upsert("a", 20, "a2"));
    PAssert.that(
            out.deadLetters()
                .apply(MapElements.into(TypeDescriptors.strings()).via(DeadLetter::getReason)))
        .containsInAnyOrder(DebeziumJson.Reasons.MISSING_ROW);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(1, counter(result, "dead_letters"));
  }

  @Test
  public void takesCodersFromTheInputOrFromWithCoders() {
    p.enableAbandonedNodeEnforcement(false);
    Coder<ChangeEvent<String, String>> opaque = NullableCoder.of(CHANGE_CODER);
    PCollection<ChangeEvent<String, String>> input =
        p.apply(Create.of(insert("a", 1, "a1")).withCoder(opaque));
    assertThrows(IllegalStateException.class, () -> input.apply("NoCoders", ApplyChanges.create()));
    ApplyChanges.Result<String, String> out =
        input.apply(
            "WithCoders",
            ApplyChanges.<String, String>create()
                .withCoders(StringUtf8Coder.of(), StringUtf8Coder.of()));
    assertEquals(
        Mutation.coder(StringUtf8Coder.of(), StringUtf8Coder.of()), out.mutations().getCoder());
    assertThrows(
        IllegalArgumentException.class,
        () -> ApplyChanges.create().withTombstoneRetention(Duration.ZERO));
  }

  @Test
  public void theMutationCoderIsDeterministicAndRoundTrips() throws Exception {
    Coder<Mutation<String, String>> coder =
        Mutation.coder(StringUtf8Coder.of(), StringUtf8Coder.of());
    CoderProperties.coderDeterministic(coder, upsert("a", 1, "x"), upsert("a", 1, "x"));
    for (Mutation<String, String> m :
        List.of(upsert("a", 1, "x"), deleteOf("b", 2, "y"), deleteOf("c", 3, null))) {
      CoderProperties.coderDecodeEncodeEqual(coder, m);
    }
    coder.verifyDeterministic();
  }

  /**
   * The expected mutations, computed without ApplyChanges' state machine: a change is applied
   * exactly when its position is greater than that of every change of its key that arrived before
   * it (no tombstone expires in the oracle test).
   */
  private static final class Oracle {
    final List<Mutation<String, String>> mutations = new ArrayList<>();
    final Map<String, Mutation<String, String>> latest = new TreeMap<>();

    Oracle(List<ChangeEvent<String, String>> arrivals) {
      Map<String, List<ChangeEvent<String, String>>> seen = new HashMap<>();
      for (ChangeEvent<String, String> change : arrivals) {
        List<ChangeEvent<String, String>> earlier =
            seen.computeIfAbsent(change.key(), k -> new ArrayList<>());
        boolean newest =
            earlier.stream().allMatch(e -> change.position().compareTo(e.position()) > 0);
        if (newest) {
          Mutation<String, String> m;
          if (change.isDelete()) {
            m =
                Mutation.delete(
                    change.key(), change.before(), change.position(), change.commitTime());
          } else {
            m =
                Mutation.upsert(
                    change.key(), change.after(), change.position(), change.commitTime());
          }
          mutations.add(m);
          latest.put(change.key(), m);
        }
        earlier.add(change);
      }
    }

    List<String> finalState() {
      List<String> state = new ArrayList<>();
      latest.values().forEach(m -> state.add(describe(m)));
      return state;
    }
  }

  /** The mutation with the greatest position per key, as {@code key=KIND@lsn:row}. */
  private static <V> PCollection<String> finalState(PCollection<Mutation<String, V>> mutations) {
    SerializableFunction<Iterable<Mutation<String, V>>, Mutation<String, V>> newest =
        all -> {
          Mutation<String, V> best = null;
          for (Mutation<String, V> m : all) {
            if (best == null || m.position().compareTo(best.position()) > 0) {
              best = m;
            }
          }
          return best;
        };
    return mutations
        // One pane at the end of the stream: the state once every change is in.
        .apply(
            "AtEnd",
            Window.<Mutation<String, V>>into(new GlobalWindows())
                .triggering(AfterWatermark.pastEndOfWindow())
                .withAllowedLateness(Duration.ZERO)
                .discardingFiredPanes())
        .apply(
            "ByKey",
            WithKeys.of((Mutation<String, V> m) -> m.key()).withKeyType(TypeDescriptors.strings()))
        .apply("Newest", Combine.perKey(newest))
        .apply(Values.create())
        .apply(
            "Describe",
            MapElements.into(TypeDescriptors.strings()).via(ApplyChangesTest::describe));
  }

  private static String describe(Mutation<String, ?> m) {
    return m.key() + "=" + m.kind() + "@" + m.position().logPosition() + ":" + m.row();
  }

  private static TestStream<ChangeEvent<String, String>> stream(
      List<ChangeEvent<String, String>> arrivals) {
    TestStream.Builder<ChangeEvent<String, String>> builder = TestStream.create(CHANGE_CODER);
    for (int i = 0; i < arrivals.size(); i++) {
      builder = builder.addElements(at(arrivals.get(i), i));
    }
    return builder.advanceWatermarkToInfinity();
  }

  private static TimestampedValue<ChangeEvent<String, String>> at(
      ChangeEvent<String, String> change, int minute) {
    return TimestampedValue.of(change, T0.plus(Duration.standardMinutes(minute)));
  }

  private static ChangeEvent<String, String> read(String key, long lsn, String row) {
    return ChangeEvent.of(Op.READ, key, null, row, ChangePosition.of(lsn, 0), commit(lsn));
  }

  private static ChangeEvent<String, String> insert(String key, long lsn, String row) {
    return ChangeEvent.of(Op.CREATE, key, null, row, ChangePosition.of(lsn, 0), commit(lsn));
  }

  private static ChangeEvent<String, String> update(String key, long lsn, String row) {
    return ChangeEvent.of(Op.UPDATE, key, null, row, ChangePosition.of(lsn, 0), commit(lsn));
  }

  private static ChangeEvent<String, String> delete(String key, long lsn, @Nullable String before) {
    return ChangeEvent.of(Op.DELETE, key, before, null, ChangePosition.of(lsn, 0), commit(lsn));
  }

  private static Mutation<String, String> upsert(String key, long lsn, String row) {
    return Mutation.upsert(key, row, ChangePosition.of(lsn, 0), commit(lsn));
  }

  private static Mutation<String, String> deleteOf(String key, long lsn, @Nullable String lastRow) {
    return Mutation.delete(key, lastRow, ChangePosition.of(lsn, 0), commit(lsn));
  }

  private static Instant commit(long lsn) {
    return T0.plus(Duration.millis(lsn));
  }

  private static long counter(PipelineResult result, String name) {
    return PipelineMetrics.counter(result, ApplyChanges.class, name);
  }
}
