package io.beamsuite.io.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import io.beamsuite.transforms.errors.DeadLetter;
import io.beamsuite.transforms.records.SourceCoordinates;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.joda.time.Instant;
import org.junit.Test;

/** The topic copy of a dead letter fits Kafka's default 1 MiB record limit. */
public class DeadLetterKafkaSinkTest {

  @Test
  public void anOversizedPayloadIsCutForTheTopicAndEverythingElseKept() {
    // Worst case for JSON size: control characters escape to six characters each.
    byte[] payload = new byte[(1 << 20) + 1024];
    Arrays.fill(payload, (byte) 1);
    DeadLetter letter =
        DeadLetter.builder()
            .setStage("parse-clicks")
            .setReason(DeadLetter.Reasons.PAYLOAD_TOO_LARGE)
            .setDetail("payload of 1049600 bytes exceeds 1048576")
            .setPayload(payload)
            .setFailedAt(new Instant(0))
            .setSource(SourceCoordinates.of("clicks", 0, 7))
            .build();

    DeadLetter copy = DeadLetterKafkaSink.forTopic(letter);
    String json = copy.toJson();
    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
    assertTrue("topic record of " + bytes + " bytes", bytes < 1 << 20);
    assertArrayEquals(
        Arrays.copyOf(payload, DeadLetterKafkaSink.MAX_TOPIC_PAYLOAD_BYTES), copy.getPayload());
    assertThat(copy.getDetail(), containsString("cut to its first 131072 of 1049600 bytes"));
    assertEquals(letter.getSource(), copy.getSource());
    assertEquals(letter.getReason(), copy.getReason());
    assertEquals(letter.getStage(), copy.getStage());

    DeadLetter small =
        DeadLetter.builder()
            .setStage("parse-clicks")
            .setReason(DeadLetter.Reasons.MALFORMED_JSON)
            .setPayload(new byte[] {'x'})
            .setFailedAt(new Instant(0))
            .build();
    assertSame(small, DeadLetterKafkaSink.forTopic(small));
  }
}
