package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The client's own PUB encoding against the protocol codec, the reference. */
class PublishEncoderTest {

    private static final String[] TOKENS = {"orders", "eu", "x", "Ünïcödé", "日本", "a-b_c", "_INBOX", "1"};

    @Test
    void writesExactlyWhatTheCodecWritesForRandomPublishes() {
        Random random = new Random(42);
        PublishEncoder encoder = new PublishEncoder();
        for (int run = 0; run < 2000; run++) {
            String topic = randomTopic(random);
            String replyTo = random.nextBoolean() ? "" : randomTopic(random);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = random.nextInt(3); i > 0; i--) {
                headers.put(TOKENS[random.nextInt(TOKENS.length)] + i, random.nextBoolean() ? "" : randomTopic(random));
            }
            byte[] payload = new byte[random.nextInt(300)];
            random.nextBytes(payload);

            byte[] topicField = encoder.topic(topic);
            byte[] replyField = replyTo.isEmpty() ? PublishEncoder.EMPTY_FIELD : encoder.topic(replyTo);
            byte[] headerBlock = PublishEncoder.headers(headers);
            int size = PublishEncoder.size(topicField, replyField, headerBlock, payload);
            ByteBuffer out = ByteBuffer.allocate(size);
            PublishEncoder.encode(out, size, topicField, replyField, headerBlock, payload);

            assertThat(out.remaining()).isZero();
            assertThat(out.array()).isEqualTo(FrameCodec.encode(new Publish(topic, replyTo, headers, payload)));
        }
    }

    @Test
    void cachedTopicIsTheSameBytesAndAnInvalidOneIsNeverCached() {
        PublishEncoder encoder = new PublishEncoder();
        byte[] first = encoder.topic("orders.eu");
        assertThat(encoder.topic(new String("orders.eu"))).isSameAs(first);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> encoder.topic("orders..eu"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty token");
            assertThatThrownBy(() -> encoder.topic("orders.*"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static String randomTopic(Random random) {
        StringBuilder topic = new StringBuilder(TOKENS[random.nextInt(TOKENS.length)]);
        for (int i = random.nextInt(4); i > 0; i--) {
            topic.append('.').append(TOKENS[random.nextInt(TOKENS.length)]);
        }
        return topic.toString();
    }
}
