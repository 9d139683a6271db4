package io.courier.broker.transport.udp;

import io.courier.broker.UdpStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The broker's one UDP socket: a non-blocking {@link DatagramChannel} and the thread that reads it. Reading happens
 * on that thread only (the listener actor starts it; a blocking wait belongs on a thread of its own, never in an
 * actor); sending happens on any thread, straight from the publisher that routes a message, and a send the kernel
 * refuses for a full buffer is retried by this thread once the socket is writable again ({@link #retryLater}).
 */
public final class UdpSocket implements DatagramSender, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UdpSocket.class);
    /** Datagrams read per wake-up before the thread looks at pending sends again. */
    private static final int READ_BATCH = 256;

    /** Where received datagrams go: called on the socket's thread with a buffer reused for the next datagram. */
    public interface Receiver {
        void received(byte[] data, int length, InetSocketAddress from);
    }

    /** Sends that wait for room in the socket's send buffer; {@link #flush} is tried again when there is. */
    public interface Pending {
        /** Sends what it holds; returns true when nothing is left waiting. */
        boolean flush();
    }

    private final DatagramChannel channel;
    private final Selector selector;
    private final InetSocketAddress localAddress;
    private final UdpStats stats;
    private final int maxDatagram;
    private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
    private volatile Thread thread;
    private volatile boolean closed;

    private UdpSocket(DatagramChannel channel, Selector selector, UdpStats stats, int maxDatagram)
            throws IOException {
        this.channel = channel;
        this.selector = selector;
        this.localAddress = (InetSocketAddress) channel.getLocalAddress();
        this.stats = stats;
        this.maxDatagram = maxDatagram;
    }

    /** Binds {@code address}; the kernel buffers are asked for {@code socketBuffer} bytes each. */
    public static UdpSocket bind(InetSocketAddress address, int socketBuffer, int maxDatagram, UdpStats stats)
            throws IOException {
        DatagramChannel channel = DatagramChannel.open(address.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, socketBuffer);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, socketBuffer);
            channel.bind(address);
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            return new UdpSocket(channel, selector, stats, maxDatagram);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /**
     * Starts the reading thread; {@code failed} hears an unexpected end of it (not a close). Called again after a
     * failure, it starts a new one on the same socket.
     */
    public synchronized void start(Receiver receiver, Consumer<Throwable> failed) {
        if (closed) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                loop(receiver);
            } catch (Throwable e) {
                if (!closed) {
                    failed.accept(e);
                }
            }
        }, "courier-udp-" + localAddress.getPort());
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /**
     * {@inheritDoc} An I/O error other than a full buffer (an address the kernel refuses, a closed socket) counts as
     * sent and lost.
     */
    @Override
    public boolean trySend(ByteBuffer datagram, InetSocketAddress to) {
        try {
            if (channel.send(datagram, to) == 0) {
                stats.kernelWasFull();
                return false;
            }
            stats.datagramOut();
        } catch (ClosedChannelException e) {
            stats.sendFailed();
        } catch (IOException | RuntimeException e) {
            stats.sendFailed();
            log.debug("UDP send to {} failed: {}", to, e.toString());
        }
        return true;
    }

    /** {@code p} holds datagrams the kernel refused: this socket's thread flushes it once the socket is writable. */
    @Override
    public void retryLater(Pending p) {
        pending.add(p);
        selector.wakeup();
    }

    private void loop(Receiver receiver) throws IOException {
        SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
        ByteBuffer in = ByteBuffer.allocate(Math.max(maxDatagram, 64 * 1024));
        byte[] data = in.array();
        while (!closed) {
            key.interestOps(pending.isEmpty() ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            selector.select(1000);
            selector.selectedKeys().clear();
            for (int i = 0; i < READ_BATCH; i++) {
                in.clear();
                SocketAddress from = channel.receive(in);
                if (from == null) {
                    break;
                }
                stats.datagramIn();
                try {
                    receiver.received(data, in.position(), (InetSocketAddress) from);
                } catch (RuntimeException e) {
                    // One datagram's handling failed: drop it, keep serving everyone else.
                    stats.malformedDropped();
                    log.warn("UDP datagram from {} could not be handled: {}", from, e.toString());
                }
            }
            flushPending();
        }
    }

    private void flushPending() {
        int n = pending.size();
        for (int i = 0; i < n; i++) {
            Pending p = pending.poll();
            if (p == null) {
                return;
            }
            if (!p.flush()) {
                pending.add(p);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            selector.wakeup();
            channel.close();
            selector.close();
        } catch (IOException e) {
            log.debug("closing the UDP socket: {}", e.toString());
        }
    }
}
