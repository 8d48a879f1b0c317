package io.beamsuite.transforms.results;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

@RunWith(JUnit4.class)
public class TaggedOutputsTest {
  private static final class TwoOutputs extends TaggedOutputs {
    private final PCollection<String> first;

    TwoOutputs(Pipeline pipeline, TupleTag<String> a, TupleTag<String> b, PCollection<String> c) {
      super(pipeline);
      this.first = output(a, c);
      output(b, c);
    }
  }

  @Test
  public void expandListsTheOutputsInRegistrationOrderUnderTheirTags() {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<String> words = pipeline.apply(Create.of("a"));
    TupleTag<String> second = new TupleTag<>("second");
    TupleTag<String> first = new TupleTag<>("first");

    TwoOutputs outputs = new TwoOutputs(pipeline, second, first, words);

    assertSame(pipeline, outputs.getPipeline());
    assertSame(words, outputs.first);
    assertEquals(List.of(second, first), List.copyOf(outputs.expand().keySet()));
  }

  @Test
  public void aTagRegisteredTwiceIsRefused() {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<String> words = pipeline.apply(Create.of("a"));
    TupleTag<String> tag = new TupleTag<>("same");

    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class, () -> new TwoOutputs(pipeline, tag, tag, words));
    assertEquals("output tag same registered twice", refused.getMessage());
  }
}
