package io.beamsuite.transforms.windowing;

import static org.junit.Assert.assertEquals;

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
  public void keyWindowsStateCoderKeepsEveryField() throws Exception {
    KeyWindows<List<String>> state = new KeyWindows<>();
    KeyWindows.OpenWindow<List<String>> open =
        state.getOrCreate(-60_000L, 0L, new CollectIds());
    open.accumulator.add("x");
    open.nextPaneIndex = 2;
    open.onTimeFired = true;
    state.getOrCreate(0L, 60_000L, new CollectIds()).dirty = true;
    state.eventTimerTarget = 59_999L;
    state.earlyTimerPending = true;
    state.watermarkLowerBound = -5L;

    KeyWindows.KeyWindowsCoder<List<String>> coder =
        new KeyWindows.KeyWindowsCoder<>(ListCoder.of(StringUtf8Coder.of()));
    KeyWindows<List<String>> decoded =
        org.apache.beam.sdk.util.CoderUtils.clone(coder, state);

    assertEquals(2, decoded.windows.size());
    assertEquals(-60_000L, decoded.windows.get(0).start);
    assertEquals(List.of("x"), decoded.windows.get(0).accumulator);
    assertEquals(2, decoded.windows.get(0).nextPaneIndex);
    assertEquals(true, decoded.windows.get(0).onTimeFired);
    assertEquals(false, decoded.windows.get(0).dirty);
    assertEquals(true, decoded.windows.get(1).dirty);
    assertEquals(59_999L, decoded.eventTimerTarget);
    assertEquals(true, decoded.earlyTimerPending);
    assertEquals(-5L, decoded.watermarkLowerBound);
  }
}
