package io.courier.bench;

import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.Pong;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * An idle Courier connection (docs/protocol.md): CONNECT asking for the run's heartbeat interval, CONNECTED, then
 * a PONG for every PING the broker sends while the link is idle. The client sends no heartbeats of its own.
 */
final class IdleCourierLink extends IdleLink {

    /** Only small control frames are expected. */
    private static final int MAX_FRAME = 64 * 1024;
    private static final ByteBuffer PONG = ByteBuffer.wrap(FrameCodec.encode(Pong.INSTANCE)).asReadOnlyBuffer();

    private final int heartbeatMillis;
    private final FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
    private final Consumer<Frame> onFrame = this::onFrame;

    IdleCourierLink(int index, Duration heartbeat) {
        super(index);
        this.heartbeatMillis = (int) Math.min(Integer.MAX_VALUE, heartbeat.toMillis());
    }

    @Override
    void onConnected(long nowNanos) {
        Connect connect = new Connect(FrameCodec.VERSION, "idle-" + index, "courier-bench", "", "",
                heartbeatMillis, false);
        send(ByteBuffer.wrap(FrameCodec.encode(connect)));
    }

    @Override
    void onBytes(ByteBuffer in, long nowNanos) {
        FrameCodec.Decoded.Failure failure = decoder.decode(in, onFrame);
        if (failure != null) {
            fail("undecodable frame from the broker: " + failure.code() + " " + failure.reason());
        }
    }

    private void onFrame(Frame frame) {
        switch (frame.type()) {
            case CONNECTED -> handshakeDone();
            case PING -> {
                send(PONG);
                serverPingsAnswered++;
            }
            case PONG -> clientPingsAnswered++;
            case ERR -> {
                Err err = (Err) frame;
                if (err.code().fatal()) {
                    fail("ERR " + err.code() + ": " + err.reason());
                }
            }
            case CONNECT, PUB, SUB, UNSUB, MSG -> fail("unexpected " + frame.type() + " from the broker");
        }
    }
}
