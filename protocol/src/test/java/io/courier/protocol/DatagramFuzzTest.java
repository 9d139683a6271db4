package io.courier.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A mutational fuzzer of the UDP datagram parser ({@link Datagram#read}, then {@link Delivery#read} over its
 * delivery): a million inputs by default, mutants of valid HELLO, PUB and MSG datagrams and random bytes, each read
 * where it lies inside a larger buffer with junk around it. Nothing may be thrown, nothing outside the datagram may
 * be read (the verdict is the same as for a copy of just its bytes), every verdict is a kind or MALFORMED with a
 * problem, and a delivery is accepted exactly when the TCP codec accepts the same bytes as a PUB body.
 * {@code -Dfuzz.seed} and {@code -Dfuzz.count} override the fixed seed and the count.
 */
class DatagramFuzzTest {

    private static final int CORPUS_PER_KIND = 128;

    /** Everything one read found, positions relative to the datagram's start. */
    private record Verdict(Datagram.Kind kind, String problem, int token, int seq, int sid, int from, int to,
                           Delivery.Layout layout, String topic, String replyTo, Map<String, String> headers,
                           byte[] payload) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Verdict v && kind == v.kind && problem.equals(v.problem) && token == v.token
                    && seq == v.seq && sid == v.sid && from == v.from && to == v.to && layout == v.layout
                    && Objects.equals(topic, v.topic) && Objects.equals(replyTo, v.replyTo)
                    && Objects.equals(headers, v.headers) && Arrays.equals(payload, v.payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(kind, problem, seq, sid, from, to, layout);
        }
    }

    @Test
    void mutatedAndRandomDatagramsAreSortedWithoutThrowingOrReadingPastTheirEnd() {
        long seed = Fuzz.seed();
        int count = Fuzz.count();
        Random random = new Random(seed);
        Fuzz fuzz = new Fuzz(random);
        List<byte[]> corpus = corpus(new RandomFrames(random));
        Datagram reader = new Datagram();
        Delivery delivery = new Delivery();
        Map<Datagram.Kind, Integer> kinds = new EnumMap<>(Datagram.Kind.class);
        Map<Delivery.Layout, Integer> layouts = new EnumMap<>(Delivery.Layout.class);
        for (int i = 0; i < count; i++) {
            byte[] input = random.nextInt(16) == 0 ? fuzz.randomBytes()
                    : fuzz.mutate(corpus.get(random.nextInt(corpus.size())),
                            corpus.get(random.nextInt(corpus.size())), -1);
            int before = random.nextInt(8) == 0 ? 0 : random.nextInt(64);
            byte[] embedded = new byte[before + input.length + random.nextInt(64)];
            random.nextBytes(embedded);
            System.arraycopy(input, 0, embedded, before, input.length);
            Verdict alone;
            Verdict inside;
            try {
                alone = read(reader, delivery, input, 0, input.length);
                inside = read(reader, delivery, embedded, before, input.length);
            } catch (Throwable t) {
                throw new AssertionError("reading threw " + t + "; " + Fuzz.reproduce(seed, i, input), t);
            }
            if (!alone.equals(inside)) {
                fail("the verdict depends on bytes outside the datagram; " + Fuzz.reproduce(seed, i, input)
                        + "\nalone:  " + alone + "\ninside: " + inside);
            }
            String problem = check(alone, input);
            if (problem != null) {
                fail(problem + "; " + Fuzz.reproduce(seed, i, input) + "\n" + alone);
            }
            kinds.merge(alone.kind, 1, Integer::sum);
            if (alone.layout != null) {
                layouts.merge(alone.layout, 1, Integer::sum);
            }
        }
        System.out.printf("datagram fuzz: fuzz.seed=%d inputs=%d kinds=%s deliveries=%s%n", seed, count, kinds,
                layouts);
        if (count >= 100_000) {
            assertThat(kinds).as("the mutants reach every verdict").containsOnlyKeys(Datagram.Kind.values());
            assertThat(layouts).as("and every delivery verdict").containsOnlyKeys(Delivery.Layout.values());
        }
    }

    /** Reads the datagram at {@code data[offset, offset + length)} and, for PUB and MSG, its delivery. */
    private static Verdict read(Datagram reader, Delivery delivery, byte[] data, int offset, int length) {
        Datagram.Kind kind = reader.read(data, offset, length);
        if (kind == Datagram.Kind.MALFORMED) {
            return new Verdict(kind, reader.problem(), 0, 0, 0, 0, 0, null, null, null, null, null);
        }
        int token = kind == Datagram.Kind.MSG ? -1 : reader.tokenOffset() - offset;
        if (kind == Datagram.Kind.HELLO) {
            return new Verdict(kind, "", token, 0, 0, 0, 0, null, null, null, null, null);
        }
        int sid = kind == Datagram.Kind.MSG ? reader.sid() : 0;
        Delivery.Layout layout = delivery.read(data, reader.deliveryFrom(), reader.deliveryTo());
        if (layout != Delivery.Layout.OK) {
            delivery.reason(layout);
            return new Verdict(kind, "", token, reader.seq(), sid, reader.deliveryFrom() - offset,
                    reader.deliveryTo() - offset, layout, null, null, null, null);
        }
        return new Verdict(kind, "", token, reader.seq(), sid, reader.deliveryFrom() - offset,
                reader.deliveryTo() - offset, layout, delivery.topic(), delivery.replyTo(), delivery.headers(),
                delivery.payload());
    }

    /** What is wrong with a verdict on {@code input} by the layout in {@link Datagram}'s comment, or null. */
    private static String check(Verdict v, byte[] input) {
        int code = input.length == 0 ? -1 : input[0] & 0xFF;
        switch (v.kind) {
            case MALFORMED:
                if (v.problem.isEmpty()) {
                    return "MALFORMED without a problem";
                }
                boolean wellFormedHead = code == 1 && input.length == Datagram.HELLO_BYTES
                        || code == 2 && input.length >= Datagram.PUB_HEAD_BYTES
                        || code == 3 && input.length >= Datagram.MSG_HEAD_BYTES;
                return wellFormedHead ? "a well-formed head was called MALFORMED" : null;
            case HELLO:
                return code == 1 && input.length == Datagram.HELLO_BYTES && v.token == 1 ? null : "not a HELLO";
            case PUB:
                if (code != 2 || v.token != 1 || v.from != Datagram.PUB_HEAD_BYTES || v.to != input.length
                        || v.seq != ByteBuffer.wrap(input, 1 + Datagram.TOKEN_BYTES, 4).getInt()) {
                    return "PUB fields misplaced";
                }
                return sameAsTcp(v, input);
            case MSG:
                if (code != 3 || v.from != Datagram.MSG_HEAD_BYTES || v.to != input.length
                        || v.sid != ByteBuffer.wrap(input, 1, 4).getInt() || v.seq != ByteBuffer.wrap(input, 5, 4).getInt()) {
                    return "MSG fields misplaced";
                }
                return sameAsTcp(v, input);
            default:
                return "unknown kind " + v.kind;
        }
    }

    /** A datagram's delivery is accepted exactly when the TCP codec accepts the same bytes as a PUB body. */
    private static String sameAsTcp(Verdict v, byte[] input) {
        ByteBuffer pub = ByteBuffer.allocate(1 + v.to - v.from);
        pub.put((byte) FrameType.PUB.code()).put(input, v.from, v.to - v.from).flip();
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(pub);
        if (v.layout == Delivery.Layout.OK) {
            if (decoded instanceof FrameCodec.Decoded.Success s && s.frame() instanceof Publish p
                    && p.topic().equals(v.topic) && p.replyTo().equals(v.replyTo) && p.headers().equals(v.headers)
                    && Arrays.equals(p.payload(), v.payload)) {
                return null;
            }
            return "the delivery reads " + v.layout + " but as a PUB " + decoded;
        }
        return decoded instanceof FrameCodec.Decoded.Failure f && f.code() == ErrorCode.MALFORMED_FRAME ? null
                : "the delivery reads " + v.layout + " but as a PUB " + decoded;
    }

    /** Valid datagrams: HELLOs, and PUBs and MSGs with random deliveries small enough for one datagram. */
    private static List<byte[]> corpus(RandomFrames frames) {
        Random random = frames.random();
        List<byte[]> corpus = new ArrayList<>();
        for (int n = 0; n < CORPUS_PER_KIND; n++) {
            byte[] token = new byte[Datagram.TOKEN_BYTES];
            random.nextBytes(token);
            corpus.add(Datagram.hello(token));
            corpus.add(datagram(frames, token, true));
            corpus.add(datagram(frames, token, false));
        }
        return corpus;
    }

    private static byte[] datagram(RandomFrames frames, byte[] token, boolean publish) {
        while (true) {
            Publish p = new Publish(frames.string(), frames.string(), frames.headers(), frames.payload());
            byte[] topic = Delivery.stringField(p.topic());
            byte[] reply = Delivery.stringField(p.replyTo());
            byte[] headers = Delivery.headerBlock(p.headers());
            long size = (publish ? Datagram.PUB_HEAD_BYTES : Datagram.MSG_HEAD_BYTES)
                    + Delivery.size(topic, reply, headers, p.payload().length);
            if (size > Datagram.DEFAULT_MAX_BYTES) {
                continue;
            }
            ByteBuffer out = ByteBuffer.allocate((int) size);
            if (publish) {
                Datagram.putPublishHead(out, token, frames.anyInt());
            } else {
                Datagram.putMessageHead(out, frames.anyInt(), frames.anyInt());
            }
            Delivery.write(out, topic, reply, headers, p.payload());
            return out.array();
        }
    }
}
