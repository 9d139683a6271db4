package io.courier.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import io.courier.broker.routing.Router;
import io.courier.broker.session.Capacity;
import io.courier.broker.session.ConnectionsSupervisor;
import io.courier.broker.transport.tcp.TcpListener;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An embeddable Courier broker. {@link #start(Config)} binds and returns once clients can connect;
 * {@link #stop()} shuts down gracefully: stop accepting, tell clients, flush their queues, close.
 *
 * <pre>{@code
 * Broker broker = Broker.start(ConfigFactory.parseString("courier.port = 0"));
 * InetSocketAddress address = broker.address();
 * ...
 * broker.stop();
 * }</pre>
 */
public final class Broker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Broker.class);
    private static final Config PEKKO_DEFAULTS = ConfigFactory.parseResources(Broker.class, "pekko-defaults.conf",
            ConfigParseOptions.defaults().setAllowMissing(false));

    private final ActorSystem<Void> system;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final Capacity capacity;
    private final InetSocketAddress address;

    private Broker(ActorSystem<Void> system, BrokerSettings settings, BrokerStats stats, Router router,
                   Capacity capacity, InetSocketAddress address) {
        this.system = system;
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.capacity = capacity;
        this.address = address;
    }

    /**
     * The configuration a broker runs with: {@code given}, system properties, {@code application.conf}, the broker's
     * Pekko defaults, then {@code reference}. The Pekko defaults are layered here rather than kept in reference.conf
     * because which reference.conf wins depends on how the jars were assembled (a shaded jar appends Pekko's after
     * ours, and Pekko's then silently replaced them).
     */
    static Config effectiveConfig(Config given, Config reference) {
        return given.withFallback(ConfigFactory.defaultOverrides())
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(PEKKO_DEFAULTS)
                .withFallback(reference)
                .resolve();
    }

    /** Starts a broker with the built-in defaults (and system-property overrides). */
    public static Broker start() {
        return start(ConfigFactory.empty());
    }

    /**
     * Starts a broker. {@code config} holds settings of {@code courier.*} (and {@code pekko.*}) keys; what it
     * leaves out comes from system properties, then {@code application.conf}, then the broker's Pekko defaults
     * ({@code io/courier/broker/pekko-defaults.conf}), then the reference defaults.
     *
     * @throws IllegalArgumentException when a setting is invalid (the message names the key)
     * @throws IllegalStateException when the port cannot be bound
     */
    public static Broker start(Config config) {
        Config reference = ConfigFactory.defaultReference();
        Config effective = effectiveConfig(config, reference);
        BrokerSettings.rejectUnknownKeys(effective, reference);
        BrokerSettings settings = BrokerSettings.from(effective);
        try {
            InetAddress.getByName(settings.host());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot bind " + settings.host() + ":" + settings.port()
                    + ": no such host or address (courier.host / --host)");
        }
        // The drain phase must outlast the drain it runs, whatever shutdown-timeout is set to.
        Config resolved = ConfigFactory.parseString("pekko.coordinated-shutdown.phases.service-requests-done.timeout = "
                + (settings.shutdownTimeout().toMillis() + 5_000) + "ms").withFallback(effective);
        BrokerStats stats = new BrokerStats();
        Capacity capacity = Capacity.of(settings);
        Router router = new Router(settings.matchCacheSize());
        CompletableFuture<ActorRef<ConnectionsSupervisor.Command>> supervisorRef = new CompletableFuture<>();
        CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();

        Behavior<Void> guardian = Behaviors.setup(context -> {
            ActorRef<ConnectionsSupervisor.Command> supervisor = context.spawn(
                    ConnectionsSupervisor.create(settings, stats, router, capacity,
                            () -> advertised(settings, bound)),
                    "connections");
            supervisorRef.complete(supervisor);
            return Behaviors.empty();
        });
        ActorSystem<Void> system = ActorSystem.create(guardian, "courier", resolved);
        try {
            ActorRef<ConnectionsSupervisor.Command> supervisor = supervisorRef.get(10, TimeUnit.SECONDS);
            Tcp.ServerBinding binding = TcpListener.bind(system, settings.host(), settings.port(), supervisor)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            bound.complete(binding.localAddress());
            registerShutdown(system, binding, supervisor, settings);
            logStart(settings, binding.localAddress(), effective);
            return new Broker(system, settings, stats, router, capacity, binding.localAddress());
        } catch (ExecutionException e) {
            system.terminate();
            throw new IllegalStateException("cannot bind " + settings.host() + ":" + settings.port() + ": "
                    + rootMessage(e.getCause()), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            system.terminate();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("broker did not start within 10 s", e);
        }
    }

    private static void registerShutdown(ActorSystem<Void> system, Tcp.ServerBinding binding,
                                         ActorRef<ConnectionsSupervisor.Command> supervisor,
                                         BrokerSettings settings) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "courier-unbind",
                () -> binding.unbind().thenApply(x -> Done.getInstance()));
        shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "courier-drain-connections",
                () -> AskPattern.<ConnectionsSupervisor.Command, Done>ask(supervisor,
                                ConnectionsSupervisor.Drain::new, settings.shutdownTimeout().plusSeconds(3),
                                system.scheduler())
                        .exceptionally(e -> {
                            log.warn("not every connection closed within {}: {}", settings.shutdownTimeout(),
                                    e.toString());
                            return Done.getInstance();
                        }));
    }

    /** Says once, at start-up, what runs: version, id, where it listens, which configuration, the main limits. */
    private static void logStart(BrokerSettings s, InetSocketAddress address, Config effective) {
        log.info("Courier broker {} (server id {}) listening on {}; configuration: {}", Version.CURRENT,
                s.serverId(), hostPort(address), configurationSources(effective));
        log.info("limits: {} connections ({} in the handshake), {} subscriptions per connection, payloads up to {} "
                        + "bytes, heartbeat every {} ms; slow consumers: {} past {} bytes queued, publishers paused "
                        + "up to {} ms, pacing up to {} ms", s.maxConnections(), s.maxHandshaking(),
                s.maxSubscriptionsPerConnection(), s.maxPayload(), s.heartbeatInterval().toMillis(),
                s.slowConsumerPolicy().name().toLowerCase(Locale.ROOT), s.maxPendingBytes(),
                s.publisherPause().toMillis(), s.maxPacing().toMillis());
    }

    /** Where the effective {@code courier.*} settings came from, apart from the built-in defaults. */
    private static String configurationSources(Config effective) {
        Set<String> sources = new LinkedHashSet<>();
        effective.getConfig("courier").entrySet().forEach(e -> {
            ConfigOrigin origin = e.getValue().origin();
            String where = origin.filename() != null ? origin.filename()
                    : origin.url() != null ? origin.url().toString()
                    : origin.description().replaceAll(":\\s*\\d+$", "");
            if (where.endsWith("reference.conf") || where.endsWith("pekko-defaults.conf")) {
                return;
            }
            sources.add(where.startsWith("String") ? "the configuration given to Broker.start" : where);
        });
        return sources.isEmpty() ? "built-in defaults" : String.join(", ", sources) + " over the built-in defaults";
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static List<String> advertised(BrokerSettings settings, CompletableFuture<InetSocketAddress> bound) {
        if (!settings.advertise().isEmpty()) {
            return settings.advertise();
        }
        InetSocketAddress a = bound.getNow(null);
        if (a == null) {
            return List.of();
        }
        return List.of(hostPort(a));
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** The address clients connect to (the real port when {@code courier.port = 0}). */
    public InetSocketAddress address() {
        return address;
    }

    public BrokerSettings settings() {
        return settings;
    }

    public BrokerStats stats() {
        return stats;
    }

    /** The broker's routing table; tests in this package use it to reach inside a running broker. */
    Router router() {
        return router;
    }

    /** The broker-wide budgets (queued messages, unfinished frames, connections) and what they hold now. */
    public Capacity capacity() {
        return capacity;
    }

    /** Subscriptions currently routed to, across all connections. */
    public int subscriptionCount() {
        return router.subscriptionCount();
    }

    /** Completes when the broker has fully stopped. */
    public CompletionStage<Done> whenTerminated() {
        return system.getWhenTerminated();
    }

    /** Graceful stop; returns when the broker has stopped. Safe to call more than once. */
    public void stop() {
        try {
            CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason())
                    .toCompletableFuture().get(settings.shutdownTimeout().toMillis() + 20_000, TimeUnit.MILLISECONDS);
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("broker stop did not complete cleanly: {}", e.toString());
            system.terminate();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
