package io.courier.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * One idle client connection of {@link IdleConnections}: the non-blocking socket, its write backlog and its
 * counters. The subclass speaks the protocol: what to send once connected, how to read what the server sends, and
 * any heartbeat the client must send on its own. Driven by the one selector thread; not thread-safe.
 */
abstract sealed class IdleLink permits IdleCourierLink, IdleNatsLink, IdleMqttLink {

    enum State { CONNECTING, HANDSHAKING, OPEN, CLOSED }

    /** An incomplete unit larger than this means the server is not speaking the protocol we expect. */
    private static final int MAX_CARRY = 1 << 20;

    final int index;
    private SocketChannel channel;
    private SelectionKey key;
    private State state = State.CONNECTING;
    private ByteBuffer unsent;
    private byte[] carry;
    private String closeReason;
    private boolean closedAfterHandshake;
    private boolean wasConnected;

    int serverPingsAnswered;
    int clientPingsSent;
    int clientPingsAnswered;

    IdleLink(int index) {
        this.index = index;
    }

    /** Called once the TCP connection is up: send what the client says first, if anything. */
    abstract void onConnected(long nowNanos);

    /**
     * Reads the complete protocol units in {@code in} and acts on them (answer, count, {@link #handshakeDone},
     * {@link #fail}). Leaves an incomplete trailing unit unread; it is handed back, followed by the next bytes
     * received, on the next call.
     */
    abstract void onBytes(ByteBuffer in, long nowNanos);

    /** Called every few tens of milliseconds while open; the place for heartbeats the client sends itself. */
    void onTick(long nowNanos) {
    }

    // ------------------------------------------------------------------ driven by IdleConnections

    /** Starts a non-blocking connect; a failure closes the link with the reason. */
    final void connect(Selector selector, InetSocketAddress address, long nowNanos) {
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            key = channel.register(selector, SelectionKey.OP_CONNECT, this);
            if (channel.connect(address)) {
                connected(nowNanos);
            }
        } catch (IOException e) {
            close("connect: " + describe(e));
        }
    }

    final void selected(ByteBuffer scratch, long nowNanos) {
        if (state == State.CLOSED || !key.isValid()) {
            return;
        }
        try {
            if (key.isConnectable()) {
                if (!channel.finishConnect()) {
                    return;
                }
                connected(nowNanos);
            }
            if (state != State.CLOSED && key.isWritable()) {
                flush();
            }
            if (state != State.CLOSED && key.isReadable()) {
                read(scratch, nowNanos);
            }
        } catch (IOException e) {
            close((state == State.CONNECTING ? "connect: " : "") + describe(e));
        }
    }

    final void tick(long nowNanos) {
        if (state == State.OPEN) {
            onTick(nowNanos);
        }
    }

    final void close(String reason) {
        if (state == State.CLOSED) {
            return;
        }
        closedAfterHandshake = state == State.OPEN;
        state = State.CLOSED;
        if (closeReason == null) {
            closeReason = reason;
        }
        unsent = null;
        carry = null;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Closing a socket we are done with: the reason that counts is the one recorded above.
                closeReason = closeReason + "; close: " + describe(e);
            }
        }
    }

    final State state() {
        return state;
    }

    /** True once the TCP connection was established. */
    final boolean wasConnected() {
        return wasConnected;
    }

    /** Why the link closed, or {@code null} while it is not closed. */
    final String closeReason() {
        return closeReason;
    }

    /** True when the link was closed after its handshake had completed (a lost connection, unless we closed it). */
    final boolean closedAfterHandshake() {
        return closedAfterHandshake;
    }

    // ------------------------------------------------------------------ for the protocol subclasses

    final boolean isOpen() {
        return state == State.OPEN;
    }

    final void handshakeDone() {
        if (state == State.HANDSHAKING) {
            state = State.OPEN;
        }
    }

    /** Records the first reason; the link is closed when the current read returns. */
    final void fail(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
    }

    /** Sends {@code frame} (a shared buffer, left untouched); what the socket does not take now waits for OP_WRITE. */
    final void send(ByteBuffer frame) {
        if (state == State.CLOSED) {
            return;
        }
        ByteBuffer out = frame.duplicate();
        try {
            if (unsent == null) {
                channel.write(out);
                if (out.hasRemaining()) {
                    unsent = ByteBuffer.allocate(out.remaining()).put(out).flip();
                    key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                }
            } else {
                unsent = ByteBuffer.allocate(unsent.remaining() + out.remaining()).put(unsent).put(out).flip();
            }
        } catch (IOException e) {
            close("write: " + describe(e));
        }
    }

    // ------------------------------------------------------------------ internals

    private void connected(long nowNanos) {
        wasConnected = true;
        state = State.HANDSHAKING;
        key.interestOps(SelectionKey.OP_READ);
        onConnected(nowNanos);
    }

    private void flush() throws IOException {
        if (unsent != null) {
            channel.write(unsent);
            if (unsent.hasRemaining()) {
                return;
            }
            unsent = null;
        }
        key.interestOps(SelectionKey.OP_READ);
    }

    private void read(ByteBuffer scratch, long nowNanos) throws IOException {
        while (state != State.CLOSED) {
            scratch.clear();
            int n = channel.read(scratch);
            if (n < 0) {
                close("closed by the server");
                return;
            }
            if (n == 0) {
                return;
            }
            scratch.flip();
            ByteBuffer in = scratch;
            if (carry != null) {
                in = ByteBuffer.allocate(carry.length + scratch.remaining()).put(carry).put(scratch).flip();
                carry = null;
            }
            onBytes(in, nowNanos);
            if (closeReason != null) {
                close(closeReason);
                return;
            }
            if (in.remaining() > MAX_CARRY) {
                close("more than " + MAX_CARRY + " bytes without a complete protocol unit");
                return;
            }
            if (in.hasRemaining()) {
                carry = new byte[in.remaining()];
                in.get(carry);
            }
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
