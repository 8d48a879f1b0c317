package io.beamsuite.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the time goes: runs a side once under a JDK Flight Recorder recording of {@code
 * jdk.ExecutionSample} (every 10 ms per running Java thread) and summarizes the samples by layer
 * (the package of the top-most frame outside the JDK) and by top frame (method).
 *
 * <pre>{@code
 * Profiles.Summary s = Profiles.sample(() -> runBeam());
 * results.profile("Beam on Flink, revenue", s);
 * }</pre>
 */
public final class Profiles {
  private Profiles() {}

  /** Sample counts by layer and by top frame (most frequent first). */
  public static final class Summary {
    final long samples;
    final Map<String, Long> layers;
    final Map<String, Long> topFrames;

    Summary(long samples, Map<String, Long> layers, Map<String, Long> topFrames) {
      this.samples = samples;
      this.layers = layers;
      this.topFrames = topFrames;
    }
  }

  /** Runs {@code side} once while sampling every Java thread. */
  public static Summary sample(Trials.Side side) throws Exception {
    Path file = Files.createTempFile("bench-profile", ".jfr");
    try (Recording recording = new Recording()) {
      recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
      recording.start();
      side.run();
      recording.stop();
      recording.dump(file);
    }
    Map<String, Long> layers = new HashMap<>();
    Map<String, Long> frames = new HashMap<>();
    long samples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
      if (event.getStackTrace() == null) {
        continue;
      }
      List<RecordedFrame> stack = event.getStackTrace().getFrames();
      if (stack.isEmpty()) {
        continue;
      }
      samples++;
      RecordedFrame top = stack.get(0);
      frames.merge(methodName(top), 1L, Long::sum);
      layers.merge(layer(stack), 1L, Long::sum);
    }
    Files.deleteIfExists(file);
    return new Summary(samples, top(layers, 6), top(frames, 6));
  }

  private static String methodName(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  // The first frame (from the top) outside java.*/jdk.*/sun.*, grouped by library.
  private static String layer(List<RecordedFrame> stack) {
    for (RecordedFrame frame : stack) {
      String type = frame.getMethod().getType().getName();
      if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")) {
        continue;
      }
      if (type.startsWith("org.apache.beam.sdk.coders")
          || type.startsWith("org.apache.beam.sdk.schemas")) {
        return "Beam coders / schemas";
      }
      if (type.startsWith("org.apache.beam.runners.flink")) {
        return "Beam Flink runner";
      }
      if (type.startsWith("org.apache.beam.runners.core")) {
        return "Beam runners-core (DoFn runner, state, timers)";
      }
      if (type.startsWith("org.apache.beam")) {
        return "Beam SDK";
      }
      if (type.startsWith("org.apache.flink")) {
        return "Flink runtime";
      }
      if (type.startsWith("com.fasterxml.jackson")) {
        return "Jackson (JSON parse)";
      }
      if (type.startsWith("io.beamsuite")) {
        return "beamsuite code";
      }
      return type.contains(".") ? type.substring(0, type.lastIndexOf('.')) : type;
    }
    return "JDK only (" + methodName(stack.get(0)) + ")";
  }

  private static Map<String, Long> top(Map<String, Long> counts, int n) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(n)
        .collect(
            Collectors.toMap(
                Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
  }
}
