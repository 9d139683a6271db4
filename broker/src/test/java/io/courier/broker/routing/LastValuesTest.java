package io.courier.broker.routing;

import io.courier.broker.UdpStats;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LastValuesTest {

    @Test
    void keepsTheLastValueOfMatchingTopicsOnlyInTopicOrder() {
        LastValues values = new LastValues(List.of("game.>"), 100, 1 << 20, new UdpStats());
        values.offer("game.b", ByteString.fromString("1"));
        values.offer("game.a", ByteString.fromString("2"));
        values.offer("game.b", ByteString.fromString("3"));
        values.offer("chat.x", ByteString.fromString("not kept"));
        assertThat(values.matching("game.*")).extracting(Map.Entry::getKey).containsExactly("game.a", "game.b");
        assertThat(values.matching("game.*")).extracting(e -> e.getValue().utf8String()).containsExactly("2", "3");
        assertThat(values.matching("chat.>")).isEmpty();
        assertThat(values.size()).isEqualTo(2);
        assertThat(values.bytes()).isEqualTo(2);
    }

    @Test
    void aCopyIsKeptSoTheReadItCameInIsNotPinned() {
        LastValues values = new LastValues(List.of(">"), 100, 1 << 20, new UdpStats());
        byte[] read = new byte[64 * 1024];
        values.offer("t", ByteString.fromArrayUnsafe(read, 100, 10));
        ByteString kept = values.matching(">").get(0).getValue();
        assertThat(kept.size()).isEqualTo(10);
        read[100] = 42;
        assertThat(kept.apply(0)).isEqualTo((byte) 0);
    }

    @Test
    void topicsAndBytesAreBudgeted() {
        UdpStats stats = new UdpStats();
        LastValues values = new LastValues(List.of(">"), 3, 100, stats);
        for (int i = 0; i < 5; i++) {
            values.offer("t" + i, ByteString.fromArrayUnsafe(new byte[10]));
        }
        assertThat(values.size()).isEqualTo(3);
        assertThat(stats.lastValuesRefused()).isEqualTo(2);
        values.offer("t0", ByteString.fromArrayUnsafe(new byte[90]));
        assertThat(values.bytes()).as("over the 100-byte budget: t0 keeps its old value").isEqualTo(30);
        values.offer("t0", ByteString.fromArrayUnsafe(new byte[80]));
        assertThat(values.bytes()).isEqualTo(100);
        assertThat(stats.lastValuesRefused()).isEqualTo(3);
    }
}
