package io.courier.broker.transport.tcp;

import io.courier.broker.session.ChannelLink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A plain TCP port (clients', or routes' from other brokers): a non-blocking server socket on the first
 * {@link IoLoop} that hands every accepted socket, with TCP_NODELAY on, as a {@link ChannelLink} on the next loop,
 * to its owner: for clients, the connections supervisor, which gives it its own {@code Connection} actor.
 */
public final class TcpListener implements IoLoop.Handler {

    private static final Logger log = LoggerFactory.getLogger(TcpListener.class);
    /** Sockets accepted per turn of the loop: the links already open get their turn between herds. */
    private static final int ACCEPTS_PER_TURN = 256;
    /** A broker at its open files limit may flip between failing and accepting: it says so once a minute. */
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** How long accepting pauses when the process is out of file descriptors (accept would fail at once again). */
    private static final long ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ServerSocketChannel server;
    private final IoLoop acceptor;
    private final IoLoops loops;
    private final Consumer<ChannelLink> accepted;
    private final InetSocketAddress localAddress;
    private SelectionKey key;
    /** Accepts that failed in a row (the accepting loop's thread only, like the two below). */
    private long failedAccepts;
    /** Whether this run of failures was logged; at most one is per {@link #WARNING_INTERVAL_NANOS}. */
    private boolean warned;
    private long lastWarning;

    private TcpListener(ServerSocketChannel server, IoLoops loops, Consumer<ChannelLink> accepted)
            throws IOException {
        this.server = server;
        this.loops = loops;
        this.acceptor = loops.first();
        this.accepted = accepted;
        this.localAddress = (InetSocketAddress) server.getLocalAddress();
    }

    /**
     * Binds {@code host:port} with listen(2)'s {@code backlog}, or fails with the reason it cannot; once
     * {@link #accept} is called, each accepted link goes to {@code accepted}, on the accepting loop's thread. Until
     * then connections wait in the backlog: a broker binds every port first, so that a port taken fails start-up at
     * once, and opens them after its warm-up.
     */
    public static TcpListener bind(String host, int port, int backlog, IoLoops loops, Consumer<ChannelLink> accepted)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), backlog);
            server.configureBlocking(false);
            return new TcpListener(server, loops, accepted);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Starts accepting; returns this listener. */
    public TcpListener accept() throws IOException {
        CompletableFuture<Void> registered = new CompletableFuture<>();
        acceptor.execute(() -> {
            try {
                key = acceptor.register(server, SelectionKey.OP_ACCEPT, this);
                registered.complete(null);
            } catch (IOException | RuntimeException e) {
                registered.completeExceptionally(e);
            }
        });
        try {
            registered.join();
        } catch (java.util.concurrent.CompletionException e) {
            server.close();
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        return this;
    }

    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Stops accepting and closes the port; links already accepted are not affected. */
    public CompletionStage<Void> unbind() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        acceptor.execute(() -> {
            if (key != null) {
                key.cancel();
            }
            try {
                server.close();
            } catch (IOException e) {
                log.debug("closing {}: {}", localAddress, e.toString());
            }
            done.complete(null);
        });
        return done;
    }

    @Override
    public void ready(SelectionKey key) {
        for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
                // Typically out of file descriptors: accept fails at once again, so wait before the next try.
                failedAccepts++;
                long now = System.nanoTime();
                if (!warned && (lastWarning == 0 || now - lastWarning > WARNING_INTERVAL_NANOS)) {
                    warned = true;
                    lastWarning = now;
                    log.warn("accepting on {} failed: {}; retrying every {} ms (raise the open files limit, "
                            + "ulimit -n, above courier.limits.max-connections)", localAddress, e.toString(),
                            TimeUnit.NANOSECONDS.toMillis(ACCEPT_BACKOFF_NANOS));
                }
                key.interestOps(0);
                acceptor.schedule(ACCEPT_BACKOFF_NANOS, () -> {
                    if (key.isValid()) {
                        key.interestOps(SelectionKey.OP_ACCEPT);
                    }
                });
                return;
            }
            if (channel == null) {
                return;
            }
            if (warned) {
                log.warn("accepting on {} again, after {} failed tries", localAddress, failedAccepts);
                warned = false;
            }
            failedAccepts = 0;
            handOver(channel);
        }
    }

    private void handOver(SocketChannel channel) {
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
            accepted.accept(ChannelLink.accepted(channel, remote, loops.next()));
        } catch (IOException e) {
            // Reset before it could be handed over: nothing of it exists yet.
            try {
                channel.close();
            } catch (IOException ignored) {
                // Already gone.
            }
        }
    }
}
