package io.beamsuite.pipelines.sensors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@link SensorsOptions} defaults, flag names and {@link SensorsPipeline#validate}. */
@RunWith(JUnit4.class)
public class SensorsOptionsTest {
  @Test
  public void defaults() {
    SensorsOptions o = PipelineOptionsFactory.fromArgs().as(SensorsOptions.class);
    assertEquals("sensor-readings", o.getReadingsTopic());
    assertEquals(5, o.getWindowMinutes());
    assertEquals(1, o.getPeriodMinutes());
    assertEquals(3.0, o.getzThreshold(), 0.0);
    SensorsPipeline.validate(o);
  }

  @Test
  public void flags() {
    SensorsOptions o =
        options("--readingsTopic=r", "--windowMinutes=10", "--periodMinutes=2", "--zThreshold=2.5");
    assertEquals("r", o.getReadingsTopic());
    assertEquals(10, o.getWindowMinutes());
    assertEquals(2, o.getPeriodMinutes());
    assertEquals(2.5, o.getzThreshold(), 0.0);
    SensorsPipeline.validate(o);
  }

  @Test
  public void rejectsBadValuesNamingTheOption() {
    assertMessage("--periodMinutes: must divide --windowMinutes (5), got 2", "--periodMinutes=2");
    assertMessage("--periodMinutes: must divide --windowMinutes (5), got 10", "--periodMinutes=10");
    assertMessage("--periodMinutes: must be >= 1, got 0", "--periodMinutes=0");
    assertMessage("--windowMinutes: must be >= 1, got 0", "--windowMinutes=0");
    assertMessage("--zThreshold: must be a number > 0, got 0.0", "--zThreshold=0");
    assertMessage("--zThreshold: must be a number > 0, got NaN", "--zThreshold=NaN");
    assertMessage("--readingsTopic: must not be empty", "--readingsTopic= ");
  }

  private static SensorsOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(SensorsOptions.class);
  }

  private static void assertMessage(String message, String... args) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SensorsPipeline.validate(options(args)));
    assertEquals(message, e.getMessage());
  }
}
