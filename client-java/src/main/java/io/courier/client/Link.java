package io.courier.client;

import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * One TCP link to one broker: opens the socket, does the CONNECT handshake, then reads frames (reader thread) and
 * writes batches (whoever holds {@link Outbound}'s write token). A link is used once; a reconnect makes a new one.
 *
 * <p>The socket is non-blocking, so a publishing thread can hand the socket what it takes and leave the rest to the
 * writer thread without ever blocking in a syscall (and, unlike a blocking channel, a non-blocking one is not
 * closed when a writing thread is interrupted). The reader and the writer each wait on their own selector; the
 * writer's is opened only once the socket is first full, since a selector holds two file descriptors and most links
 * never need it (a client process with thousands of connections otherwise runs out of descriptors).
 *
 * <p>A TLS link ({@link Options#tlsContext()}) uses a blocking {@link TlsSocket} instead: the reader and the writer
 * block in it, and publishing threads leave every write to the writer thread.
 */
final class Link {

    /** Largest inbound frame accepted; far above any sane max payload, it only guards against a corrupt stream. */
    static final int MAX_INBOUND_FRAME = 256 * 1024 * 1024;
    private static final int READ_BUFFER_BYTES = 256 * 1024;
    /**
     * Most bytes handed to one socket write: the JDK copies a heap buffer's remaining bytes into a native buffer on
     * every write, so a big batch the socket takes in parts would otherwise be copied again for each part.
     */
    private static final int WRITE_CHUNK_BYTES = 256 * 1024;
    /** Readiness is checked again by the read or write that follows; the selectors only wait. */
    private static final Consumer<SelectionKey> IGNORE = key -> { };

    private final ServerAddress server;
    private final SSLContext tlsContext;
    private final boolean verifyHostname;
    private final List<Frame> early = new ArrayList<>();
    /** The connection's, shared by its links one after another (the reader thread's, like the links' reads). */
    private final InboundDecoder decoder;
    private volatile InetSocketAddress address;
    private volatile String abortReason;
    private volatile SocketChannel channel;
    private volatile TlsSocket tls;
    private volatile Selector readSelector;
    private volatile Selector writeSelector;
    private volatile boolean closed;

    /** A plain TCP link. */
    Link(ServerAddress server) {
        this(server, null, true, newDecoder());
    }

    /**
     * A TLS link when {@code tlsContext} is given, else a plain one, reading with {@code decoder}, which it resets:
     * a connection's links, one after another, share one, so that a reconnect does not allocate (and a collector
     * copy) another read buffer: 5,000 clients of one JVM reconnecting at once allocated 1.2 GB of them.
     */
    Link(ServerAddress server, SSLContext tlsContext, boolean verifyHostname, InboundDecoder decoder) {
        this.server = server;
        this.tlsContext = tlsContext;
        this.verifyHostname = verifyHostname;
        this.decoder = decoder;
    }

    /** A decoder for a connection's links. */
    static InboundDecoder newDecoder() {
        return new InboundDecoder(READ_BUFFER_BYTES, MAX_INBOUND_FRAME);
    }

    ServerAddress server() {
        return server;
    }

    /** The resolved broker address, or {@code null} before the socket was opened. */
    InetSocketAddress address() {
        return address;
    }

    /**
     * Opens the socket within {@code connectTimeout}, then sends CONNECT and waits for CONNECTED (after TLS's
     * handshake on a TLS link) within {@code handshakeTimeout}. Frames that arrive right after CONNECTED are kept for
     * {@link #readLoop}.
     *
     * <p>Two limits because the two waits mean different things: a socket that does not open points at a broker
     * that is gone (so the next server is worth a try soon), while a broker that accepted the socket is alive and
     * answers as soon as it gets to it. Hanging up on a busy broker would only make it do the same work again for the
     * next attempt, which is how a reconnect storm feeds itself.
     *
     * @throws ConnectRejectedException when the broker answers with ERR
     */
    Connected handshake(Connect connect, Duration connectTimeout, Duration handshakeTimeout) throws IOException {
        long connectDeadline = System.nanoTime() + connectTimeout.toNanos();
        address = server.resolve();
        if (tlsContext != null) {
            return tlsHandshake(connect, handshakeTimeout, connectDeadline);
        }
        open();
        SocketChannel ch = channel;
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        SelectionKey readKey = ch.register(readSelector, SelectionKey.OP_CONNECT);
        if (!ch.connect(address)) {
            while (!ch.finishConnect()) {
                if (!awaitUntil(readSelector, connectDeadline)) {
                    throw new SocketTimeoutException("connect timed out");
                }
            }
        }
        readKey.interestOps(SelectionKey.OP_READ);
        long deadline = System.nanoTime() + handshakeTimeout.toNanos();
        String noAnswer = "no CONNECTED within " + handshakeTimeout.toMillis() + " ms";
        ByteBuffer hello = ByteBuffer.wrap(FrameCodec.encode(connect));
        while (hello.hasRemaining()) {
            if (ch.write(hello) == 0 && !awaitUntil(writeSelector(), deadline)) {
                throw new SocketTimeoutException(noAnswer);
            }
        }
        decoder.reset();
        InboundDecoder.Sink keep = earlyFrames();
        Connected connected = null;
        while (connected == null) {
            int n = ch.read(decoder.buffer());
            if (n < 0) {
                throw new EOFException("server closed the connection before answering CONNECT");
            }
            if (n == 0) {
                if (!awaitUntil(readSelector, deadline)) {
                    throw new SocketTimeoutException(noAnswer);
                }
                continue;
            }
            connected = connectedFrom(decoder.decode(keep));
        }
        return checkVersion(connected);
    }

    /**
     * {@link #handshake} over TLS: the socket open before {@code connectDeadline}, then the TLS handshake, CONNECT and
     * CONNECTED, all within {@code timeout}.
     */
    private Connected tlsHandshake(Connect connect, Duration timeout, long connectDeadline) throws IOException {
        TlsSocket socket = TlsSocket.open(server, address, tlsContext, verifyHostname, connectDeadline,
                timeout.toNanos());
        long deadline = socket.handshakeDeadline();
        synchronized (this) {
            if (closed) {
                socket.close();
                throw new ClosedChannelException();
            }
            tls = socket;
        }
        String noAnswer = "no CONNECTED within " + timeout.toMillis() + " ms";
        decoder.reset();
        InboundDecoder.Sink keep = earlyFrames();
        try {
            socket.write(ByteBuffer.wrap(FrameCodec.encode(connect)));
            Connected connected = null;
            while (connected == null) {
                socket.readDeadline(deadline);
                if (socket.read(decoder.buffer()) < 0) {
                    throw new EOFException("server closed the connection before answering CONNECT");
                }
                connected = connectedFrom(decoder.decode(keep));
            }
            socket.readDeadline(0);
            return checkVersion(connected);
        } catch (SocketTimeoutException e) {
            throw new SocketTimeoutException(noAnswer);
        }
    }

    /** Keeps what the decoder hands out during the handshake in {@link #early}. */
    private InboundDecoder.Sink earlyFrames() {
        return new InboundDecoder.Sink() {
            @Override
            public void message(int sid, Message m) { // none can come before a SUB; kept as a frame all the same
                early.add(new io.courier.protocol.Message(sid, m.topic(), m.replyTo(), m.headers(), m.payload()));
            }

            @Override
            public void frame(Frame frame) {
                early.add(frame);
            }
        };
    }

    /** The CONNECTED among the frames kept so far (null: not yet), or why the handshake failed. */
    private Connected connectedFrom(FrameCodec.Decoded.Failure failure) throws IOException {
        if (failure != null) {
            throw new IOException("malformed data from server: " + failure.reason());
        }
        for (int i = 0; i < early.size(); i++) {
            Frame f = early.get(i);
            if (f instanceof Err err) {
                throw new ConnectRejectedException("server answered CONNECT with " + err.code() + ": "
                        + err.reason(), err.code(), err.reason());
            }
            if (f instanceof Connected c) {
                early.remove(i);
                return c;
            }
        }
        return null;
    }

    private static Connected checkVersion(Connected connected) throws IOException {
        if (connected.version() < FrameCodec.MIN_VERSION || connected.version() > FrameCodec.VERSION) {
            throw new IOException("server speaks protocol version " + connected.version() + ", this client speaks "
                    + FrameCodec.MIN_VERSION + " to " + FrameCodec.VERSION);
        }
        return connected;
    }

    private synchronized void open() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        readSelector = Selector.open();
        channel = SocketChannel.open();
    }

    /** The writer's selector, opened (and the channel registered with it) the first time a write waits. */
    private synchronized Selector writeSelector() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (writeSelector == null) {
            Selector selector = Selector.open();
            try {
                channel.register(selector, SelectionKey.OP_WRITE);
            } catch (IOException | RuntimeException e) {
                closeQuietly(selector);
                throw e;
            }
            writeSelector = selector;
        }
        return writeSelector;
    }

    /**
     * Reads and decodes frames into {@code sink} until the link fails, then returns why. Reader thread only. All
     * frames of a read are decoded before the next read; a read that did not fill the buffer drained the socket, so
     * the next step is to wait rather than to read again.
     */
    String readLoop(InboundDecoder.Sink sink) {
        for (Frame f : early) {
            sink.frame(f);
        }
        early.clear();
        sink.endOfRead();
        SocketChannel ch = channel;
        TlsSocket secure = tls;
        try {
            while (abortReason == null) {
                ByteBuffer buffer = decoder.buffer();
                int room = buffer.remaining();
                int n = secure != null ? secure.read(buffer) : ch.read(buffer);
                if (n < 0) {
                    return abortReason != null ? abortReason : "server closed the connection";
                }
                if (n > 0) {
                    FrameCodec.Decoded.Failure failure = decoder.decode(sink);
                    sink.endOfRead();
                    if (failure != null) {
                        abort("malformed data from server: " + failure.code() + ": " + failure.reason());
                    }
                }
                if (n < room && abortReason == null && secure == null) {
                    await(readSelector);
                }
            }
            return abortReason;
        } catch (IOException e) {
            return abortReason != null ? abortReason : "connection lost: " + describe(e);
        }
    }

    /**
     * One non-blocking write of {@code buffer} (position to limit): the socket takes what fits and the position moves
     * past it. Called by the holder of {@link Outbound}'s write token only.
     */
    void writeSome(ByteBuffer buffer) throws IOException {
        if (tlsContext != null) {
            return; // a TLS socket blocks: the writer thread sends it all
        }
        SocketChannel ch = channel;
        if (ch == null) {
            throw new ClosedChannelException();
        }
        ch.write(buffer);
    }

    /** Writes all of {@code buffer}, waiting while the socket is full. Writer thread only. */
    void writeFully(ByteBuffer buffer) throws IOException {
        TlsSocket secure = tls;
        if (secure != null) {
            int end = buffer.limit();
            try {
                while (buffer.position() < end) {
                    buffer.limit(Math.min(end, buffer.position() + WRITE_CHUNK_BYTES));
                    secure.write(buffer);
                }
            } finally {
                buffer.limit(end);
            }
            return;
        }
        SocketChannel ch = channel;
        if (ch == null) {
            throw new ClosedChannelException();
        }
        int end = buffer.limit();
        try {
            while (buffer.position() < end) {
                buffer.limit(Math.min(end, buffer.position() + WRITE_CHUNK_BYTES));
                if (ch.write(buffer) == 0) {
                    await(writeSelector());
                    if (abortReason != null) {
                        throw new IOException(abortReason);
                    }
                }
            }
        } finally {
            buffer.limit(end);
        }
    }

    /** Waits until the selector's one channel is ready (or the selector is woken because the link is closing). */
    private static void await(Selector selector) throws IOException {
        try {
            selector.select(IGNORE);
        } catch (ClosedSelectorException e) {
            throw new ClosedChannelException();
        }
    }

    /** As {@link #await} but gives up at {@code deadline} (returns false); for the handshake, on any thread. */
    private static boolean awaitUntil(Selector selector, long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        try {
            selector.select(IGNORE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (ClosedSelectorException e) {
            throw new ClosedChannelException();
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("interrupted while connecting");
        }
        return true;
    }

    /** Ends the link for {@code reason} (the first reason given wins); the reader then reports it. */
    void abort(String reason) {
        if (abortReason == null) {
            abortReason = reason;
        }
        close();
    }

    boolean aborted() {
        return abortReason != null || closed;
    }

    /** Closes the socket and wakes the reader and writer if they wait on it. Idempotent, any thread. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (tls != null) {
            tls.close();
        }
        closeQuietly(channel);
        closeQuietly(readSelector);
        closeQuietly(writeSelector);
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException e) {
            // Closing what failed already: nothing left to release or report.
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
        if (e instanceof ClosedChannelException) {
            return "connection closed";
        }
        if (message.isEmpty()) {
            return e.getClass().getSimpleName();
        }
        return Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }
}
