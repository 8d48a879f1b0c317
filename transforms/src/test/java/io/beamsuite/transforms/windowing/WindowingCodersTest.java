package io.beamsuite.transforms.windowing;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.transforms.windowing.PaneInfo.Timing;
import org.joda.time.Instant;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The explicit coders of the windowing package round-trip and are deterministic. */
@RunWith(JUnit4.class)
public class WindowingCodersTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant END = Instant.parse("2026-01-01T00:01:00Z");

  @Test
  public void windowResultCoder() throws Exception {
    for (Timing timing : new Timing[] {Timing.EARLY, Timing.ON_TIME, Timing.LATE}) {
      CoderProperties.coderDecodeEncodeEqual(
          WindowResult.coder(StringUtf8Coder.of(), VarLongCoder.of()),
          WindowResult.of("home", START, END, timing, 3L, 42L));
    }
    CoderProperties.coderDeterministic(
        WindowResult.coder(StringUtf8Coder.of(), VarLongCoder.of()),
        WindowResult.of("home", START, END, Timing.ON_TIME, 0L, 1L),
        WindowResult.of("home", START, END, Timing.ON_TIME, 0L, 1L));
    WindowResult.coder(StringUtf8Coder.of(), VarLongCoder.of()).verifyDeterministic();
  }

  @Test
  public void lateRecordCoder() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(
        LateRecord.coder(StringUtf8Coder.of()),
        LateRecord.of("a:1", START, START, END, END.plus(5), "window closed"));
    LateRecord.coder(StringUtf8Coder.of()).verifyDeterministic();
  }

  @Test
  public void keyHeadStateCoderKeepsEveryField() throws Exception {
    KeyHead<List<String>> head = new KeyHead<>();
    WindowPart<List<String>> fired = new WindowPart<>(-60_000L, 0L, new ArrayList<>(List.of("x")));
    fired.nextPaneIndex = 2;
    fired.onTimeFired = true;
    fired.heldBeforeEnd = true;
    WindowPart<List<String>> open = new WindowPart<>(0L, 60_000L, new ArrayList<>());
    open.dirty = true;
    head.hot.add(fired);
    head.hot.add(open);
    head.firedUpTo = -5L;
    head.frontier = 0L;
    head.timerTarget = 59_999L;
    head.earlyTimerPending = true;
    head.parkedParts = 3;
    head.parkedDeadline = -1L;

    KeyHead<List<String>> decoded =
        org.apache.beam.sdk.util.CoderUtils.clone(
            new KeyHead.HeadCoder<>(ListCoder.of(StringUtf8Coder.of())), head);

    assertEquals(2, decoded.hot.size());
    assertEquals(-60_000L, decoded.hot.get(0).start);
    assertEquals(0L, decoded.hot.get(0).end);
    assertEquals(List.of("x"), decoded.hot.get(0).accumulator);
    assertEquals(2, decoded.hot.get(0).nextPaneIndex);
    assertEquals(true, decoded.hot.get(0).onTimeFired);
    assertEquals(true, decoded.hot.get(0).heldBeforeEnd);
    assertEquals(false, decoded.hot.get(0).dirty);
    assertEquals(true, decoded.hot.get(1).dirty);
    assertEquals(false, decoded.hot.get(1).onTimeFired);
    assertEquals(-5L, decoded.firedUpTo);
    assertEquals(0L, decoded.frontier);
    assertEquals(59_999L, decoded.timerTarget);
    assertEquals(true, decoded.earlyTimerPending);
    assertEquals(3, decoded.parkedParts);
    assertEquals(-1L, decoded.parkedDeadline);
  }
}
