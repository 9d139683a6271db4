package io.courier.bench.raw;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One blocking TCP connection speaking a {@link Wire}, with its own reading thread: the thread reads in large
 * chunks, counts the messages its {@link Wire.Reader} finds and answers the broker's heartbeats. Writes are
 * serialised, so the reading thread's answers never split a publisher's write.
 */
final class RawConnection implements AutoCloseable, Wire.Events {

    private static final int READ_BUFFER = 1 << 20;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final Wire wire;
    private final SocketChannel channel;
    private final Object writeLock = new Object();
    private final Object pongs = new Object();
    private final byte[] pong;
    private final Thread reader;
    private long pongCount;
    private volatile long messages;
    private volatile long lastMessageNanos;
    private volatile IOException failure;
    private volatile boolean closing;

    private RawConnection(String name, Wire wire, SocketChannel channel) {
        this.name = name;
        this.wire = wire;
        this.channel = channel;
        this.pong = wire.pong();
        this.reader = new Thread(this::readLoop, name + "-reader");
        this.reader.setDaemon(true);
    }

    /** Connects and completes the handshake ({@link Wire#hello} then a {@link Wire#ping} answered). */
    static RawConnection open(Wire wire, InetSocketAddress address, String name) throws IOException,
            InterruptedException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(address);
        } catch (IOException e) {
            channel.close();
            throw new IOException(name + ": cannot connect to " + address + ": " + e.getMessage(), e);
        }
        RawConnection c = new RawConnection(name, wire, channel);
        c.reader.start();
        c.write(ByteBuffer.wrap(wire.hello(name)));
        c.sync();
        return c;
    }

    /** Subscribes and returns once the broker answered a ping sent after the subscription. */
    void subscribe(String topic, int id) throws IOException, InterruptedException {
        write(ByteBuffer.wrap(wire.subscribe(topic, id)));
        sync();
    }

    /** {@link #sync(Duration)} with a 10-second limit. */
    void sync() throws IOException, InterruptedException {
        sync(ANSWER_TIMEOUT);
    }

    /** Sends a ping and waits up to {@code timeout} for its answer: the broker has read everything written before it. */
    void sync(Duration timeout) throws IOException, InterruptedException {
        long expected;
        synchronized (pongs) {
            expected = pongCount + 1;
        }
        write(ByteBuffer.wrap(wire.ping()));
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (pongs) {
            while (pongCount < expected) {
                throwIfFailed();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException(name + ": the broker did not answer a ping within " + timeout);
                }
                TimeUnit.NANOSECONDS.timedWait(pongs, left);
            }
        }
    }

    /** Writes all of {@code bytes} (from its position to its limit), blocking while the socket is full. */
    void write(ByteBuffer bytes) throws IOException {
        throwIfFailed();
        synchronized (writeLock) {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }
    }

    long messages() {
        return messages;
    }

    long lastMessageNanos() {
        return lastMessageNanos;
    }

    /** Why the connection failed, or {@code null}. */
    IOException failure() {
        return failure;
    }

    private void throwIfFailed() throws IOException {
        IOException f = failure;
        if (f != null) {
            throw new IOException(name + ": " + f.getMessage(), f);
        }
    }

    private void readLoop() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER);
        Wire.Reader parser = wire.reader();
        try {
            while (true) {
                if (channel.read(buffer) < 0) {
                    throw new IOException("closed by the broker");
                }
                buffer.flip();
                parser.read(buffer, this);
                if (!buffer.hasRemaining()) {
                    buffer.clear();
                } else if (buffer.position() == 0 && buffer.limit() == buffer.capacity()) {
                    throw new IOException("a unit of more than " + READ_BUFFER + " bytes from the broker");
                } else {
                    buffer.compact();
                }
            }
        } catch (IOException e) {
            if (!closing) {
                failure = e;
            }
        } finally {
            synchronized (pongs) {
                pongs.notifyAll();
            }
        }
    }

    @Override
    public void messages(int n) {
        // Only the reading thread writes these.
        messages = messages + n;
        lastMessageNanos = System.nanoTime();
    }

    @Override
    public void pong() {
        synchronized (pongs) {
            pongCount++;
            pongs.notifyAll();
        }
    }

    @Override
    public void ping() {
        if (pong.length > 0) {
            try {
                write(ByteBuffer.wrap(pong));
            } catch (IOException e) {
                failure = e;
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a connection the run is done with: what it measured is already counted.
        }
    }
}
