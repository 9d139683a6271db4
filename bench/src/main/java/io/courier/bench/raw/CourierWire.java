package io.courier.bench.raw;

import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Courier's protocol (docs/protocol.md): every frame is encoded by {@link FrameCodec} and every inbound one is split
 * and decoded by a {@link FrameDecoder}, the encoder and decoder the broker and the client use.
 */
public final class CourierWire implements Wire {

    /** Largest frame accepted from the broker: a max-payload MSG with room to spare. */
    private static final int MAX_FRAME = 2 * 1024 * 1024;

    @Override
    public String system() {
        return "courier";
    }

    @Override
    public String topic(String dotted) {
        return dotted;
    }

    @Override
    public byte[] hello(String clientName) {
        // Heartbeat 0: the broker's default interval; the reader answers its PINGs.
        return FrameCodec.encode(new Connect(FrameCodec.VERSION, clientName, "courier-bench-raw", "", "", 0, false));
    }

    @Override
    public byte[] subscribe(String topic, int id) {
        return FrameCodec.encode(new Subscribe(id, topic, ""));
    }

    @Override
    public byte[] publish(String topic, byte[] payload) {
        return FrameCodec.encode(new Publish(topic, payload));
    }

    @Override
    public byte[] ping() {
        return FrameCodec.encode(Ping.INSTANCE);
    }

    @Override
    public byte[] pong() {
        return FrameCodec.encode(Pong.INSTANCE);
    }

    @Override
    public Reader reader() {
        FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
        return (in, events) -> {
            IOException[] error = new IOException[1];
            FrameCodec.Decoded.Failure failure = decoder.decode(in, frame -> onFrame(frame, events, error));
            if (failure != null) {
                throw new IOException("undecodable frame from the broker: " + failure.code() + " " + failure.reason());
            }
            if (error[0] != null) {
                throw error[0];
            }
        };
    }

    private static void onFrame(Frame frame, Events events, IOException[] error) {
        switch (frame.type()) {
            case MSG -> events.messages(1);
            case PONG -> events.pong();
            case PING -> events.ping();
            case CONNECTED -> { }
            case ERR -> {
                Err err = (Err) frame;
                if (err.code().fatal() && error[0] == null) {
                    error[0] = new IOException("ERR " + err.code() + ": " + err.reason());
                }
            }
            case CONNECT, PUB, SUB, UNSUB -> {
                if (error[0] == null) {
                    error[0] = new IOException("unexpected " + frame.type() + " from the broker");
                }
            }
        }
    }
}
