package io.beamsuite.transforms.json;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A click event for the {@link ParseJson} tests: required fields on a Jackson creator, one optional
 * field, a {@code java.time.Instant} and a {@code long} to exercise wrong types, and a constructor
 * that refuses a blank user.
 *
 * <p>Beam schemas cannot infer {@code java.time.Instant}, so the class comes with an explicit
 * deterministic {@link Coder} ({@link #CODER}) that tests pass to {@code withCoder}.
 */
final class TestClick {
  static final Coder<TestClick> CODER = new TestClickCoder();

  final String eventId;
  final String userId;
  final String page;
  final @Nullable String referrer;
  final Instant eventTime;
  final long durationMs;

  @JsonCreator
  TestClick(
      @JsonProperty(value = "event_id", required = true) String eventId,
      @JsonProperty(value = "user_id", required = true) String userId,
      @JsonProperty(value = "page", required = true) String page,
      @JsonProperty("referrer") @Nullable String referrer,
      @JsonProperty(value = "event_time", required = true) Instant eventTime,
      @JsonProperty(value = "duration_ms", required = true) long durationMs) {
    // No null checks on purpose: keeping nulls out of required fields is ParseJson's job.
    if (userId != null && userId.isBlank()) {
      throw new IllegalArgumentException("user_id must not be blank");
    }
    this.eventId = eventId;
    this.userId = userId;
    this.page = page;
    this.referrer = referrer;
    this.eventTime = eventTime;
    this.durationMs = durationMs;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TestClick)) {
      return false;
    }
    TestClick that = (TestClick) o;
    return durationMs == that.durationMs
        && eventId.equals(that.eventId)
        && userId.equals(that.userId)
        && page.equals(that.page)
        && Objects.equals(referrer, that.referrer)
        && eventTime.equals(that.eventTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(eventId, userId, page, referrer, eventTime, durationMs);
  }

  @Override
  public String toString() {
    return "TestClick{eventId="
        + eventId
        + ", userId="
        + userId
        + ", page="
        + page
        + ", referrer="
        + referrer
        + ", eventTime="
        + eventTime
        + ", durationMs="
        + durationMs
        + "}";
  }

  /** Field-by-field encoding; every component coder is deterministic, so this one is too. */
  private static final class TestClickCoder extends CustomCoder<TestClick> {
    private static final Coder<String> STRING = StringUtf8Coder.of();
    private static final Coder<String> NULLABLE_STRING = NullableCoder.of(StringUtf8Coder.of());
    private static final Coder<Long> LONG = VarLongCoder.of();
    private static final Coder<Integer> INT = VarIntCoder.of();

    @Override
    public void encode(TestClick value, OutputStream out) throws IOException {
      STRING.encode(value.eventId, out);
      STRING.encode(value.userId, out);
      STRING.encode(value.page, out);
      NULLABLE_STRING.encode(value.referrer, out);
      LONG.encode(value.eventTime.getEpochSecond(), out);
      INT.encode(value.eventTime.getNano(), out);
      LONG.encode(value.durationMs, out);
    }

    @Override
    public TestClick decode(InputStream in) throws IOException {
      String eventId = STRING.decode(in);
      String userId = STRING.decode(in);
      String page = STRING.decode(in);
      String referrer = NULLABLE_STRING.decode(in);
      Instant eventTime = Instant.ofEpochSecond(LONG.decode(in), INT.decode(in));
      long durationMs = LONG.decode(in);
      return new TestClick(eventId, userId, page, referrer, eventTime, durationMs);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
