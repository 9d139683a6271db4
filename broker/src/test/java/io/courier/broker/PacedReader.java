package io.courier.broker;

import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.Message;
import io.courier.protocol.Subscribe;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscriber over a bare socket that reads at a chosen rate (or not at all until told), on a thread of its own,
 * and records what arrived: the MSGs (whose payload starts with a sequence number), the ERRs, the last frame, and
 * whether the broker closed the socket. For tests of slow consumers and of the drain.
 */
final class PacedReader implements AutoCloseable {

    private final Socket socket;
    private final FrameDecoder decoder = new FrameDecoder(64 * 1024 * 1024);
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong outOfOrder = new AtomicLong();
    private final List<Err> errors = new CopyOnWriteArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread thread;
    private volatile long bytesPerSecond;
    private volatile Frame last;
    private volatile long lastSequence = -1;
    private volatile boolean closedByBroker;

    /**
     * Connects, subscribes to {@code pattern} and starts reading at {@code bytesPerSecond} (0: not at all until
     * {@link #readAt} is called; a negative rate: as fast as it can).
     */
    PacedReader(InetSocketAddress broker, String pattern, long bytesPerSecond, int receiveBuffer) throws IOException {
        this.bytesPerSecond = bytesPerSecond;
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(broker, 5000);
        OutputStream out = socket.getOutputStream();
        out.write(FrameCodec.encode(new Connect(FrameCodec.VERSION, "reader", "test", "", "", 0, false)));
        out.write(FrameCodec.encode(new Subscribe(1, pattern, "")));
        out.flush();
        thread = new Thread(this::readLoop, "paced-reader-" + pattern);
        thread.setDaemon(true);
        thread.start();
    }

    void readAt(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    private void readLoop() {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = socket.getInputStream();
            long started = System.nanoTime();
            long read = 0;
            while (true) {
                long rate = bytesPerSecond;
                if (rate == 0) {
                    Thread.sleep(5);
                    started = System.nanoTime();
                    read = 0;
                    continue;
                }
                int n = in.read(buffer, 0, rate > 0 ? (int) Math.min(buffer.length, Math.max(1, rate / 100)) : buffer.length);
                if (n < 0) {
                    closedByBroker = true;
                    return;
                }
                decoder.decode(ByteBuffer.wrap(buffer, 0, n), this::onFrame);
                read += n;
                if (rate > 0) {
                    long due = started + read * 1_000_000_000L / rate;
                    long ahead = due - System.nanoTime();
                    if (ahead > 0) {
                        TimeUnit.NANOSECONDS.sleep(ahead);
                    }
                }
            }
        } catch (IOException e) {
            closedByBroker = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ended.countDown();
        }
    }

    private void onFrame(Frame f) {
        last = f;
        if (f instanceof Message m) {
            messages.incrementAndGet();
            if (m.payload().length >= 8) {
                long seq = ByteBuffer.wrap(m.payload()).getLong();
                if (seq != lastSequence + 1) {
                    outOfOrder.incrementAndGet();
                }
                lastSequence = seq;
            }
        } else if (f instanceof Err e) {
            errors.add(e);
        }
    }

    long messages() {
        return messages.get();
    }

    /** MSGs whose sequence number was not the one after the previous MSG's. */
    long outOfOrder() {
        return outOfOrder.get();
    }

    long lastSequence() {
        return lastSequence;
    }

    List<Err> errors() {
        return errors;
    }

    Frame last() {
        return last;
    }

    boolean closedByBroker() {
        return closedByBroker;
    }

    /** Waits until the broker has closed the socket (true) or the timeout passed (false). */
    boolean awaitEnd(long timeout, TimeUnit unit) throws InterruptedException {
        return ended.await(timeout, unit);
    }

    /** A payload of {@code size} bytes starting with {@code sequence}, as the readers expect. */
    static byte[] payload(long sequence, int size) {
        return ByteBuffer.allocate(Math.max(8, size)).putLong(sequence).array();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        thread.interrupt();
    }
}
