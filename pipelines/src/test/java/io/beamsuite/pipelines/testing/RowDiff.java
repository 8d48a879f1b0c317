package io.beamsuite.pipelines.testing;

import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * Row-list equality with a readable failure: counts, then the first rows missing or unexpected. Two
 * empty lists fail too: a comparison in which neither side has a row proves nothing.
 */
public final class RowDiff {
  private static final int SHOWN = 5;

  private RowDiff() {}

  /** Fails unless {@code actual} equals {@code expected} (same rows, same order). */
  public static <T> void assertSameRows(String what, List<T> expected, List<T> actual) {
    assertSameRows(what, expected, actual, Object::equals);
  }

  /** As above, with {@code same} deciding whether two rows match. */
  public static <T> void assertSameRows(
      String what, List<T> expected, List<T> actual, BiPredicate<T, T> same) {
    if (expected.isEmpty() && actual.isEmpty()) {
      fail(what + ": both the oracle and the table are empty, so nothing was compared");
    }
    List<T> missing = new ArrayList<>();
    for (T e : expected) {
      if (actual.stream().noneMatch(a -> same.test(e, a))) {
        missing.add(e);
      }
    }
    List<T> unexpected = new ArrayList<>();
    for (T a : actual) {
      if (expected.stream().noneMatch(e -> same.test(e, a))) {
        unexpected.add(a);
      }
    }
    if (missing.isEmpty() && unexpected.isEmpty() && expected.size() == actual.size()) {
      return;
    }
    fail(
        String.format(
            "%s: expected %d rows, got %d; %d missing %s; %d unexpected %s",
            what,
            expected.size(),
            actual.size(),
            missing.size(),
            missing.subList(0, Math.min(SHOWN, missing.size())),
            unexpected.size(),
            unexpected.subList(0, Math.min(SHOWN, unexpected.size()))));
  }
}
