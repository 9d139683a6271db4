package io.courier.client;

import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One TCP link to one broker: opens the socket, does the CONNECT handshake, then reads frames (reader thread) and
 * writes batches (writer thread). A link is used once; a reconnect makes a new one.
 */
final class Link {

    /** Largest inbound frame accepted; far above any sane max payload, it only guards against a corrupt stream. */
    static final int MAX_INBOUND_FRAME = 256 * 1024 * 1024;
    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private final ServerAddress server;
    private final Socket socket = new Socket();
    private final FrameDecoder decoder = new FrameDecoder(MAX_INBOUND_FRAME);
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER_BYTES);
    private final List<Frame> early = new ArrayList<>();
    private volatile InetSocketAddress address;
    private volatile String abortReason;
    private InputStream in;
    private OutputStream out;

    Link(ServerAddress server) {
        this.server = server;
    }

    ServerAddress server() {
        return server;
    }

    /** The resolved broker address, or {@code null} before the socket was opened. */
    InetSocketAddress address() {
        return address;
    }

    /**
     * Opens the socket, sends CONNECT and waits for CONNECTED, all within {@code timeout}. Frames that arrive right
     * after CONNECTED are kept for {@link #readLoop}.
     *
     * @throws ConnectRejectedException when the broker answers with ERR
     */
    Connected handshake(Connect connect, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        address = server.resolve();
        socket.setTcpNoDelay(true);
        socket.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        in = socket.getInputStream();
        out = socket.getOutputStream();
        out.write(FrameCodec.encode(connect));
        Connected connected = null;
        while (connected == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("no CONNECTED within " + timeout.toMillis() + " ms");
            }
            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            int n;
            try {
                n = in.read(readBuffer.array());
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no CONNECTED within " + timeout.toMillis() + " ms");
            }
            if (n < 0) {
                throw new EOFException("server closed the connection before answering CONNECT");
            }
            readBuffer.position(0).limit(n);
            FrameCodec.Decoded.Failure failure = decoder.decode(readBuffer, early::add);
            readBuffer.clear();
            if (failure != null) {
                throw new IOException("malformed data from server: " + failure.reason());
            }
            for (int i = 0; i < early.size() && connected == null; i++) {
                Frame f = early.get(i);
                if (f instanceof Err err) {
                    throw new ConnectRejectedException("server answered CONNECT with " + err.code() + ": "
                            + err.reason(), err.code(), err.reason());
                }
                if (f instanceof Connected c) {
                    early.remove(i);
                    connected = c;
                }
            }
        }
        if (connected.version() != FrameCodec.VERSION) {
            throw new IOException("server speaks protocol version " + connected.version() + ", this client speaks "
                    + FrameCodec.VERSION);
        }
        socket.setSoTimeout(0);
        return connected;
    }

    /**
     * Reads and decodes frames into {@code sink} until the link fails, then returns why. Reader thread only.
     */
    String readLoop(Consumer<Frame> sink) {
        for (Frame f : early) {
            sink.accept(f);
        }
        early.clear();
        byte[] array = readBuffer.array();
        try {
            while (abortReason == null) {
                int n = in.read(array);
                if (n < 0) {
                    return abortReason != null ? abortReason : "server closed the connection";
                }
                readBuffer.position(0).limit(n);
                FrameCodec.Decoded.Failure failure = decoder.decode(readBuffer, sink);
                readBuffer.clear();
                if (failure != null) {
                    abort("malformed data from server: " + failure.code() + ": " + failure.reason());
                }
            }
            return abortReason;
        } catch (IOException e) {
            return abortReason != null ? abortReason : "connection lost: " + describe(e);
        }
    }

    /** Writes all of {@code buffer} (heap buffer, position to limit). Writer thread only. */
    void write(ByteBuffer buffer) throws IOException {
        out.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
        buffer.position(buffer.limit());
    }

    /** Ends the link for {@code reason} (the first reason given wins); the reader then reports it. */
    void abort(String reason) {
        if (abortReason == null) {
            abortReason = reason;
        }
        close();
    }

    boolean aborted() {
        return abortReason != null || socket.isClosed();
    }

    void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing a socket that failed already: nothing left to release or report.
        }
    }

    /** A short, lower-case reason for an I/O failure, for messages such as "cannot connect to X: reason". */
    static String describe(IOException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof ConnectException && message.toLowerCase(Locale.ROOT).contains("refused")) {
            return "connection refused";
        }
        if (e instanceof SocketTimeoutException && message.toLowerCase(Locale.ROOT).contains("connect timed out")) {
            return "timed out opening the socket";
        }
        if (e instanceof UnknownHostException) {
            return message.startsWith("unknown host") ? message : "unknown host " + message;
        }
        if (message.isEmpty()) {
            return e.getClass().getSimpleName();
        }
        return Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }
}
