package io.beamsuite.transforms.json;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A page event with a Beam schema and no null checks of its own, for the {@link ParseJson} tests
 * that rely on the schema registry for the output coder. Its required fields are non-nullable in
 * the schema, so a null that slipped through parsing would fail the pipeline at encoding time.
 */
@DefaultSchema(JavaFieldSchema.class)
public final class TestPage {
  public final String pageId;
  public final String title;
  public final @Nullable String section;

  @JsonCreator
  @SchemaCreate
  public TestPage(
      @JsonProperty(value = "page_id", required = true) String pageId,
      @JsonProperty(value = "title", required = true) String title,
      @JsonProperty("section") @Nullable String section) {
    this.pageId = pageId;
    this.title = title;
    this.section = section;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof TestPage)) {
      return false;
    }
    TestPage that = (TestPage) o;
    return Objects.equals(pageId, that.pageId)
        && Objects.equals(title, that.title)
        && Objects.equals(section, that.section);
  }

  @Override
  public int hashCode() {
    return Objects.hash(pageId, title, section);
  }

  @Override
  public String toString() {
    return "TestPage{" + pageId + ", " + title + ", " + section + "}";
  }
}
