package io.courier.broker;

import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

import static org.assertj.core.api.Assertions.assertThat;

/** A bare protocol speaker over a real socket, for tests that must misbehave in ways the real client never would. */
final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final FrameDecoder decoder = new FrameDecoder(16 * 1024 * 1024);
    private final Deque<Frame> frames = new ArrayDeque<>();
    private final byte[] readBuffer = new byte[64 * 1024];
    private boolean closedByPeer;

    RawClient(InetSocketAddress address) throws IOException {
        this(address, 0);
    }

    /** A socket whose kernel receive buffer is asked to be {@code receiveBuffer} bytes (0: the system's default). */
    RawClient(InetSocketAddress address, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(address, 5000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static RawClient connected(InetSocketAddress address, String name) throws IOException {
        RawClient c = new RawClient(address);
        c.send(new Connect(FrameCodec.VERSION, name, "test", "", "", 0, false));
        Frame f = c.next(Duration.ofSeconds(5));
        if (!(f instanceof Connected)) {
            throw new IOException("expected CONNECTED, got " + f);
        }
        return c;
    }

    void send(Frame frame) throws IOException {
        out.write(FrameCodec.encode(frame));
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads past other frames to the next frame of {@code type}; fails the test if none arrives in time. */
    <T extends Frame> T nextOf(Class<T> type, Duration timeout) throws IOException {
        Frame f;
        do {
            f = next(timeout);
            assertThat(f).as("waiting for " + type.getSimpleName()).isNotNull();
        } while (!type.isInstance(f));
        return type.cast(f);
    }

    /** Reads past other frames to the next frame of {@code type}; null if none arrives in time or the peer closed. */
    <T extends Frame> T firstOf(Class<T> type, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Frame f;
        do {
            f = next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } while (f != null && !type.isInstance(f));
        return f == null ? null : type.cast(f);
    }

    boolean closedByPeer() {
        return closedByPeer;
    }

    /** Sends PING and reads to its PONG, so the broker has handled everything sent before; skipped frames are lost. */
    void flush(Duration timeout) throws IOException {
        send(Ping.INSTANCE);
        nextOf(Pong.class, timeout);
    }

    /** The next frame, or null if none arrives in time or the peer closed. */
    Frame next(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (frames.isEmpty() && !closedByPeer) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int n;
            try {
                n = in.read(readBuffer);
            } catch (SocketTimeoutException e) {
                return null;
            } catch (IOException e) {
                closedByPeer = true;
                break;
            }
            if (n < 0) {
                closedByPeer = true;
                break;
            }
            var failure = decoder.decode(ByteBuffer.wrap(readBuffer, 0, n), frames::add);
            if (failure != null) {
                throw new IOException("broker sent an undecodable stream: " + failure);
            }
        }
        return frames.poll();
    }

    /** Reads until the broker closes the socket (true) or the timeout passes (false), discarding frames. */
    boolean awaitClosedByPeer(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closedByPeer && System.nanoTime() < deadline) {
            next(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
        }
        return closedByPeer;
    }

    /** Closes abruptly: the broker gets a TCP reset (RST), not an orderly end of stream. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
