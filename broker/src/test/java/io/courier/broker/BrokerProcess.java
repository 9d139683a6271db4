package io.courier.broker;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.remote.RemoteActorRefProvider;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A broker in a JVM of its own, for tests where the broker's memory is the point (a small {@code -Xmx}) or where it
 * must be killed or signalled. Started from this module's test classpath; always killed by {@link #close}.
 */
final class BrokerProcess implements AutoCloseable {

    private static final String PORT_LINE = "courier-test-broker-port ";
    private static final String REPLY_LINE = "courier-test-broker-reply ";

    private final Process process;
    private final java.io.OutputStream commands;
    private final InetSocketAddress address;
    private final StringBuffer output = new StringBuffer();

    private BrokerProcess(Process process, InetSocketAddress address, BufferedReader reader, CharSequence before) {
        this.process = process;
        this.commands = process.getOutputStream();
        this.address = address;
        output.append(before);
        Thread pump = new Thread(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                output.append("(output ended: ").append(e).append(")\n");
            }
        }, "broker-process-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts a broker on 127.0.0.1, an ephemeral port, with {@code config} (HOCON) and the given JVM options. */
    static BrokerProcess start(String config, String... jvmOptions) throws IOException, InterruptedException {
        return start(config, line -> { }, jvmOptions);
    }

    /**
     * As {@link #start(String, String...)}, handing {@code startingUp} each line the broker prints before it listens,
     * as it is printed (on a thread of its own: a test acts on what start-up says while it goes on).
     */
    static BrokerProcess start(String config, java.util.function.Consumer<String> startingUp, String... jvmOptions)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BrokerProcess.class.getName());
        // No start-up warm-up unless the test asks for one (WarmUpTest): it would add seconds of CPU per process.
        command.add("courier.port = 0\ncourier.host = \"127.0.0.1\"\ncourier.warm-up.handshakes = 0\n" + config);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        StringBuffer seen = new StringBuffer();
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith(PORT_LINE)) {
                        return Integer.parseInt(line.substring(PORT_LINE.length()).trim());
                    }
                    seen.append(line).append('\n');
                    startingUp.accept(line);
                }
                throw new IllegalStateException("broker process ended before listening:\n" + seen);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            return new BrokerProcess(process, new InetSocketAddress("127.0.0.1", port.get(30, TimeUnit.SECONDS)),
                    reader, seen);
        } catch (Exception e) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("broker process did not start", e);
        }
    }

    InetSocketAddress address() {
        return address;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** What the broker printed so far (its log). */
    String output() {
        return output.toString();
    }

    /** Sends SIGTERM and waits for the process to end; returns its exit code, or -1 if it did not end in time. */
    int terminate(long timeoutSeconds) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeoutSeconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        // Kept for when a test fails: target/broker-processes/<pid>.log
        try {
            Path dir = Path.of("target", "broker-processes");
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(dir.resolve(process.pid() + ".log"), output);
        } catch (IOException e) {
            // Only a diagnostic: the test's own outcome stands.
        }
    }

    /**
     * Asks the process for its counters: routed-in, routed-out, route-drops, interest-resyncs, interest-via-route,
     * interest-via-artery, messages-in, accepted (client links since start), connections (open now), peers, reachable, routed (peers whose route link is up), ...
     */
    Map<String, String> stats() throws IOException, InterruptedException {
        return command("stats");
    }

    /**
     * Asks the process what it holds: heap-used (now, garbage included), heap-live (the heap pools' usage after their
     * last collection), heap-max (bytes), connections (past the handshake), queued and unfinished (bytes in the
     * broker-wide budgets), and the counters slow-consumers, frame-timeouts and protocol-errors.
     */
    Map<String, String> resources() throws IOException, InterruptedException {
        return command("resources");
    }

    /** The admin port's {@code path}, when the broker runs with {@code courier.admin.enabled}. */
    Admin.Reply admin(String path) throws IOException, InterruptedException {
        return Admin.get(Integer.parseInt(stats().get("admin-port")), path);
    }

    /**
     * A test-only network switch: the broker's Artery drops everything to and from {@code nodeId} (needs
     * {@code pekko.remote.artery.advanced.test-mode = on} in its configuration).
     */
    void blackhole(String nodeId) throws IOException, InterruptedException {
        command("blackhole " + nodeId);
    }

    /** Undoes {@link #blackhole}: the broker's Artery carries traffic to and from {@code nodeId} again. */
    void heal(String nodeId) throws IOException, InterruptedException {
        command("heal " + nodeId);
    }

    private synchronized Map<String, String> command(String line) throws IOException, InterruptedException {
        int seen = output.length();
        commands.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        commands.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            int at = output.indexOf(REPLY_LINE, seen);
            int end = at < 0 ? -1 : output.indexOf("\n", at);
            if (end > 0) {
                Map<String, String> reply = new java.util.LinkedHashMap<>();
                for (String kv : output.substring(at + REPLY_LINE.length(), end).trim().split(" ")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        reply.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                }
                return reply;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no answer to '" + line + "'; output:\n" + output);
    }

    /**
     * The process's main: a broker with the configuration in {@code args[0]}; answers commands on stdin (see
     * {@link #command}); stops when its stdin closes, and exits when the broker stops by itself (downed).
     */
    public static void main(String[] args) throws Exception {
        Broker broker = Broker.start(ConfigFactory.parseString(args[0]));
        java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();
        // SIGTERM is a graceful stop, as with `courier broker`: exit 0 once the broker has stopped.
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
            signalled.set(true);
            new Thread(() -> {
                broker.stop();
                System.out.println("courier-test-broker-stopped");
                System.out.flush();
                Runtime.getRuntime().halt(0);
            }, "courier-test-stop").start();
        });
        broker.whenTerminated().thenRun(() -> {
            if (signalled.get()) {
                return;
            }
            System.out.println("courier-test-broker-terminated");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        });
        System.out.println(PORT_LINE + broker.address().getPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("stats")) {
                BrokerStats s = broker.stats();
                System.out.println(REPLY_LINE + "routed-in=" + s.routedIn() + " routed-out=" + s.routedOut()
                        + " route-drops=" + s.routeDrops() + " interest-resyncs=" + s.interestResyncs()
                        + " interest-via-route=" + s.interestViaRoute() + " interest-via-artery=" + s.interestViaArtery()
                        + " messages-in=" + s.messagesIn() + " accepted=" + s.accepted()
                        + " connections=" + s.connections()
                        + " peers=" + broker.clusterPeers().size() + " subscriptions=" + broker.subscriptionCount()
                        + " reachable=" + broker.clusterPeers().stream().filter(p -> p.reachable()).count()
                        + " routed=" + broker.clusterPeers().stream().filter(p -> p.routed()).count()
                        + " admin-port=" + broker.adminAddress().map(InetSocketAddress::getPort).orElse(-1)
                        + " route-port=" + broker.routeAddress().map(InetSocketAddress::getPort).orElse(-1)
                        + " udp-in=" + s.udp().datagramsIn() + " udp-out=" + s.udp().datagramsOut()
                        + " udp-unbound=" + s.udp().unbound() + " udp-wrong-source=" + s.udp().wrongSource()
                        + " udp-unknown-token=" + s.udp().unknownToken() + " udp-binds=" + s.udp().binds());
            } else if (line.equals("resources")) {
                Runtime runtime = Runtime.getRuntime();
                long live = 0;
                for (java.lang.management.MemoryPoolMXBean pool
                        : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
                    java.lang.management.MemoryUsage afterGc = pool.getCollectionUsage();
                    if (pool.getType() == java.lang.management.MemoryType.HEAP && afterGc != null) {
                        live += afterGc.getUsed();
                    }
                }
                var capacity = broker.capacity();
                System.out.println(REPLY_LINE + "heap-used=" + (runtime.totalMemory() - runtime.freeMemory())
                        + " heap-live=" + live + " heap-max=" + runtime.maxMemory()
                        + " connections=" + capacity.connections().used() + " queued=" + capacity.queued().used()
                        + " unfinished=" + capacity.unfinished().used()
                        + " udp-waiting=" + capacity.udpWaiting().used()
                        + " udp-waiting-max=" + capacity.udpWaiting().limit()
                        + " udp-inbound-drops=" + broker.stats().udp().inboundDrops()
                        + " slow-consumers=" + broker.stats().slowConsumers()
                        + " frame-timeouts=" + broker.stats().frameTimeouts()
                        + " protocol-errors=" + broker.stats().protocolErrors());
            } else if (line.startsWith("blackhole ") || line.startsWith("heal ")) {
                boolean blackhole = line.startsWith("blackhole ");
                Address peer = AddressFromURIString.parse(line.substring(line.indexOf(' ') + 1).trim());
                ExtendedActorSystem classic = (ExtendedActorSystem) Adapter.toClassic(broker.actorSystem());
                ((RemoteActorRefProvider) classic.provider()).transport().managementCommand(
                        new ThrottlerTransportAdapter.SetThrottle(peer,
                                org.apache.pekko.remote.transport.ThrottlerTransportAdapter$Direction$Both$.MODULE$,
                                blackhole ? ThrottlerTransportAdapter.Blackhole$.MODULE$
                                        : ThrottlerTransportAdapter.Unthrottled$.MODULE$));
                System.out.println(REPLY_LINE + (blackhole ? "blackholed=" : "healed=") + peer);
            }
            System.out.flush();
        }
        broker.stop();
    }
}
