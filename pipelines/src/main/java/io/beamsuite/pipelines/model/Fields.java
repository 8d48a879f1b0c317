package io.beamsuite.pipelines.model;

import org.checkerframework.checker.nullness.qual.Nullable;

/** Domain checks of event fields; a refusal becomes an {@code invalid_value} dead letter. */
final class Fields {
  private Fields() {}

  static void requireNonBlank(String field, @Nullable String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank");
    }
  }
}
