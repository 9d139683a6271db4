package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import io.courier.broker.transport.tcp.IoLoop;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A plain TCP client link on one {@link IoLoop}: the loop's thread reads the socket straight into the link's
 * {@link LinkReader} (so the session runs on the bytes where they were read) and writes the link's {@link Outbox}
 * to it when woken, a batch at a time from the loop's buffer, keeping only what the kernel did not take. No actor and
 * no stream stands between the socket and the session; the link's {@link Connection} actor drives its timers.
 *
 * <p>The link ends once: when the client closes or resets it (anything queued for it is then discarded), when the
 * outbox completes and is written out (a FIN), when it is aborted or the session's code fails (a reset).
 */
public final class ChannelLink implements Incoming, IoLoop.Handler, LinkReader.Transport {

    /** Largest batch written at once (the loops' write buffers): amortises a write and stays fair to other links. */
    public static final int MAX_WRITE_BATCH = StreamIncoming.MAX_WRITE_BATCH;
    /** Batches one link writes before the loop's other links get their turn. */
    private static final int BATCHES_PER_TURN = 8;

    private final SocketChannel channel;
    private final InetSocketAddress remote;
    private final IoLoop loop;
    private final Map<String, IoLoop.Timer> timers = new HashMap<>(4);
    private SelectionKey key;
    /** Set while connecting: completed once connected. */
    private CompletableFuture<ChannelLink> connecting;
    private LinkReader<?> reader;
    private Outbox outbox;
    /** What the kernel did not take of the last batch; null when all of it was written. */
    private ByteBuffer unwritten;
    private int interest;
    /** True while the reader handles bytes: a read it asks for meanwhile needs no change of interest. */
    private boolean delivering;
    private boolean readAgain;
    private boolean closed;

    private ChannelLink(SocketChannel channel, InetSocketAddress remote, IoLoop loop) {
        this.channel = channel;
        this.remote = remote;
        this.loop = loop;
    }

    /**
     * Connects to {@code to} from {@code loop}: the stage completes with the link once connected (nothing is read
     * from it until it runs), or fails when the connection is refused or not made within {@code timeout}.
     */
    public static CompletionStage<ChannelLink> connect(InetSocketAddress to, IoLoop loop, Duration timeout) {
        CompletableFuture<ChannelLink> connected = new CompletableFuture<>();
        loop.execute(() -> {
            SocketChannel channel = null;
            try {
                channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ChannelLink link = new ChannelLink(channel, to, loop);
                link.connecting = connected;
                link.key = loop.register(channel, SelectionKey.OP_CONNECT, link);
                if (channel.connect(to)) {
                    link.finishConnect();
                } else {
                    IoLoop.Timer timer = loop.schedule(timeout.toNanos(), () -> link.connectFailed(
                            new ConnectException("no connection to " + to + " within " + timeout.toMillis() + " ms")));
                    connected.whenComplete((l, e) -> timer.cancel());
                }
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                connected.completeExceptionally(e);
            }
        });
        return connected;
    }

    private void finishConnect() {
        try {
            if (!channel.finishConnect()) {
                return;
            }
        } catch (IOException e) {
            connectFailed(e);
            return;
        }
        key.interestOps(0);
        CompletableFuture<ChannelLink> done = connecting;
        connecting = null;
        done.complete(this);
    }

    private void connectFailed(Throwable cause) {
        if (connecting == null) {
            return;
        }
        CompletableFuture<ChannelLink> done = connecting;
        connecting = null;
        key.cancel();
        closeChannel(true);
        done.completeExceptionally(cause);
    }

    /** A socket just accepted, to run on {@code loop}; nothing is read from it until it runs. */
    public static ChannelLink accepted(SocketChannel channel, InetSocketAddress remote, IoLoop loop) {
        return new ChannelLink(channel, remote, loop);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public Optional<String> tlsPrincipal() {
        return Optional.empty();
    }

    @Override
    public <E> Consumer<E> run(Intake<E> intake, Outbox outbox, BrokerStats stats, Duration maxPause,
                               LinkReader.Stopped stopped, Materializer materializer) {
        LinkReader<E> r = new LinkReader<>(intake, stats, maxPause, stopped, this);
        loop.execute(() -> start(r, outbox));
        return r::post;
    }

    @Override
    public void refuse(ByteString frame, Materializer materializer) {
        loop.execute(() -> {
            try {
                // Best effort: a refused client gets what fits in its socket buffer (all of one ERR), then a FIN.
                channel.write(frame.asByteBuffer());
            } catch (IOException e) {
                // It went away first.
            }
            closeChannel(false);
        });
    }

    private void start(LinkReader<?> r, Outbox o) {
        reader = r;
        outbox = o;
        try {
            if (key == null) {
                key = loop.register(channel, 0, this);
            }
        } catch (IOException | RuntimeException e) {
            // The loop is closing or the socket went away before it ran: the link ends before it began.
            closed = true;
            closeChannel(true);
            r.stopped();
            return;
        }
        try {
            o.attach(this::signalled);
            r.start();
            flush();
        } catch (RuntimeException | Error e) {
            // As in ready(): a link whose start failed ends, so that its Connection actor does too.
            stop(true);
            throw e;
        }
    }

    // ------------------------------------------------------------------ the loop's side

    @Override
    public void ready(SelectionKey selected) {
        int ops = selected.readyOps();
        if (connecting != null) {
            finishConnect();
            return;
        }
        try {
            if ((ops & SelectionKey.OP_WRITE) != 0) {
                flush();
            }
            if ((ops & SelectionKey.OP_READ) != 0 && !closed) {
                receive();
            }
        } catch (RuntimeException | Error e) {
            // Not the session's code (the reader contains that): the link ends, so that its Connection actor does
            // too, and the loop logs why (or, out of memory, stops the process).
            stop(true);
            throw e;
        }
    }

    private void receive() {
        ByteBuffer buffer = loop.readBuffer();
        buffer.clear();
        int n;
        try {
            n = channel.read(buffer);
        } catch (IOException e) {
            stop(true);
            return;
        }
        if (n < 0) {
            // The client closed its side: the link ends, and what was queued for it with it.
            stop(false);
            return;
        }
        if (n == 0) {
            return;
        }
        byte[] bytes = new byte[n];
        buffer.flip();
        buffer.get(bytes);
        delivering = true;
        readAgain = false;
        try {
            reader.onBytes(ByteString.fromArrayUnsafe(bytes));
        } finally {
            delivering = false;
        }
        if (!closed && !readAgain) {
            // Paused (flow control, publish rate): the kernel's buffer fills and TCP slows the client.
            setInterest(interest & ~SelectionKey.OP_READ);
        }
    }

    /** Writes what is queued, batch after batch, until the outbox is empty or the kernel's buffer is full. */
    private void flush() {
        if (closed) {
            return;
        }
        try {
            if (unwritten != null) {
                channel.write(unwritten);
                if (unwritten.hasRemaining()) {
                    return;
                }
                unwritten = null;
                setInterest(interest & ~SelectionKey.OP_WRITE);
            }
            for (int batches = 0; ; batches++) {
                // The last batch is in the kernel's hands: only now does it stop counting as pending.
                outbox.demand();
                if (batches == BATCHES_PER_TURN) {
                    // Publishers on other loops keep filling it: let this loop's other links have their turn.
                    loop.execute(() -> {
                        if (unwritten == null) {
                            flush();
                        }
                    });
                    return;
                }
                int bytes = outbox.nextBatch(loop.writeBuffer().capacity());
                if (bytes == 0) {
                    if (outbox.isCompleting()) {
                        stop(false);
                    }
                    return;
                }
                ByteBuffer batch = bytes <= loop.writeBuffer().capacity() ? loop.writeBuffer()
                        : ByteBuffer.allocate(bytes);
                batch.clear();
                outbox.writeBatch(batch);
                batch.flip();
                channel.write(batch);
                if (batch.hasRemaining()) {
                    // The kernel took part of it: keep the rest (the loop's buffer is the next link's) and wait.
                    unwritten = ByteBuffer.allocate(batch.remaining()).put(batch).flip();
                    setInterest(interest | SelectionKey.OP_WRITE);
                    return;
                }
            }
        } catch (IOException e) {
            stop(true);
        }
    }

    private void signalled(Outbox.Signal signal) {
        loop.execute(() -> {
            if (signal instanceof Outbox.Abort) {
                stop(true);
            } else if (unwritten == null) {
                flush();
            }
        });
    }

    private void setInterest(int ops) {
        if (ops != interest && !closed) {
            interest = ops;
            key.interestOps(ops);
        }
    }

    /** Ends the link once: a reset when {@code abort}, else a FIN after what the kernel holds. */
    private void stop(boolean abort) {
        if (closed) {
            return;
        }
        closed = true;
        timers.values().forEach(IoLoop.Timer::cancel);
        timers.clear();
        if (key != null) {
            key.cancel();
        }
        closeChannel(abort);
        unwritten = null;
        reader.stopped();
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Never connected.
            }
        }
    }

    private void closeChannel(boolean abort) {
        try {
            if (abort && channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException e) {
            // Closed below all the same.
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing more to do with it.
        }
    }

    // ------------------------------------------------------------------ the reader's transport

    @Override
    public void read() {
        if (delivering) {
            readAgain = true;
        } else {
            setInterest(interest | SelectionKey.OP_READ);
        }
    }

    @Override
    public void schedule(String name, Duration delay) {
        IoLoop.Timer previous = timers.remove(name);
        if (previous != null) {
            previous.cancel();
        }
        IoLoop.Timer[] timer = new IoLoop.Timer[1];
        timer[0] = loop.schedule(delay.toNanos(), () -> {
            if (timers.get(name) == timer[0]) {
                timers.remove(name);
                reader.onTimer(name);
            }
        });
        timers.put(name, timer[0]);
    }

    @Override
    public void cancelTimer(String name) {
        IoLoop.Timer timer = timers.remove(name);
        if (timer != null) {
            timer.cancel();
        }
    }

    @Override
    public boolean isTimerActive(String name) {
        return timers.containsKey(name);
    }

    @Override
    public void post(Runnable task) {
        loop.execute(() -> {
            if (!closed) {
                task.run();
            }
        });
    }

    @Override
    public void fail(Throwable cause) {
        stop(true);
    }

    @Override
    public String toString() {
        return "ChannelLink(" + remote + ")";
    }
}
