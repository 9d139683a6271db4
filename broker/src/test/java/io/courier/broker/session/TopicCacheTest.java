package io.courier.broker.session;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class TopicCacheTest {

    @Test
    void findsARememberedTopicByItsBytesAnywhereInAFrame() {
        TopicCache cache = new TopicCache();
        byte[] first = "xxorders.eu".getBytes(StandardCharsets.UTF_8);
        assertThat(cache.find(first, 2, 9)).isNull();
        String topic = "orders.eu";
        cache.remember(first, 2, 9, topic);
        byte[] later = "orders.eu!".getBytes(StandardCharsets.UTF_8);
        assertThat(cache.find(later, 0, 9)).isSameAs(topic);
        assertThat(cache.find(later, 0, 8)).isNull();
        assertThat(cache.find("orders.us".getBytes(StandardCharsets.UTF_8), 0, 9)).isNull();
    }

    @Test
    void neverAnswersWithAnotherTopicWhenManyShareTheSlots() {
        TopicCache cache = new TopicCache();
        for (int i = 0; i < 5000; i++) {
            String topic = "t." + i;
            byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
            String found = cache.find(bytes, 0, bytes.length);
            assertThat(found == null || found.equals(topic)).isTrue();
            cache.remember(bytes, 0, bytes.length, topic);
            assertThat(cache.find(bytes, 0, bytes.length)).isEqualTo(topic);
        }
        for (int i = 0; i < 5000; i++) {
            byte[] bytes = ("t." + i).getBytes(StandardCharsets.UTF_8);
            String found = cache.find(bytes, 0, bytes.length);
            assertThat(found == null || found.equals("t." + i)).isTrue();
        }
    }
}
