package io.beamsuite.pipelines.options;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A parsed {@code --source} value: {@code kafka} or {@code file:<glob>}.
 *
 * <pre>{@code
 * SourceSpec spec = SourceSpec.parse("file:/data/master/clicks/**.jsonl");
 * spec.isFile();    // true
 * spec.fileGlob();  // "/data/master/clicks/**.jsonl"
 * }</pre>
 */
public final class SourceSpec {
  private static final String FILE_PREFIX = "file:";

  private final @Nullable String fileGlob;

  private SourceSpec(@Nullable String fileGlob) {
    this.fileGlob = fileGlob;
  }

  /**
   * Parses {@code kafka} or {@code file:<glob>}; anything else is rejected with a clear message.
   */
  public static SourceSpec parse(@Nullable String value) {
    if ("kafka".equals(value)) {
      return new SourceSpec(null);
    }
    if (value != null && value.startsWith(FILE_PREFIX) && value.length() > FILE_PREFIX.length()) {
      return new SourceSpec(value.substring(FILE_PREFIX.length()));
    }
    throw new IllegalArgumentException(
        "--source: expected 'kafka' or 'file:<glob>', got '" + value + "'");
  }

  /** The files {@code glob} matches, as {@code file:<glob>} names them. */
  public static SourceSpec files(String glob) {
    if (glob == null || glob.isEmpty()) {
      throw new IllegalArgumentException("glob must not be empty");
    }
    return new SourceSpec(glob);
  }

  public boolean isFile() {
    return fileGlob != null;
  }

  /** The glob of a file source. */
  public String fileGlob() {
    if (fileGlob == null) {
      throw new IllegalStateException("not a file source");
    }
    return fileGlob;
  }
}
