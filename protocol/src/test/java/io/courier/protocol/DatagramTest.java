package io.courier.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class DatagramTest {

    private static final byte[] TOKEN = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

    @Test
    void aPublishDatagramReadsBackWithItsDelivery() {
        byte[] topic = Delivery.stringField("game.pos");
        byte[] payload = "{\"x\":1}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(Datagram.PUB_HEAD_BYTES
                + (int) Delivery.size(topic, Delivery.EMPTY_FIELD, Delivery.EMPTY_FIELD, payload.length));
        Datagram.putPublishHead(out, TOKEN, 0xFFFF_FFFE);
        Delivery.write(out, topic, Delivery.EMPTY_FIELD, Delivery.EMPTY_FIELD, payload);
        byte[] d = out.array();

        Datagram reader = new Datagram();
        assertThat(reader.read(d, 0, d.length)).isEqualTo(Datagram.Kind.PUB);
        assertThat(reader.seq()).isEqualTo(0xFFFF_FFFE);
        assertThat(Datagram.tokenEquals(d, reader.tokenOffset(), TOKEN)).isTrue();
        assertThat(Datagram.tokenKey(d, reader.tokenOffset())).isEqualTo(Datagram.tokenKey(TOKEN, 0));
        Delivery delivery = new Delivery();
        assertThat(delivery.read(d, reader.deliveryFrom(), reader.deliveryTo())).isEqualTo(Delivery.Layout.OK);
        assertThat(delivery.topic()).isEqualTo("game.pos");
        assertThat(delivery.payload()).isEqualTo(payload);
    }

    @Test
    void helloAndMessageHeadsReadBack() {
        byte[] hello = Datagram.hello(TOKEN);
        Datagram reader = new Datagram();
        assertThat(reader.read(hello, 0, hello.length)).isEqualTo(Datagram.Kind.HELLO);
        assertThat(reader.read(hello, 0, hello.length - 1)).isEqualTo(Datagram.Kind.MALFORMED);
        ByteBuffer msg = ByteBuffer.allocate(Datagram.MSG_HEAD_BYTES);
        Datagram.putMessageHead(msg, 7, 42);
        assertThat(reader.read(msg.array(), 0, msg.capacity())).isEqualTo(Datagram.Kind.MSG);
        assertThat(reader.sid()).isEqualTo(7);
        assertThat(reader.seq()).isEqualTo(42);
        assertThat(reader.deliveryFrom()).isEqualTo(reader.deliveryTo());
    }

    @Test
    void aMillionRandomAndMutatedDatagramsNeverThrow() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        Datagram reader = new Datagram();
        Delivery delivery = new Delivery();
        byte[] d = new byte[1500];
        int kinds = 0;
        for (int i = 0; i < 1_000_000; i++) {
            int length = random.nextInt(d.length + 1);
            random.nextBytes(d);
            if (length > 0 && random.nextBoolean()) {
                d[0] = (byte) (1 + random.nextInt(3));
            }
            Datagram.Kind kind = reader.read(d, 0, length);
            if (kind == Datagram.Kind.PUB || kind == Datagram.Kind.MSG) {
                kinds++;
                assertThat(reader.deliveryFrom()).as("seed " + seed).isLessThanOrEqualTo(reader.deliveryTo());
                delivery.read(d, reader.deliveryFrom(), reader.deliveryTo());
            } else if (kind == Datagram.Kind.HELLO) {
                Datagram.tokenKey(d, reader.tokenOffset());
            } else {
                assertThat(reader.problem()).isNotEmpty();
            }
        }
        assertThat(kinds).as("the deeper checks ran").isGreaterThan(100_000);
    }
}
