package io.courier.broker;

import com.sun.management.UnixOperatingSystemMXBean;
import io.courier.broker.auth.AuthSettings;
import io.courier.broker.auth.Authenticator;
import io.courier.broker.cluster.ClusterNode;
import io.courier.broker.session.ConnectionsSupervisor;
import io.courier.broker.transport.tcp.IoLoops;
import io.courier.broker.transport.tcp.TcpListener;
import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.FrameType;
import io.courier.protocol.Ping;
import io.courier.protocol.Subscribe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the client handshake through this broker's own code before the client port opens, so that the first storm
 * of clients (a node's clients moving to it when the node dies, everyone reconnecting after a restart) meets compiled
 * code rather than the interpreter: a freshly started JVM accepted about half as many handshakes a second as
 * {@code nats-server}, its JIT compiler threads taking 38-58% of its CPU, until some 20,000 handshakes had gone
 * through (docs/performance.md, "Cold handshakes").
 *
 * <p>Real loopback connections, in waves held open and then closed ({@link Probes}), at least
 * {@code courier.warm-up.handshakes} of them and on while the JIT is busy, go through the real I/O loops, sessions and
 * connection actors, but on a private listener of its own (an ephemeral port on the loopback interface, closed
 * afterwards) with a {@link BrokerState}, supervisor and authenticator of its own that are thrown away: no counter,
 * metric, system event, subscription or failed-login record of the real broker sees them, and the real auth settings
 * do not apply (nobody but this process is meant to connect to the private port; whoever does reaches only the
 * throwaway router, for the few seconds it is open). Bounded by {@code courier.warm-up.max-time}; a warm-up that
 * fails is logged and start-up goes on.
 */
final class WarmUp {

    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
    /** The JIT's work is the process's: a second broker in this JVM has nothing to gain. */
    private static final AtomicBoolean RAN = new AtomicBoolean();
    private static final int MAX_IN_FLIGHT = 64;
    /** Links a wave holds open at once: two sockets each in this process. */
    private static final int MAX_WAVE = 2_000;
    private static final int MAX_FRAME = 64 * 1024;
    /** Waves in a row that must spend under a tenth of their time in the JIT before the warm-up may end. */
    private static final int QUIET_WAVES = 2;

    /** {@code failed}: connections that ended without their PONG; {@code firstFailure} says why the first did. */
    record Result(int handshakes, int failed, String firstFailure, long millis, InetSocketAddress listener) { }

    private WarmUp() { }

    /** Warms up once per JVM, when {@code courier.warm-up.handshakes} is above 0. */
    static void once(ActorSystem<?> system, BrokerSettings settings, IoLoops loops) {
        if (settings.warmUpHandshakes() == 0 || !RAN.compareAndSet(false, true)) {
            return;
        }
        try {
            Result r = run(system, settings, loops, settings.warmUpHandshakes(), settings.warmUpMaxTime());
            if (r.failed() == 0) {
                log.info("warmed up in {} ms: {} handshakes on the private port {}:{}, closed; none kept "
                        + "(courier.warm-up)", r.millis(), r.handshakes(), r.listener().getHostString(),
                        r.listener().getPort());
            } else {
                log.warn("warmed up in {} ms: {} handshakes, {} of them failed, the first: {} (courier.warm-up)",
                        r.millis(), r.handshakes(), r.failed(), r.firstFailure());
            }
        } catch (Exception e) {
            log.warn("warm-up skipped: {} (courier.warm-up)", e.toString());
        }
    }

    static Result run(ActorSystem<?> system, BrokerSettings settings, IoLoops loops, int handshakes,
                      Duration maxTime) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long deadline = start + maxTime.toNanos();
        BrokerState state = BrokerState.of(settings, new Authenticator(AuthSettings.anonymousOnly()));
        String loopback = InetAddress.getLoopbackAddress().getHostAddress();
        CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
        // A supervisor of its own, left idle afterwards rather than stopped: no connection outlives the warm-up,
        // and stopping a parent is a path the broker's real actors rarely take, on which the JIT would throw away
        // code it compiled here (seen with -XX:+PrintCompilation).
        ActorRef<ConnectionsSupervisor.Command> connections = system.systemActorOf(
                ConnectionsSupervisor.create(settings, state.stats(), state.router(), state.capacity(), state.udp(),
                        new Broker.AdvertisedServers(settings, bound, new ClusterNode.View())),
                "courier-warm-up", Props.empty());
        TcpListener listener = null;
        try {
            listener = TcpListener.bind(loopback, 0, settings.listenBacklog(), loops,
                    ConnectionsSupervisor.accepting(connections)).accept();
            InetSocketAddress at = listener.localAddress();
            bound.complete(at);
            // Start-up pauses here for seconds: say why, so that nobody takes it for a hang.
            log.info("warming up before the client ports open: at least {} handshakes, at most {} ms, on the private "
                    + "port {}:{} (courier.warm-up)", handshakes, maxTime.toMillis(), at.getHostString(), at.getPort());
            // Within the broker's own limits for one address, so that nothing is refused or evicted.
            int wave = Math.max(1, Math.min(Math.min(MAX_WAVE, freeDescriptors() / 4),
                    Math.min(settings.maxConnectionsPerAddress(), settings.maxConnections()) / 2));
            int window = Math.max(1, Math.min(Math.min(MAX_IN_FLIGHT, wave), Math.min(
                    settings.maxHandshakingPerAddress(), settings.maxHandshaking())));
            Probes probes = new Probes(at, handshakes, wave, window, deadline);
            probes.run();
            // The broker closes each link when it reads the client's close: let the last of those finish.
            while (state.stats().connections() > 0 && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(2)) {
                Thread.sleep(10);
            }
            return new Result(probes.finished, probes.failed, probes.firstFailure,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), at);
        } finally {
            if (listener != null) {
                listener.unbind().toCompletableFuture().join();
            }
            // Anything still open (a stranger on the private port) is closed as at a graceful stop.
            connections.tell(new ConnectionsSupervisor.Drain(system.ignoreRef()));
            state.capacity().auth().close();
        }
    }

    /**
     * File descriptors this process may still open (each held link takes two: the probe's socket and the broker's);
     * unbounded when the platform does not say.
     */
    private static int freeDescriptors() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
            return (int) Math.min(Integer.MAX_VALUE, os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount());
        }
        return Integer.MAX_VALUE;
    }

    /**
     * The client side, on one selector on the calling thread, in waves shaped like a reconnect storm: a wave opens
     * {@code wave} connections, at most {@code window} of them in the handshake at once, holds each open once its PONG
     * came (thousands of links open at once take paths a few do not: a large child map, a full handshake budget,
     * thousands of timers), then closes them all. Waves go on until {@code handshakes} are done and the JIT has gone
     * quiet (two waves in a row under a tenth of their time spent compiling), or the deadline: on a small machine the
     * one C2 compiler thread falls behind, and a method waiting in its queue is compiled only when it is next called.
     */
    private static final class Probes {
        /** Each ends with a PING: the PONG says the broker has handled what came before it. */
        private static final List<byte[]> HELLOS = hellos();

        private final InetSocketAddress at;
        private final int handshakes;
        private final int wave;
        private final int window;
        private final long deadline;
        private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        private final ByteBuffer in = ByteBuffer.allocate(8 * 1024);
        int finished;
        int failed;
        String firstFailure;
        private int handshaking;

        Probes(InetSocketAddress at, int handshakes, int wave, int window, long deadline) {
            this.at = at;
            this.handshakes = handshakes;
            this.wave = wave;
            this.window = window;
            this.deadline = deadline;
        }

        void run() throws IOException {
            int quietWaves = 0;
            try (Selector selector = Selector.open()) {
                while (System.nanoTime() < deadline) {
                    long waveStart = System.nanoTime();
                    long compiling = compileMillis();
                    runWave(selector);
                    for (SelectionKey key : selector.keys()) {
                        key.channel().close();
                    }
                    selector.selectNow();
                    long waveMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waveStart);
                    quietWaves = compiling < 0 || compileMillis() - compiling < waveMillis / 10 ? quietWaves + 1 : 0;
                    // Two quiet waves in a row: one alone came while C2 happened to be between methods still
                    // queued for it (two runs that stopped at 22,000 handshakes met their first clients at 0.66
                    // and 0.77 of NATS's rate, one that went on to 52,000 at 0.97).
                    if (finished >= handshakes && quietWaves >= QUIET_WAVES) {
                        return;
                    }
                }
            }
        }

        private void runWave(Selector selector) throws IOException {
            int opened = 0;
            handshaking = 0;
            while ((opened < wave || handshaking > 0) && System.nanoTime() < deadline) {
                while (handshaking < window && opened < wave) {
                    open(selector);
                    opened++;
                }
                selector.select(100);
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    String outcome = ((Probe) key.attachment()).ready(key, in);
                    if (outcome != null) {
                        end(key, outcome);
                    }
                }
            }
        }

        private long compileMillis() {
            return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
        }

        private void open(Selector selector) throws IOException {
            SocketChannel channel = SocketChannel.open();
            try {
                channel.configureBlocking(false);
                boolean connected = channel.connect(at);
                channel.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT,
                        new Probe(HELLOS.get(finished % HELLOS.size())));
                handshaking++;
            } catch (IOException e) {
                channel.close();
                finished++;
                fail(e.toString());
            }
        }

        /** The PONG came (outcome ""): hold the link until the wave ends. Anything else: close it now. */
        private void end(SelectionKey key, String outcome) throws IOException {
            handshaking--;
            finished++;
            if (outcome.isEmpty()) {
                key.interestOps(0);
            } else {
                key.cancel();
                key.channel().close();
                fail(outcome);
            }
        }

        private void fail(String why) {
            failed++;
            if (firstFailure == null) {
                firstFailure = why;
            }
        }

        /**
         * What the probes send, varied as real clients vary (a heartbeat of their own or the broker's, no-echo,
         * subscriptions, a queue group, none): compiled code that only ever saw one kind of client is thrown away when
         * the first other kind connects.
         */
        private static List<byte[]> hellos() {
            List<List<Frame>> kinds = List.of(
                    List.of(connect(0, false), Ping.INSTANCE),
                    List.of(connect(30_000, false), new Subscribe(1, "courier.warm-up.probe", "", false),
                            Ping.INSTANCE),
                    List.of(connect(5_000, true), new Subscribe(1, "courier.warm-up.>", "probes", false),
                            new Subscribe(2, "courier.warm-up.*", "", false), Ping.INSTANCE),
                    List.of(connect(10_000, false), Ping.INSTANCE));
            return kinds.stream().map(frames -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                frames.forEach(frame -> out.writeBytes(FrameCodec.encode(frame)));
                return out.toByteArray();
            }).toList();
        }

        private static Connect connect(int heartbeatMillis, boolean noEcho) {
            return new Connect(FrameCodec.VERSION, "courier-warm-up", Version.CURRENT, "", "", heartbeatMillis,
                    noEcho);
        }
    }

    /** One connection: writes its hello, reads until the PONG. */
    private static final class Probe {
        private final ByteBuffer out;
        private final FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
        /** Null while the link goes on; "" once the PONG came; else why it ended without one. */
        private String outcome;

        Probe(byte[] hello) {
            this.out = ByteBuffer.wrap(hello);
        }

        String ready(SelectionKey key, ByteBuffer in) {
            SocketChannel channel = (SocketChannel) key.channel();
            try {
                if (key.isConnectable()) {
                    if (!channel.finishConnect()) {
                        return null;
                    }
                    key.interestOps(SelectionKey.OP_WRITE);
                }
                if (key.isWritable() || key.interestOps() == SelectionKey.OP_WRITE) {
                    channel.write(out);
                    if (!out.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                    return null;
                }
                in.clear();
                if (channel.read(in) < 0) {
                    return "the broker closed the connection before its PONG";
                }
                in.flip();
                FrameCodec.Decoded.Failure failure = decoder.decode(in, this::onFrame);
                return failure != null ? "undecodable frame: " + failure.reason() : outcome;
            } catch (IOException e) {
                return e.toString();
            }
        }

        private void onFrame(Frame frame) {
            if (outcome != null) {
                return;
            }
            if (frame.type() == FrameType.PONG) {
                outcome = "";
            } else if (frame.type() == FrameType.ERR) {
                Err err = (Err) frame;
                outcome = "ERR " + err.code() + " " + err.reason();
            }
        }
    }
}
