package io.courier.bench.hardening;

import io.courier.protocol.Err;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.FrameType;
import io.courier.protocol.Publish;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * 300 connections that each send the first 1,000,000 bytes of a PUB whose length field says 1,048,600 and then hold
 * the socket open, never finishing it; meanwhile a fresh client tries the full handshake every second. Shows
 * whether unfinished frames can exhaust the broker's memory or starve new clients, and what the broker does to the
 * holders. {@code --after-connect}: the holders complete CONNECT first. One selector thread drives all holders
 * (non-blocking, so a broker that stops reading stalls nothing but those writes).
 */
@Command(name = "partial", mixinStandardHelpOptions = true,
        description = "300 connections each hold an unfinished PUB (1,000,000 of 1,048,600 bytes); handshake probes every 1 s.")
final class PartialScenario implements Callable<Integer> {

    /** Frame length 1,048,600 = type 1 + topic 2+13 + reply 2 + headers 2 + payload 4+1,048,576 (max payload). */
    static final String TOPIC = "partial.topic";
    static final int FRAME_LENGTH = 1_048_600;

    @Mixin
    Target target;

    @Option(names = "--after-connect", description = "holders send CONNECT (and read CONNECTED) before the partial PUB")
    boolean afterConnect;

    @Option(names = "--connections", defaultValue = "300", description = "default: ${DEFAULT-VALUE}")
    int connections;

    @Option(names = "--bytes", defaultValue = "1000000", description = "bytes of the PUB each holder sends (default: ${DEFAULT-VALUE})")
    int prefixBytes;

    @Option(names = "--seconds", defaultValue = "40", description = "default: ${DEFAULT-VALUE}")
    int seconds;

    private enum Phase { CONNECTING, AWAITING_CONNECTED, SENDING, HOLDING, ENDED }

    /** One holder connection, owned by the selector thread. */
    private final class Holder {
        final int index;
        final SocketChannel channel;
        final FrameDecoder decoder = new FrameDecoder(RawLink.MAX_FRAME);
        final List<String> errors = new ArrayList<>();
        Phase phase = Phase.CONNECTING;
        ByteBuffer outbound;
        long sent;
        String fate = "open";
        long endedAtNanos;

        Holder(int index, SocketChannel channel) {
            this.index = index;
            this.channel = channel;
        }

        void end(String how) {
            if (phase != Phase.ENDED) {
                fate = how;
                phase = Phase.ENDED;
                endedAtNanos = System.nanoTime();
            }
        }
    }

    private record Probe(double atSeconds, long micros, String error) { }

    @Override
    public Integer call() throws Exception {
        Figures f = target.begin("partial", afterConnect ? "after-connect" : "before-connect");
        BrokerProcess broker = target.broker();
        InetSocketAddress address = target.address();
        byte[] prefix = pubPrefix(prefixBytes);
        byte[] connect = FrameCodec.encode(RawLink.connectFrame("partial-holder"));
        f.say(connections + " holders send " + prefix.length + " of " + (FrameCodec.LENGTH_BYTES + FRAME_LENGTH)
                + " bytes of a PUB" + (afterConnect ? " after CONNECT" : " without CONNECT") + ", then hold for "
                + seconds + " s; a handshake probe every 1 s");

        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(seconds).toNanos();
        ConcurrentLinkedQueue<Probe> probes = new ConcurrentLinkedQueue<>();
        // One probe per second, each on its own thread: a probe that hangs for its 10 s does not delay the next.
        ScheduledExecutorService prober = Executors.newScheduledThreadPool(12, r -> {
            Thread t = new Thread(r, "partial-probe");
            t.setDaemon(true);
            return t;
        });
        for (int i = 1; i <= seconds; i++) {
            prober.schedule(() -> probes.add(probe(address, start)), i, TimeUnit.SECONDS);
        }

        Selector selector = Selector.open();
        List<Holder> holders = new ArrayList<>();
        int connectFailures = 0;
        for (int i = 0; i < connections; i++) {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Holder h = new Holder(i, ch);
            holders.add(h);
            try {
                if (ch.connect(address)) {
                    started(h, connect, prefix);
                    ch.register(selector, interest(h), h);
                } else {
                    ch.register(selector, SelectionKey.OP_CONNECT, h);
                }
            } catch (IOException e) {
                h.end("connect-failed");
                connectFailures++;
            }
        }

        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        long nextReport = start + 10_000_000_000L;
        double diedAt = -1;
        while (System.nanoTime() < deadline) {
            selector.select(100);
            for (SelectionKey key : selector.selectedKeys()) {
                Holder h = (Holder) key.attachment();
                try {
                    if (key.isValid() && key.isConnectable()) {
                        h.channel.finishConnect();
                        started(h, connect, prefix);
                    }
                    if (key.isValid() && key.isReadable()) {
                        read(h, in, prefix);
                    }
                    if (key.isValid() && key.isWritable() && h.outbound != null) {
                        h.sent += h.channel.write(h.outbound);
                        if (!h.outbound.hasRemaining()) {
                            h.outbound = null;
                            if (h.phase == Phase.SENDING) {
                                h.phase = Phase.HOLDING;
                            }
                        }
                    }
                } catch (IOException e) {
                    h.end(h.phase == Phase.CONNECTING ? "connect-failed" : "reset");
                }
                if (h.phase == Phase.ENDED) {
                    key.cancel();
                } else if (key.isValid()) {
                    key.interestOps(interest(h));
                }
            }
            selector.selectedKeys().clear();
            long now = System.nanoTime();
            if (now >= nextReport) {
                nextReport += 10_000_000_000L;
                f.say(String.format("t=%.0fs holding=%d ended=%d probes=%d broker_rss_mib=%d",
                        Figures.seconds(start, now), count(holders, Phase.HOLDING), count(holders, Phase.ENDED),
                        probes.size(), broker.rssKiB() / 1024));
            }
            if (!broker.alive()) {
                diedAt = Figures.seconds(start, now);
                f.say("the broker died at t=" + String.format("%.1f", diedAt) + " s");
                break;
            }
        }
        prober.shutdownNow();
        BrokerProcess.Memory memory = broker.memory();
        if (!prober.awaitTermination(12, TimeUnit.SECONDS)) {
            f.say("a handshake probe was still running when the scenario ended");
        }
        for (Holder h : holders) {
            h.channel.close();
        }
        selector.close();

        Histogram handshakes = new Histogram(3);
        List<String> probeErrors = new ArrayList<>();
        for (Probe p : probes) {
            if (p.error() == null) {
                handshakes.recordValue(p.micros());
            } else {
                probeErrors.add(p.error());
                if (probeErrors.size() <= 4) {
                    f.say(String.format("probe at t=%.1fs failed after %d ms: %s", p.atSeconds(), p.micros() / 1000,
                            p.error()));
                }
            }
        }
        if (probeErrors.size() > 4) {
            f.say("... and " + (probeErrors.size() - 4) + " more failed probes");
        }
        List<String> holderErrors = new ArrayList<>();
        List<String> fates = new ArrayList<>();
        long closedByBroker = 0;
        long sentAll = 0;
        long bytes = 0;
        double firstClose = -1;
        double lastClose = -1;
        for (Holder h : holders) {
            holderErrors.addAll(h.errors);
            fates.add(h.fate);
            bytes += h.sent;
            if (h.sent >= (afterConnect ? connect.length : 0) + prefix.length) {
                sentAll++;
            }
            if (h.fate.equals("eof") || h.fate.equals("reset")) {
                closedByBroker++;
                double at = Figures.seconds(start, h.endedAtNanos);
                firstClose = firstClose < 0 ? at : Math.min(firstClose, at);
                lastClose = Math.max(lastClose, at);
            }
        }
        f.say(String.format("holders: %d sent all their bytes (%.0f MB in all); closed by the broker: %d (first "
                        + "at %.1f s, last at %.1f s); ERR codes: %s", sentAll, bytes / 1e6, closedByBroker,
                firstClose, lastClose, Figures.tally(holderErrors)));
        f.put("handshakes_ok", handshakes.getTotalCount()).put("handshakes_failed", probeErrors.size())
                .put("handshake_max_ms", handshakes.getTotalCount() == 0 ? "na"
                        : String.format("%.1f", handshakes.getMaxValue() / 1000.0))
                .put("handshake_p50_ms", handshakes.getTotalCount() == 0 ? "na"
                        : String.format("%.1f", handshakes.getValueAtPercentile(50) / 1000.0))
                .put("probe_errors", Figures.tally(probeErrors.stream().map(PartialScenario::shortError).toList()))
                .put("holders", connections).put("holder_connect_failures", connectFailures)
                .put("holders_sent_all", sentAll).put("holder_mb_sent", bytes / 1e6)
                .put("holders_closed_by_broker", closedByBroker).put("holder_fates", Figures.tally(fates))
                .put("holder_errs", Figures.tally(holderErrors))
                .put("first_close_s", firstClose).put("last_close_s", lastClose).put("broker_died_at_s", diedAt);
        broker.report(f, memory);
        f.print();
        return 0;
    }

    /** The first {@code n} bytes of a PUB to {@value #TOPIC} with length field {@value #FRAME_LENGTH}. */
    static byte[] pubPrefix(int n) {
        int payload = FRAME_LENGTH - 1 - FrameCodec.deliverySize(TOPIC, "", Map.of(), 0);
        Publish pub = new Publish(TOPIC, new byte[payload]);
        if (FrameCodec.encodedSize(pub) != FrameCodec.LENGTH_BYTES + FRAME_LENGTH) {
            throw new IllegalStateException("PUB length field is not " + FRAME_LENGTH);
        }
        byte[] whole = FrameCodec.encode(pub);
        return Arrays.copyOf(whole, Math.min(n, whole.length - 1));
    }

    private void started(Holder h, byte[] connect, byte[] prefix) {
        if (afterConnect) {
            h.phase = Phase.AWAITING_CONNECTED;
            h.outbound = ByteBuffer.wrap(connect);
        } else {
            h.phase = Phase.SENDING;
            h.outbound = ByteBuffer.wrap(prefix);
        }
    }

    private void read(Holder h, ByteBuffer in, byte[] prefix) throws IOException {
        in.clear();
        int n = h.channel.read(in);
        if (n < 0) {
            h.end("eof");
            return;
        }
        in.flip();
        boolean[] connected = new boolean[1];
        FrameCodec.Decoded.Failure failure = h.decoder.decode(in, frame -> {
            if (frame instanceof Err err) {
                h.errors.add(RawLink.errName(err));
            } else if (frame.type() == FrameType.CONNECTED) {
                connected[0] = true;
            }
        });
        if (failure != null) {
            h.end("undecodable");
        } else if (connected[0] && h.phase == Phase.AWAITING_CONNECTED) {
            h.phase = Phase.SENDING;
            h.outbound = ByteBuffer.wrap(prefix);
        }
    }

    private static int interest(Holder h) {
        return SelectionKey.OP_READ | (h.outbound != null && h.outbound.hasRemaining() ? SelectionKey.OP_WRITE : 0);
    }

    private static long count(List<Holder> holders, Phase phase) {
        return holders.stream().filter(h -> h.phase == phase).count();
    }

    /** A fresh client's full handshake: connect, CONNECT, CONNECTED; how long it took or why it failed. */
    private static Probe probe(InetSocketAddress address, long start) {
        long t0 = System.nanoTime();
        double at = Figures.seconds(start, t0);
        try (RawLink link = RawLink.connect(address, "partial-probe", 0)) {
            return new Probe(at, (System.nanoTime() - t0) / 1000, null);
        } catch (IOException | RuntimeException e) {
            return new Probe(at, (System.nanoTime() - t0) / 1000, String.valueOf(e.getMessage()));
        }
    }

    private static String shortError(String message) {
        String s = message.replaceAll("[^A-Za-z_]+", "-");
        return s.length() > 40 ? s.substring(0, 40) : s;
    }
}
