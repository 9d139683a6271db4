package io.courier.bench.hardening;

import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.FrameType;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import io.courier.protocol.Subscribe;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One raw protocol connection over a blocking socket (docs/protocol.md): frames are encoded with
 * {@link FrameCodec} and what arrives is split and decoded by a {@link FrameDecoder}. It remembers every ERR the
 * broker sent and how the link ended, so a scenario can say what the broker did to each connection.
 *
 * <p>One thread reads at a time; writes are serialised. A broker PING is answered with PONG from the reading thread
 * unless {@link #answerPings} is off (a link that is always writing never gets one).
 */
final class RawLink implements AutoCloseable {

    /** Largest frame accepted from the broker: a max-payload MSG with room to spare. */
    static final int MAX_FRAME = 2 * 1024 * 1024;
    /** How long the broker may take to answer CONNECT, or the PING that confirms a SUB. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern UNKNOWN_CODE = Pattern.compile("unknown error code (\\d+):");
    private static final byte[] PING = FrameCodec.encode(Ping.INSTANCE);
    private static final byte[] PONG = FrameCodec.encode(Pong.INSTANCE);

    private final String name;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
    private final byte[] buffer = new byte[256 * 1024];
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final Object writeLock = new Object();
    private final Consumer<Frame> onFrame = this::onFrame;
    private Consumer<Frame> sink = f -> { };
    private volatile String ended;
    private volatile String endedDetail = "";
    private volatile long endedAtNanos;
    private volatile boolean answerPings = true;

    private RawLink(String name, Socket socket) throws IOException {
        this.name = name;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * Opens a TCP connection (no frame sent yet).
     *
     * @param receiveBuffer SO_RCVBUF to ask for before connecting (so the window is small from the start); 0 = default
     */
    static RawLink open(InetSocketAddress address, String name, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        try {
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            s.setTcpNoDelay(true);
            s.connect(address, 5000);
            return new RawLink(name, s);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Opens a TCP connection and completes the handshake (CONNECT, CONNECTED); closes the socket if that fails. */
    static RawLink connect(InetSocketAddress address, String name, int receiveBuffer) throws IOException {
        RawLink link = open(address, name, receiveBuffer);
        try {
            link.handshake(ANSWER_TIMEOUT);
            return link;
        } catch (IOException | RuntimeException e) {
            link.close();
            throw e;
        }
    }

    /** A connected link subscribed (sid 1) to {@code pattern}: the PONG after the SUB says the broker has it. */
    static RawLink subscriber(InetSocketAddress address, String name, int receiveBuffer, String pattern)
            throws IOException {
        RawLink link = connect(address, name, receiveBuffer);
        link.subscribe(1, pattern);
        if (!link.flush(ANSWER_TIMEOUT, frame -> { })) {
            String fate = link.fate();
            link.close();
            throw new IOException("subscription of " + name + " to " + pattern + " not confirmed: " + fate);
        }
        return link;
    }

    /** The CONNECT every harness connection sends, with {@code name} as its client name. */
    static Connect connectFrame(String name) {
        return new Connect(FrameCodec.VERSION, name, "courier-bench-hardening", "", "", 0, false);
    }

    /** The code of an ERR as a name; a code this build's protocol module does not know appears as {@code codeN}. */
    static String errName(Err err) {
        if (err.code() == ErrorCode.INTERNAL_ERROR) {
            Matcher m = UNKNOWN_CODE.matcher(err.reason());
            if (m.lookingAt()) {
                return "code" + m.group(1);
            }
        }
        return err.code().name();
    }

    String name() {
        return name;
    }

    void answerPings(boolean answer) {
        answerPings = answer;
    }

    /** Sends CONNECT and waits for CONNECTED. */
    Connected handshake(Duration timeout) throws IOException {
        send(connectFrame(name));
        Frame f = await(FrameType.CONNECTED, timeout, frame -> { });
        if (f == null) {
            throw new IOException(ended != null ? "link " + ended + " before CONNECTED" + errorsSuffix()
                    : "no CONNECTED within " + timeout.toMillis() + " ms");
        }
        return (Connected) f;
    }

    void subscribe(int sid, String pattern) throws IOException {
        send(new Subscribe(sid, pattern, ""));
    }

    /** PING, then reads to the PONG: the broker has handled everything sent before. Other frames go to {@code sink}. */
    boolean flush(Duration timeout, Consumer<Frame> sink) throws IOException {
        write(PING);
        return await(FrameType.PONG, timeout, sink) != null;
    }

    void ping() throws IOException {
        write(PING);
    }

    void send(Frame frame) throws IOException {
        write(FrameCodec.encode(frame));
    }

    void write(byte[] bytes) throws IOException {
        write(bytes, 0, bytes.length);
    }

    /** One write call for the whole range: the frames in it reach the broker together. */
    void write(byte[] bytes, int offset, int length) throws IOException {
        synchronized (writeLock) {
            try {
                out.write(bytes, offset, length);
            } catch (IOException e) {
                end("reset", e.getMessage());
                throw e;
            }
        }
    }

    /**
     * Writes an unsolicited PONG every {@code period} until the link ends: the broker hears from a link that never
     * reads, so it does not close it as stale (its outbound side is untouched).
     */
    void keepAlive(Duration period) {
        HardeningCommand.daemon(name + "-keepalive", () -> {
            while (isOpen()) {
                HardeningCommand.pause(period.toMillis());
                try {
                    if (isOpen()) {
                        write(PONG);
                    }
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    /**
     * Reads on a thread of its own until the link ends, dropping what arrives: for a link that only writes. ERRs are
     * still recorded, and PINGs answered unless {@link #answerPings} is off.
     */
    void discardIncoming() {
        HardeningCommand.daemon(name + "-reader", () -> {
            while (read(64 * 1024, 1000, frame -> { }) >= 0) {
                // Nothing to do with a frame: onFrame has recorded or answered it.
            }
        });
    }

    /**
     * Reads once (at most {@code maxBytes}, waiting at most {@code timeoutMillis}) and hands every complete frame to
     * {@code sink}.
     *
     * @return bytes read, 0 on timeout, -1 once the link has ended
     */
    int read(int maxBytes, int timeoutMillis, Consumer<Frame> sink) {
        if (ended != null) {
            return -1;
        }
        int n;
        try {
            socket.setSoTimeout(Math.max(1, timeoutMillis));
            n = in.read(buffer, 0, Math.min(maxBytes, buffer.length));
        } catch (SocketTimeoutException e) {
            return 0;
        } catch (IOException e) {
            end("reset", e.getMessage());
            return -1;
        }
        if (n < 0) {
            end("eof", "closed by the broker");
            return -1;
        }
        this.sink = sink;
        FrameCodec.Decoded.Failure failure = decoder.decode(ByteBuffer.wrap(buffer, 0, n), onFrame);
        if (failure != null) {
            end("undecodable", failure.code() + " " + failure.reason());
        }
        return n;
    }

    /** Reads until a frame of {@code type} arrives; the others go to {@code sink}. Null on timeout or end. */
    Frame await(FrameType type, Duration timeout, Consumer<Frame> sink) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Frame[] found = new Frame[1];
        Consumer<Frame> filter = f -> {
            if (found[0] == null && f.type() == type) {
                found[0] = f;
            } else {
                sink.accept(f);
            }
        };
        while (found[0] == null) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0 || read(buffer.length, (int) Math.min(left, 1000), filter) < 0) {
                return found[0];
            }
        }
        return found[0];
    }

    /** Reads everything that arrives for up to {@code timeout} or until the link ends; frames go to {@code sink}. */
    void drain(Duration timeout, Consumer<Frame> sink) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long left;
        while ((left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) > 0) {
            if (read(buffer.length, (int) Math.min(left, 500), sink) < 0) {
                return;
            }
        }
    }

    boolean isOpen() {
        return ended == null;
    }

    /** "open", "eof" (closed by the broker), "reset", "undecodable" or "closed" (by the harness). */
    String fate() {
        return ended == null ? "open" : ended;
    }

    String fateDetail() {
        return endedDetail;
    }

    long endedAtNanos() {
        return endedAtNanos;
    }

    /** The ERR codes received, in order. */
    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    /** The codes, or "none", with their reasons dropped. */
    String errorList() {
        List<String> e = errors();
        return e.isEmpty() ? "none" : String.join(",", e);
    }

    @Override
    public void close() {
        end("closed", "closed by the harness");
        try {
            socket.close();
        } catch (IOException e) {
            // Closing a socket that is already gone: nothing left to release.
        }
    }

    private void onFrame(Frame frame) {
        if (frame instanceof Err err) {
            errors.add(errName(err));
        } else if (frame.type() == FrameType.PING && answerPings) {
            try {
                write(PONG);
            } catch (IOException e) {
                return;
            }
        }
        sink.accept(frame);
    }

    private void end(String how, String detail) {
        if (ended == null) {
            endedAtNanos = System.nanoTime();
            endedDetail = detail == null ? "" : detail;
            ended = how;
        }
    }

    private String errorsSuffix() {
        List<String> e = errors();
        return e.isEmpty() ? "" : " (ERR " + String.join(",", e) + ")";
    }
}
