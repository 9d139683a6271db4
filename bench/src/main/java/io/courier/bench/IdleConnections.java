package io.courier.bench;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The "idle connections with heartbeats" scenario: open N connections to a broker, complete each one's handshake,
 * keep them all idle but alive (answering or sending the protocol's heartbeats) for a hold period, and sample the
 * broker's resident memory (VmRSS of its process) when idle, once all are connected, and at the end of the hold.
 *
 * <p>One thread and one {@link Selector} drive every socket. Connects are non-blocking and paced: at most
 * {@value #MAX_IN_FLIGHT} connections are between the connect call and the end of their handshake at any time,
 * so no listen backlog of 100 or more overflows (Mosquitto's is 100; an overflow drops the SYN and costs the client
 * a 1 s retransmit, which would measure the kernel rather than the broker). A connection the broker closes is counted and its reason
 * kept; nothing is retried. Every socket is closed when the run ends, also on failure.
 */
public final class IdleConnections {

    /** The wire protocol spoken to the broker. */
    public enum Protocol { COURIER, NATS, MQTT }

    /** The moments the broker is measured at; the {@code atPhase} hook runs at each, e.g. to read a JVM's heap. */
    public enum Phase { IDLE, CONNECTED, END_OF_HOLD }

    /**
     * Heartbeat interval of {@link #run(Protocol, String, int, int, Duration, long)}: asked of a Courier broker in
     * CONNECT; MQTT clients send PINGREQ this often, with a keep-alive of twice it. NATS's is the server's setting.
     */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);

    static final int MAX_IN_FLIGHT = 100;
    private static final long TICK_NANOS = Duration.ofMillis(50).toNanos();
    private static final int MAX_CLOSE_REASONS = 20;

    /** What to run. {@code brokerPid <= 0} skips the memory samples. */
    public record Settings(Protocol protocol, String host, int port, int connections, Duration hold,
                           Duration heartbeat, long brokerPid) {
        public Settings {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535 || connections < 1 || hold.isNegative() || heartbeat.isNegative()
                    || heartbeat.isZero()) {
                throw new IllegalArgumentException("need a port in 1..65535, connections >= 1, hold >= 0 and a "
                        + "positive heartbeat; got port " + port + ", " + connections + " connections, hold " + hold
                        + ", heartbeat " + heartbeat);
            }
        }

        /** How long connecting may take before the stragglers are given up: 30 s plus 10 ms a connection. */
        public Duration connectTimeout() {
            return Duration.ofSeconds(30).plusMillis(10L * connections);
        }
    }

    /**
     * What was measured. Memory figures are bytes of the broker's resident set, -1 when not measured. Heartbeats:
     * {@code serverPingsAnswered} counts the server's PINGs that got a PONG (Courier, NATS); {@code clientPingsSent}
     * and {@code clientPingsAnswered} the client's own (MQTT PINGREQ and PINGRESP). {@code lost} counts connections
     * the broker closed after their handshake; {@code closeReasons} says why any connection closed before the end.
     */
    public record Result(Settings settings, int opened, int handshakes, int openAtEnd, int lost,
                         long serverPingsAnswered, long clientPingsSent, long clientPingsAnswered,
                         Duration connectTime, long rssIdle, long rssConnected, long rssEnd,
                         Map<String, Integer> closeReasons) {

        public Result {
            closeReasons = Map.copyOf(closeReasons);
        }

        /** Broker RSS added per connection once all were connected, or -1 when not measured. */
        public long rssPerConnection() {
            return rssIdle < 0 || rssConnected < 0 || handshakes == 0 ? -1 : (rssConnected - rssIdle) / handshakes;
        }

        /** A few lines for people. */
        public String format() {
            StringBuilder b = new StringBuilder();
            b.append(String.format("idle connections, %s at %s:%d: %d connections, hold %.1f s, heartbeat %.1f s%n",
                    settings.protocol(), settings.host(), settings.port(), settings.connections(),
                    settings.hold().toMillis() / 1000.0, settings.heartbeat().toMillis() / 1000.0));
            b.append(String.format("  opened %d, handshakes %d in %.2f s, open at end of hold %d, lost %d%n",
                    opened, handshakes, connectTime.toMillis() / 1000.0, openAtEnd, lost));
            b.append(String.format("  heartbeats: server PINGs answered %d; client PINGs sent %d, answered %d%n",
                    serverPingsAnswered, clientPingsSent, clientPingsAnswered));
            if (rssIdle >= 0) {
                b.append(String.format("  broker RSS: idle %s, all connected %s, end of hold %s; %s per connection%n",
                        mib(rssIdle), mib(rssConnected), mib(rssEnd),
                        rssPerConnection() < 0 ? "n/a" : String.format("%.1f KiB", rssPerConnection() / 1024.0)));
            }
            closeReasons.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                    b.append(String.format("  closed early (%d): %s%n", e.getValue(), e.getKey())));
            return b.toString();
        }

        @Override
        public String toString() {
            return format();
        }

        private static String mib(long bytes) {
            return bytes < 0 ? "n/a" : String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
        }
    }

    private IdleConnections() {
    }

    /** Runs the scenario with the {@link #DEFAULT_HEARTBEAT}. */
    public static Result run(Protocol protocol, String host, int port, int connections, Duration hold,
                             long brokerPid) throws IOException {
        return run(new Settings(protocol, host, port, connections, hold, DEFAULT_HEARTBEAT, brokerPid), phase -> { });
    }

    /**
     * Runs the scenario. {@code atPhase} is called on this thread at each {@link Phase}, right after the RSS sample
     * and while the connections are held (for example to read a JVM broker's heap or its connection count).
     *
     * @throws IOException when the selector cannot be opened or the broker process cannot be read at the start
     */
    public static Result run(Settings settings, Consumer<Phase> atPhase) throws IOException {
        long rssIdle = rss(settings.brokerPid());
        if (settings.brokerPid() > 0 && rssIdle < 0) {
            throw new IOException("cannot read the memory of broker process " + settings.brokerPid()
                    + " from /proc/" + settings.brokerPid() + "/status: is that the broker's pid?");
        }
        atPhase.accept(Phase.IDLE);
        IdleLink[] links = new IdleLink[settings.connections()];
        try (Selector selector = Selector.open()) {
            SelectorLoop loop = new SelectorLoop(selector, links);
            long start = System.nanoTime();
            loop.open(settings, start + settings.connectTimeout().toNanos());
            Duration connectTime = Duration.ofNanos(System.nanoTime() - start);
            long rssConnected = rss(settings.brokerPid());
            atPhase.accept(Phase.CONNECTED);
            loop.hold(System.nanoTime() + settings.hold().toNanos());
            long rssEnd = rss(settings.brokerPid());
            atPhase.accept(Phase.END_OF_HOLD);
            return tally(settings, links, connectTime, rssIdle, rssConnected, rssEnd);
        } finally {
            for (IdleLink link : links) {
                if (link != null) {
                    link.close("closed by the benchmark");
                }
            }
        }
    }

    private static Result tally(Settings settings, IdleLink[] links, Duration connectTime, long rssIdle,
                                long rssConnected, long rssEnd) {
        int opened = 0;
        int handshakes = 0;
        int openAtEnd = 0;
        int lost = 0;
        long serverPings = 0;
        long clientPings = 0;
        long clientPongs = 0;
        Map<String, Integer> reasons = new TreeMap<>();
        for (IdleLink link : links) {
            opened += link.wasConnected() ? 1 : 0;
            openAtEnd += link.isOpen() ? 1 : 0;
            lost += link.closedAfterHandshake() ? 1 : 0;
            handshakes += link.isOpen() || link.closedAfterHandshake() ? 1 : 0;
            serverPings += link.serverPingsAnswered;
            clientPings += link.clientPingsSent;
            clientPongs += link.clientPingsAnswered;
            if (link.closeReason() != null) {
                String reason = reasons.size() < MAX_CLOSE_REASONS || reasons.containsKey(link.closeReason())
                        ? link.closeReason() : "(other reasons)";
                reasons.merge(reason, 1, Integer::sum);
            }
        }
        return new Result(settings, opened, handshakes, openAtEnd, lost, serverPings, clientPings, clientPongs,
                connectTime, rssIdle, rssConnected, rssEnd, reasons);
    }

    /** The selector loop: connect in paced waves, then hold; heartbeats are answered and sent throughout. */
    private static final class SelectorLoop {
        private final Selector selector;
        private final IdleLink[] links;
        private final ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
        private long nextTick = System.nanoTime();

        SelectorLoop(Selector selector, IdleLink[] links) {
            this.selector = selector;
            this.links = links;
        }

        void open(Settings settings, long deadline) throws IOException {
            InetSocketAddress address = new InetSocketAddress(settings.host(), settings.port());
            String runTag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
            int started = 0;
            int low = 0;                                        // links below it have all settled
            while (true) {
                while (low < started && settled(links[low])) {
                    low++;
                }
                int inFlight = 0;
                for (int i = low; i < started; i++) {
                    inFlight += settled(links[i]) ? 0 : 1;
                }
                if (started == links.length && inFlight == 0 || System.nanoTime() - deadline >= 0) {
                    break;
                }
                for (; started < links.length && inFlight < MAX_IN_FLIGHT; started++) {
                    IdleLink link = newLink(settings, started, runTag);
                    links[started] = link;
                    link.connect(selector, address, System.nanoTime());
                    inFlight += settled(link) ? 0 : 1;
                }
                step(deadline);
            }
            for (int i = 0; i < started; i++) {
                if (!settled(links[i])) {
                    links[i].close("no handshake within " + settings.connectTimeout().toSeconds() + " s");
                }
            }
            for (int i = started; i < links.length; i++) {
                links[i] = newLink(settings, i, runTag);
                links[i].close("not started: connecting took longer than " + settings.connectTimeout().toSeconds()
                        + " s");
            }
        }

        void hold(long end) throws IOException {
            while (System.nanoTime() - end < 0) {
                step(end);
            }
        }

        /** Waits for socket events up to the next tick (or {@code until}), handles them, and ticks when due. */
        private void step(long until) throws IOException {
            if (Thread.interrupted()) {
                throw new InterruptedIOException("idle-connections run interrupted");
            }
            long now = System.nanoTime();
            long waitNanos = Math.max(0, Math.min(nextTick, until) - now);
            long waitMillis = Math.max(1, (waitNanos + 999_999) / 1_000_000);
            selector.select(key -> ((IdleLink) key.attachment()).selected(scratch, System.nanoTime()), waitMillis);
            now = System.nanoTime();
            if (now - nextTick >= 0) {
                for (IdleLink link : links) {
                    if (link != null) {
                        link.tick(now);
                    }
                }
                nextTick = now + TICK_NANOS;
            }
        }

        private static boolean settled(IdleLink link) {
            return link.state() == IdleLink.State.OPEN || link.state() == IdleLink.State.CLOSED;
        }

        private static IdleLink newLink(Settings settings, int index, String runTag) {
            return switch (settings.protocol()) {
                case COURIER -> new IdleCourierLink(index, settings.heartbeat());
                case NATS -> new IdleNatsLink(index);
                case MQTT -> new IdleMqttLink(index, runTag, settings.heartbeat());
            };
        }
    }

    /** VmRSS of process {@code pid} in bytes; -1 when {@code pid <= 0} or the process cannot be read. */
    static long rss(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String kib = line.substring("VmRSS:".length()).replace("kB", "").trim();
                    return Long.parseLong(kib) * 1024;
                }
            }
            return -1;
        } catch (IOException e) {
            return -1;                                          // gone, or not ours to read: no sample
        }
    }
}
