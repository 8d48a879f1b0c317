package io.beamsuite.pipelines.options;

/**
 * The delivery guarantee of Kafka outputs ({@code --guarantee}). Postgres outputs are idempotent
 * upserts either way.
 *
 * <pre>{@code
 * if (OptionsValidation.validate(options).guarantee() == Guarantee.EXACTLY_ONCE) { ... }
 * }</pre>
 */
public enum Guarantee {
  AT_LEAST_ONCE("at-least-once"),
  EXACTLY_ONCE("exactly-once");

  private final String optionValue;

  Guarantee(String optionValue) {
    this.optionValue = optionValue;
  }

  /** Parses the option value; anything else is an {@link IllegalArgumentException}. */
  public static Guarantee parse(String value) {
    for (Guarantee g : values()) {
      if (g.optionValue.equals(value)) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "--guarantee: expected at-least-once or exactly-once, got '" + value + "'");
  }
}
