package io.courier.bench.jmh;

import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.Message;
import io.courier.protocol.Publish;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Encode and decode cost of the hot-path frames, PUB and MSG, through {@link FrameCodec} and {@link FrameDecoder}.
 * One op is one frame; run with {@code -prof gc} to read {@code gc.alloc.rate.norm} as bytes allocated per frame.
 *
 * <p>Frames are built once in {@link #setUp}; only the codec call is measured. Every result reaches JMH (returned
 * or sunk into a {@link Blackhole}), so nothing is dead code.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {

    static final String TOPIC = "orders.eu.created";
    static final String REPLY_TO = "_INBOX.k3J9xq2LmP0a.17";
    static final int SID = 42;
    /** Frames in the stream that {@link #decodeStream} cuts per invocation. */
    static final int STREAM_FRAMES = 64;

    @Param({"16", "128", "1024"})
    public int payloadSize;

    private Publish pub;
    private Publish pubWithReplyAndHeaders;
    private Message msg;
    private ByteBuffer encodeTarget;

    /** Each frame's type byte and body (length prefix skipped), reset before every decode. */
    private ByteBuffer pubBytes;
    private ByteBuffer pubWithReplyAndHeadersBytes;
    private ByteBuffer msgBytes;
    /** The PUB bytes through a read-only view, as the broker's Session decodes (Pekko's ByteString.asByteBuffer). */
    private ByteBuffer pubReadOnlyBytes;

    private ByteBuffer stream;
    private FrameDecoder decoder;
    private Consumer<Frame> sink;

    @Setup
    public void setUp(Blackhole blackhole) {
        byte[] payload = new byte[payloadSize];
        new Random(7).nextBytes(payload);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Trace-Id", "4bf92f3577b34da6a3ce929d0e0e4736");

        pub = new Publish(TOPIC, payload);
        pubWithReplyAndHeaders = new Publish(TOPIC, REPLY_TO, headers, payload);
        msg = new Message(SID, TOPIC, "", Map.of(), payload);
        encodeTarget = ByteBuffer.allocate(FrameCodec.encodedSize(pubWithReplyAndHeaders));

        pubBytes = frameBytes(pub);
        pubWithReplyAndHeadersBytes = frameBytes(pubWithReplyAndHeaders);
        msgBytes = frameBytes(msg);
        pubReadOnlyBytes = frameBytes(pub).asReadOnlyBuffer();

        byte[] one = FrameCodec.encode(pub);
        stream = ByteBuffer.allocate(one.length * STREAM_FRAMES);
        for (int i = 0; i < STREAM_FRAMES; i++) {
            stream.put(one);
        }
        decoder = new FrameDecoder(1 << 20);
        sink = blackhole::consume;
        checkRoundTrips();
    }

    /** A benchmark that measured a failed decode would look fast: make sure every input decodes to its frame. */
    private void checkRoundTrips() {
        expect(decodePub(), pub);
        expect(decodePubWithReplyAndHeaders(), pubWithReplyAndHeaders);
        expect(decodeMsg(), msg);
        expect(decodePubReadOnly(), pub);
        int[] frames = {0};
        FrameCodec.Decoded.Failure failure = new FrameDecoder(1 << 20).decode(stream.duplicate().clear(), f -> {
            if (!f.equals(pub)) {
                throw new IllegalStateException("stream decoded to " + f);
            }
            frames[0]++;
        });
        if (failure != null || frames[0] != STREAM_FRAMES) {
            throw new IllegalStateException("stream: " + frames[0] + " frames, failure " + failure);
        }
    }

    private static void expect(FrameCodec.Decoded decoded, Frame frame) {
        if (!(decoded instanceof FrameCodec.Decoded.Success s) || !s.frame().equals(frame)) {
            throw new IllegalStateException("expected " + frame + ", decoded " + decoded);
        }
    }

    private static ByteBuffer frameBytes(Frame frame) {
        return ByteBuffer.wrap(FrameCodec.encode(frame));
    }

    /** Skips the length prefix and makes the whole frame readable again. */
    private static ByteBuffer rewind(ByteBuffer frame) {
        frame.limit(frame.capacity()).position(FrameCodec.LENGTH_BYTES);
        return frame;
    }

    // ------------------------------------------------------------------ encoding

    /** {@code encode(Frame)}: sizes the frame and returns it in a new array (the array is part of the cost). */
    @Benchmark
    public byte[] encodePub() {
        return FrameCodec.encode(pub);
    }

    @Benchmark
    public byte[] encodePubWithReplyAndHeaders() {
        return FrameCodec.encode(pubWithReplyAndHeaders);
    }

    @Benchmark
    public byte[] encodeMsg() {
        return FrameCodec.encode(msg);
    }

    /** What a batching writer does: size the frame, then write it into a buffer it reuses. */
    @Benchmark
    public int encodePubIntoBuffer() {
        ByteBuffer out = encodeTarget.clear();
        int size = FrameCodec.encodedSize(pub);
        FrameCodec.encode(pub, out);
        return size + out.position();
    }

    // ------------------------------------------------------------------ decoding

    @Benchmark
    public FrameCodec.Decoded decodePub() {
        return FrameCodec.decodeFrame(rewind(pubBytes));
    }

    @Benchmark
    public FrameCodec.Decoded decodePubWithReplyAndHeaders() {
        return FrameCodec.decodeFrame(rewind(pubWithReplyAndHeadersBytes));
    }

    @Benchmark
    public FrameCodec.Decoded decodeMsg() {
        return FrameCodec.decodeFrame(rewind(msgBytes));
    }

    /** Same bytes as {@link #decodePub}, but the buffer has no accessible array, so strings are copied out first. */
    @Benchmark
    public FrameCodec.Decoded decodePubReadOnly() {
        return FrameCodec.decodeFrame(rewind(pubReadOnlyBytes));
    }

    /** {@link FrameDecoder} cutting a buffer of {@value #STREAM_FRAMES} whole PUB frames; reported per frame. */
    @Benchmark
    @OperationsPerInvocation(STREAM_FRAMES)
    public FrameCodec.Decoded.Failure decodeStream() {
        return decoder.decode(stream.clear(), sink);
    }
}
