package io.courier.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import io.courier.broker.admin.AdminServer;
import io.courier.broker.auth.AuthSettings;
import io.courier.broker.auth.Permissions;
import io.courier.broker.admin.Listings;
import io.courier.broker.admin.ServerStatus;
import io.courier.broker.cluster.ClusterConfig;
import io.courier.broker.cluster.ClusterNode;
import io.courier.broker.cluster.ClusterStatus;
import io.courier.broker.observability.BrokerMetrics;
import io.courier.broker.observability.MemberEvents;
import io.courier.broker.auth.Authenticator;
import io.courier.broker.observability.SystemEvents;
import io.courier.broker.routing.Router;
import io.courier.broker.session.Capacity;
import io.courier.broker.session.ChannelLink;
import io.courier.broker.session.Incoming;
import io.courier.broker.session.RouteSession;
import io.courier.broker.session.StreamIncoming;
import io.courier.broker.session.ConnectionsSupervisor;
import io.courier.broker.session.UdpSide;
import io.courier.broker.transport.tcp.TlsEngines;
import io.courier.broker.transport.tcp.IoLoops;
import io.courier.broker.transport.tcp.TcpListener;
import io.courier.broker.transport.tcp.TlsListener;
import io.courier.broker.transport.udp.UdpListener;
import io.courier.broker.transport.udp.UdpSocket;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import java.net.InetAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.BiFunction;

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

    private final ActorSystem<Guardian> system;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final Capacity capacity;
    private final InetSocketAddress address;
    private final InetSocketAddress udpAddress;
    private final InetSocketAddress tlsAddress;
    /** Where other brokers' route links come in; null when not clustered. */
    private final InetSocketAddress routeAddress;
    private final ClusterNode.View cluster;
    private final long startedNanos = System.nanoTime();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private volatile AdminServer admin;
    /** Where {@link #reloadAuth()} reads the configuration: what start was given, unless told otherwise. */
    private volatile Supplier<Config> configuration;

    private Broker(ActorSystem<Guardian> system, BrokerSettings settings, BrokerStats stats, Router router,
                   Capacity capacity, InetSocketAddress address, InetSocketAddress udpAddress,
                   InetSocketAddress tlsAddress, InetSocketAddress routeAddress, ClusterNode.View cluster) {
        this.routeAddress = routeAddress;
        this.udpAddress = udpAddress;
        this.tlsAddress = tlsAddress;
        this.system = system;
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.capacity = capacity;
        this.address = address;
        this.cluster = cluster;
    }

    /** The admin HTTP port's address, when {@code courier.admin.enabled} is on. */
    public Optional<InetSocketAddress> adminAddress() {
        AdminServer a = admin;
        return a == null ? Optional.empty() : Optional.of(a.address());
    }

    /** {@code /api/server}: what this broker is and carries, now. */
    public ServerStatus serverStatus() {
        return new ServerStatus(settings.serverId(), Version.CURRENT, hostPort(address),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos), stats.connections(),
                stats.accepted(), router.subscriptionCount(), stats.messagesIn(), stats.messagesOut(),
                stats.slowConsumers(), stats.dropped(), settings.cluster().enabled(), stats.routedIn(),
                stats.routedOut(), stats.routeDrops(), udpAddress == null ? null : hostPort(udpAddress),
                udpAddress == null ? null : stats.udp().counts(), stats.bytesIn(), stats.bytesOut(),
                configSummary());
    }

    /** The settings an operator most often asks about, for {@code /api/server}: never a password or a hash. */
    private Map<String, Object> configSummary() {
        BrokerSettings s = settings;
        AuthSettings auth = capacity.auth().settings();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("tls", s.tls().enabled() ? hostPort(tlsAddress) + " (client certificates: "
                + s.tls().clientAuth().name().toLowerCase(Locale.ROOT) + ")" : "off");
        c.put("users", auth.users().size());
        c.put("anonymous", auth.anonymous());
        c.put("maxConnections", s.maxConnections());
        c.put("maxConnectionsPerAddress", s.maxConnectionsPerAddress());
        c.put("maxSubscriptionsPerConnection", s.maxSubscriptionsPerConnection());
        c.put("maxPayload", s.maxPayload());
        c.put("maxPublishRate", s.maxPublishRate());
        c.put("maxPending", s.maxPendingBytes());
        c.put("slowConsumerPolicy", s.slowConsumerPolicy().name().toLowerCase(Locale.ROOT));
        c.put("heartbeatMillis", s.heartbeatInterval().toMillis());
        c.put("cluster", s.cluster().enabled());
        return c;
    }

    /** {@code /api/cluster}: the members as this broker sees them, or empty when it runs alone. */
    public Optional<ClusterStatus> clusterStatus() {
        if (!settings.cluster().enabled()) {
            return Optional.empty();
        }
        return Optional.of(ClusterStatus.of(Cluster.get(system), cluster, hostPort(address),
                (int) stats.connections(), router.localInterest()));
    }

    /** Empty while the broker takes clients; else why it does not (starting to stop, not yet an Up member). */
    public Optional<String> notReady() {
        if (stopping.get() || system.whenTerminated().isCompleted()) {
            return Optional.of("shutting down");
        }
        if (settings.cluster().enabled()) {
            MemberStatus status = Cluster.get(system).selfMember().status();
            if (status != MemberStatus.up()) {
                return Optional.of("not an Up member of the cluster yet: " + status);
            }
        }
        return Optional.empty();
    }

    /** Opens the admin port (once the broker takes clients) and closes it as the actor system ends. */
    private void startAdmin() {
        AdminSettings a = settings.admin();
        if (!a.enabled()) {
            return;
        }
        BrokerMetrics metrics = new BrokerMetrics(stats, new BrokerMetrics.Sources() {
            @Override
            public int subscriptions() {
                return router.subscriptionCount();
            }

            @Override
            public long queuedBytes() {
                return capacity.queued().used();
            }

            @Override
            public Optional<ClusterStatus> cluster() {
                return clusterStatus();
            }
        });
        admin = AdminServer.start(a.host(), a.port(), new AdminServer.Views() {
            @Override
            public Optional<String> notReady() {
                return Broker.this.notReady();
            }

            @Override
            public Object server() {
                return serverStatus();
            }

            @Override
            public Optional<Object> cluster() {
                return clusterStatus().map(c -> c);
            }

            @Override
            public String metrics() {
                return metrics.scrape();
            }

            @Override
            public Object connections(int offset, int limit) {
                return Listings.connections(stats.links(), offset, limit);
            }

            @Override
            public Object subscriptions(int limit) {
                return Listings.subscriptions(router.localSubscriptions(), router.subscriptionCount(), limit);
            }

            @Override
            public Object topics(int limit) {
                return Listings.topics(stats.topics(), limit);
            }

            @Override
            public String reloadAuth() {
                return Broker.this.reloadAuth();
            }
        });
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "courier-admin-not-ready", () -> {
            stopping.set(true);
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        AdminServer opened = admin;
        system.getWhenTerminated().thenRun(() -> {
            opened.close();
            metrics.close();
        });
        log.info("admin port on {} (dashboard at /; /healthz, /readyz, /metrics, /api/server, /api/connections, "
                + "/api/subscriptions, /api/topics, /api/cluster, /api/loglevel)", hostPort(admin.address()));
    }

    /** The other brokers of the cluster as this one sees them (empty for a single broker). */
    public List<ClusterNode.PeerView> clusterPeers() {
        return cluster.peers();
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
        // Loaded before anything starts: a missing store or a wrong password stops start-up, naming the key.
        TlsEngines serverTls = settings.tls().enabled() ? TlsEngines.of(settings.tls(), "courier.tls") : null;
        TlsEngines routeTls = settings.cluster().enabled()
                ? settings.cluster().tls().map(t -> TlsEngines.of(t, "courier.cluster.tls")).orElse(null) : null;
        try {
            InetAddress.getByName(settings.host());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(cannotBindPlain(settings)
                    + ": no such host or address (courier.host / --host)");
        }
        // The drain phase must outlast the drain it runs, whatever shutdown-timeout is set to.
        Config resolved = ConfigFactory.parseString("pekko.coordinated-shutdown.phases.service-requests-done.timeout = "
                + (settings.shutdownTimeout().toMillis() + 5_000) + "ms").withFallback(effective);
        ClusterSettings cluster = settings.cluster();
        if (cluster.enabled()) {
            resolved = ClusterConfig.of(cluster).withFallback(resolved);
        }
        BrokerState state = BrokerState.of(settings, new Authenticator(settings.auth()));
        BrokerStats stats = state.stats();
        Capacity capacity = state.capacity();
        Router router = state.router();
        SystemEvents events = state.events();
        UdpSide udp = state.udp();
        ClusterNode.View view = new ClusterNode.View();
        CompletableFuture<ActorRef<ConnectionsSupervisor.Command>> supervisorRef = new CompletableFuture<>();
        CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();

        Behavior<Guardian> guardian = Behaviors.setup(context -> {
            ActorRef<ConnectionsSupervisor.Command> supervisor = context.spawn(
                    ConnectionsSupervisor.create(settings, stats, router, capacity, udp,
                            new AdvertisedServers(settings, bound, view)),
                    "connections");
            supervisorRef.complete(supervisor);
            return Behaviors.receive(Guardian.class)
                    .onMessage(StartCluster.class, start -> {
                        context.spawn(ClusterNode.create(settings, stats, capacity, router, start.self(), view,
                                () -> (int) stats.connections(),
                                () -> supervisor.tell(ConnectionsSupervisor.ServersChanged.INSTANCE),
                                start.routeTls(), start.loops()), "cluster");
                        return Behaviors.same();
                    })
                    .onMessage(StartUdp.class, start -> {
                        context.spawn(UdpListener.create(start.socket(), udp.bindings()), "udp");
                        return Behaviors.same();
                    })
                    .build();
        });
        ActorSystem<Guardian> system;
        try {
            system = ActorSystem.create(guardian, ClusterConfig.SYSTEM_NAME, resolved);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start: " + rootMessage(e)
                    + (cluster.enabled() ? " (courier.cluster.host / port: " + cluster.host() + ":" + cluster.port()
                    + ")" : ""), e);
        }
        system.getWhenTerminated().thenRun(capacity.auth()::close);
        try {
            ActorRef<ConnectionsSupervisor.Command> supervisor = supervisorRef.get(10, TimeUnit.SECONDS);
            IoLoops loops = new IoLoops(settings.ioThreads(), ChannelLink.MAX_WRITE_BATCH);
            system.getWhenTerminated().thenRun(loops::close);
            // The client ports open after the warm-up, so that clients arriving meanwhile are refused (and try
            // another server) rather than left waiting in a backlog; that one of them (or the admin port, opened
            // last) is taken must still fail start-up at once. The UDP and route ports are bound now: clients learn
            // the one from CONNECTED, other brokers the other from this broker's cluster node, which starts after
            // the warm-up.
            if (settings.tls().plainListener() && settings.port() != 0) {
                requireFree(settings.host(), settings.port(), loops, cannotBindPlain(settings));
            }
            if (serverTls != null && settings.tls().port() != 0) {
                requireFree(settings.host(), settings.tls().port(), loops, cannotBindTls(settings));
            }
            AdminSettings adminPort = settings.admin();
            if (adminPort.enabled() && adminPort.port() != 0) {
                requireFree(adminPort.host(), adminPort.port(), loops,
                        AdminServer.cannotBind(adminPort.host(), adminPort.port()));
            }
            InetSocketAddress udpAddress = null;
            if (udp.bindings() != null) {
                // With courier.port = 0 the TCP port's number may be taken for UDP: then any free port too.
                UdpSocket socket = bindUdp(settings, settings.port(), stats.udp());
                udpAddress = socket.localAddress();
                udp.bindings().attach(socket);
                system.tell(new StartUdp(socket));
            }
            RoutePort routes = cluster.enabled()
                    ? bindRoutes(system, settings, stats, capacity, router, view, routeTls, loops) : null;
            WarmUp.once(system, settings, loops);
            TcpListener plain = settings.tls().plainListener() ? bindPlain(settings, loops, supervisor).accept() : null;
            Tcp.ServerBinding tls = serverTls == null ? null : bindTls(system, settings, serverTls, stats, supervisor);
            // Clients are told the plain address while there is one (a TLS client may be told it; see
            // docs/security.md), else the TLS one.
            InetSocketAddress clientAddress = plain != null ? plain.localAddress() : tls.localAddress();
            InetSocketAddress tlsAddress = tls == null ? null : tls.localAddress();
            bound.complete(clientAddress);
            registerShutdown(system, plain, tls, supervisor, settings);
            InetSocketAddress routeAddress = null;
            if (routes != null) {
                routeAddress = startCluster(system, settings, routes, clientAddress, routeTls, loops);
                system.systemActorOf(MemberEvents.create(events), "courier-member-events",
                        org.apache.pekko.actor.typed.Props.empty());
            }
            logStart(settings, plain == null ? null : plain.localAddress(), tlsAddress, udpAddress, effective);
            Broker broker = new Broker(system, settings, stats, router, capacity, clientAddress, udpAddress,
                    tlsAddress, routeAddress, view);
            broker.configuration = () -> config;
            broker.startAdmin();
            return broker;
        } catch (ExecutionException e) {
            system.terminate();
            throw new IllegalStateException(cannotBindPlain(settings) + ": " + rootMessage(e.getCause()),
                    e.getCause());
        } catch (IOException e) {
            system.terminate();
            throw new IllegalStateException("cannot accept on a bound port: " + rootMessage(e), e);
        } catch (TimeoutException | InterruptedException e) {
            system.terminate();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("broker did not start within 10 s", e);
        } catch (RuntimeException e) {
            system.terminate();
            throw e;
        }
    }

    /** Binds the plain client port on the I/O loops, failing with the address and the reason when it cannot. */
    private static TcpListener bindPlain(BrokerSettings settings, IoLoops loops,
                                         ActorRef<ConnectionsSupervisor.Command> supervisor) {
        try {
            return TcpListener.bind(settings.host(), settings.port(), settings.listenBacklog(), loops,
                    ConnectionsSupervisor.accepting(supervisor));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(cannotBindPlain(settings) + ": " + rootMessage(e), e);
        }
    }

    /** What a failure to bind the plain client port says before its reason, here and in the check before it. */
    private static String cannotBindPlain(BrokerSettings settings) {
        return "cannot bind " + settings.host() + ":" + settings.port();
    }

    /** The same for the TLS port, naming its key. */
    private static String cannotBindTls(BrokerSettings settings) {
        return "cannot bind the TLS port " + settings.host() + ":" + settings.tls().port() + " (courier.tls.port)";
    }

    /**
     * Fails with {@code cannotBind}, then the reason, when {@code host:port} cannot be bound now: the port is bound
     * and let go at once, nothing accepted.
     */
    private static void requireFree(String host, int port, IoLoops loops, String cannotBind) {
        try {
            TcpListener.bind(host, port, 1, loops, link -> { }).unbind().toCompletableFuture().join();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(cannotBind + ": " + rootMessage(e), e);
        }
    }

    /** Binds the TLS listener on {@code courier.tls.port}, failing with the key to change when it cannot. */
    private static Tcp.ServerBinding bindTls(ActorSystem<Guardian> system, BrokerSettings settings, TlsEngines tls,
                                             BrokerStats stats, ActorRef<ConnectionsSupervisor.Command> supervisor)
            throws InterruptedException, TimeoutException {
        try {
            return TlsListener.bind(system, settings.host(), settings.tls().port(), settings.listenBacklog(), tls,
                    stats, settings.maxHandshaking(), supervisor).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(cannotBindTls(settings) + ": " + rootMessage(e.getCause()),
                    e.getCause());
        }
    }

    /** What the broker's guardian actor understands: only the start of its cluster part, once routes are bound. */
    interface Guardian { }

    /** {@code routeTls}: client engines for the route links, null for plain TCP. */
    private record StartCluster(ClusterNode.Self self, BiFunction<String, Integer, SSLEngine> routeTls, IoLoops loops)
            implements Guardian { }

    /** listen(2)'s backlog of the route port: one socket per other broker, and their reconnects. */
    private static final int ROUTE_BACKLOG = 100;
    /** Route links that may wait for their ROUTE_HELLO at once: another broker sends it in its first frame. */
    private static final int ROUTE_STRANGERS = 64;

    private record StartUdp(UdpSocket socket) implements Guardian { }

    /** Binds the UDP port on the client host: {@code courier.udp.port}, or the TCP port's number. */
    private static UdpSocket bindUdp(BrokerSettings settings, int tcpPort, UdpStats stats) {
        UdpSettings udp = settings.udp();
        InetSocketAddress at = new InetSocketAddress(settings.host(), udp.portFor(tcpPort));
        try {
            return UdpSocket.bind(at, udp.socketBuffer(), udp.maxDatagram(), stats);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot bind UDP " + hostPort(at) + " (courier.udp.port, or "
                    + "courier.udp.enabled = false): " + rootMessage(e), e);
        }
    }

    /** The bound route port; {@code plain} is null when routes are TLS (Pekko's listener, accepting once bound). */
    private record RoutePort(InetSocketAddress address, TcpListener plain) { }

    /** Binds the route port (other brokers' links into this one), failing with the key to change when it cannot. */
    private static RoutePort bindRoutes(ActorSystem<Guardian> system, BrokerSettings settings, BrokerStats stats,
                                        Capacity capacity, Router router, ClusterNode.View view, TlsEngines routeTls,
                                        IoLoops loops) throws InterruptedException, TimeoutException {
        ClusterSettings cluster = settings.cluster();
        Materializer materializer = Materializer.matFromSystem(system);
        RouteSession.Strangers strangers = new RouteSession.Strangers(ROUTE_STRANGERS);
        Consumer<Incoming> serve = incoming -> RouteSession.accept(incoming, router, stats, settings, capacity, view,
                strangers, materializer);
        RoutePort port;
        Supplier<CompletionStage<?>> unbind;
        try {
            if (routeTls == null) {
                TcpListener routes = TcpListener.bind(cluster.host(), cluster.routePort(), ROUTE_BACKLOG, loops,
                        serve::accept);
                port = new RoutePort(routes.localAddress(), routes);
                unbind = routes::unbind;
            } else {
                Tcp.ServerBinding routes = Tcp.get(system).bindWithTls(cluster.host(), cluster.routePort(),
                                routeTls::newEngine, ROUTE_BACKLOG, List.of(), Optional.empty(),
                                session -> Optional.empty(), TLSClosing.eagerClose())
                        .to(Sink.foreach(incoming -> serve.accept(StreamIncoming.of(incoming))))
                        .run(materializer).toCompletableFuture().get(10, TimeUnit.SECONDS);
                port = new RoutePort(routes.localAddress(), null);
                unbind = routes::unbind;
            }
        } catch (ExecutionException | IOException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot bind the route port " + cluster.host() + ":" + cluster.routePort()
                    + " (courier.cluster.route-port): " + rootMessage(cause), cause);
        }
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseClusterExitingDone(), "courier-unbind-routes",
                () -> unbind.get().thenApply(x -> Done.getInstance()));
        return port;
    }

    /**
     * Opens the bound route port and starts this broker's {@link ClusterNode}, which joins the cluster's interest
     * exchange and tells the others its client address. Membership itself is Pekko's, joined through the seed nodes.
     * Returns the route port's address.
     */
    private static InetSocketAddress startCluster(ActorSystem<Guardian> system, BrokerSettings settings,
                                                  RoutePort routes, InetSocketAddress clients, TlsEngines routeTls,
                                                  IoLoops loops) throws IOException {
        ClusterSettings cluster = settings.cluster();
        if (routes.plain() != null) {
            routes.plain().accept();
        }
        InetSocketAddress routeAddress = routes.address();
        Cluster members = Cluster.get(system);
        if (cluster.seeds().isEmpty()) {
            members.manager().tell(Join.create(members.selfMember().address()));
        }
        String nodeId = members.selfMember().address().toString();
        long incarnation = ThreadLocalRandom.current().nextLong();
        system.tell(new StartCluster(new ClusterNode.Self(nodeId, incarnation, cluster.host(),
                routeAddress.getPort(), hostPort(advertisedHost(settings, clients))),
                routeTls == null ? null : routeTls::newClientEngine, loops));
        log.info("cluster node {} (routes on {}{}), joining through {}", nodeId, hostPort(routeAddress),
                routeTls == null ? "" : "; cluster traffic over mutual TLS",
                cluster.seeds().isEmpty() ? "itself" : String.join(", ", cluster.seeds()));
        return routeAddress;
    }

    /**
     * The client address other brokers' clients are told: the configured advertise address, else the bound one; a
     * cluster node bound to every interface (0.0.0.0, ::) is reached at its cluster host, which the other brokers
     * reach it at by definition.
     */
    private static InetSocketAddress advertisedHost(BrokerSettings settings, InetSocketAddress bound) {
        if (!settings.advertise().isEmpty()) {
            String a = settings.advertise().get(0);
            int colon = a.lastIndexOf(':');
            return InetSocketAddress.createUnresolved(a.substring(0, colon).replace("[", "").replace("]", ""),
                    Integer.parseInt(a.substring(colon + 1)));
        }
        if (bound.getAddress() != null && bound.getAddress().isAnyLocalAddress() && settings.cluster().enabled()) {
            return InetSocketAddress.createUnresolved(settings.cluster().host(), bound.getPort());
        }
        return bound;
    }

    private static void registerShutdown(ActorSystem<Guardian> system, TcpListener plain,
                                         Tcp.ServerBinding tls, ActorRef<ConnectionsSupervisor.Command> supervisor,
                                         BrokerSettings settings) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        if (plain != null) {
            shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "courier-unbind",
                    () -> plain.unbind().thenApply(x -> Done.getInstance()));
        }
        if (tls != null) {
            shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "courier-unbind-tls",
                    () -> tls.unbind().thenApply(x -> Done.getInstance()));
        }
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
    private static void logStart(BrokerSettings s, InetSocketAddress plain, InetSocketAddress tls,
                                 InetSocketAddress udp, Config effective) {
        String tcp = (plain == null ? "" : hostPort(plain) + " (TCP)") + (plain != null && tls != null ? ", " : "")
                + (tls == null ? "" : hostPort(tls) + " (TLS, client certificates: "
                + s.tls().clientAuth().name().toLowerCase(Locale.ROOT) + ")");
        log.info("Courier broker {} (server id {}) listening on {}{}; configuration: {}", Version.CURRENT,
                s.serverId(), tcp, udp == null ? ", UDP off" : " and " + hostPort(udp) + " (UDP)",
                configurationSources(effective));
        log.info("limits: {} connections ({} in the handshake), {} subscriptions per connection, payloads up to {} "
                        + "bytes, heartbeat every {} ms; slow consumers: {} past {} bytes queued, publishers paused "
                        + "up to {} ms, pacing up to {} ms", s.maxConnections(), s.maxHandshaking(),
                s.maxSubscriptionsPerConnection(), s.maxPayload(), s.heartbeatInterval().toMillis(),
                s.slowConsumerPolicy().name().toLowerCase(Locale.ROOT), s.maxPendingBytes(),
                s.publisherPause().toMillis(), s.maxPacing().toMillis());
        logAuth(s.auth());
    }

    private static void logAuth(AuthSettings auth) {
        if (auth.anonymous()) {
            log.warn("anonymous access is on: any client that can reach this port may connect{} (configure users in "
                    + "courier.auth.users, or set courier.auth.anonymous = false; see docs/security.md)",
                    auth.anonymousRights().equals(Permissions.ALL) ? ", publish and subscribe" : "");
        } else if (auth.users().isEmpty()) {
            log.warn("anonymous access is off and no users are configured (courier.auth): no client can connect");
        }
        if (!auth.users().isEmpty()) {
            log.info("authentication: {} users{}", auth.users().size(),
                    auth.anonymous() ? ", and anonymous clients" : "; anonymous clients are refused");
        }
    }

    /**
     * Reads {@code courier.auth} from {@code config} (as {@link #start(Config)} would) and puts it in force without a
     * restart: new logins follow it at once; connections of users that are gone (or whose password or token
     * changed) close; connections whose permissions shrank lose the subscriptions they may no longer hold. Nothing
     * else in {@code config} is applied. Returns a summary.
     *
     * @throws IllegalArgumentException when {@code courier.auth} is invalid; the settings in force stay
     */
    public String reloadAuth() {
        return reloadAuth(configuration.get());
    }

    /**
     * Where {@link #reloadAuth()} (SIGHUP, the admin port's {@code POST /api/reload}) reads the configuration from;
     * {@code courier broker} reads its file and flags again.
     */
    public void configurationSource(Supplier<Config> source) {
        this.configuration = source;
    }

    /** As {@link #reloadAuth()}, from {@code config}. */
    public String reloadAuth(Config config) {
        // A reload may run on a thread without a context class loader (a signal's), which Config's defaults need.
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        if (before == null) {
            thread.setContextClassLoader(Broker.class.getClassLoader());
        }
        try {
            Config reference = ConfigFactory.defaultReference();
            Config effective = effectiveConfig(config, reference);
            BrokerSettings.rejectUnknownKeys(effective, reference);
            AuthSettings next = AuthSettings.from(effective);
            String summary = capacity.auth().reload(next);
            log.info("authentication reloaded: {}", summary);
            logAuth(next);
            return summary;
        } finally {
            thread.setContextClassLoader(before);
        }
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

    /** {@code host:port}, with an IPv6 host in brackets. */
    public static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /**
     * The servers CONNECTED and INFO list: this broker's client address, then every other member's of the cluster.
     * An unreachable member stays listed until it is removed: it may be unreachable from here only (this broker may
     * be the one cut off, and its clients then need the others' addresses most). Built again only when the bound
     * address or the members' addresses change: every handshake asks for it.
     */
    static final class AdvertisedServers implements Supplier<List<String>> {
        private record Built(InetSocketAddress bound, List<String> peers, List<String> servers) { }

        private final BrokerSettings settings;
        private final CompletableFuture<InetSocketAddress> bound;
        private final ClusterNode.View view;
        private volatile Built last;

        AdvertisedServers(BrokerSettings settings, CompletableFuture<InetSocketAddress> bound, ClusterNode.View view) {
            this.settings = settings;
            this.bound = bound;
            this.view = view;
        }

        @Override
        public List<String> get() {
            InetSocketAddress a = bound.getNow(null);
            List<String> peers = view.clientAddresses();
            Built b = last;
            if (b != null && b.bound() == a && b.peers() == peers) {
                return b.servers();
            }
            List<String> servers = new ArrayList<>();
            if (!settings.advertise().isEmpty()) {
                servers.addAll(settings.advertise());
            } else {
                InetSocketAddress self = a == null ? null : advertisedHost(settings, a);
                // A wildcard address (a single broker on 0.0.0.0) names no server a client could use.
                if (self != null && (self.getAddress() == null || !self.getAddress().isAnyLocalAddress())) {
                    servers.add(hostPort(self));
                }
            }
            for (String peer : peers) {
                if (!servers.contains(peer)) {
                    servers.add(peer);
                }
            }
            List<String> built = List.copyOf(servers);
            last = new Built(a, peers, built);
            return built;
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** The UDP address datagrams go to, unless {@code courier.udp.enabled} is off. */
    public Optional<InetSocketAddress> udpAddress() {
        return Optional.ofNullable(udpAddress);
    }

    /** The route port's address (other brokers' links into this one), when clustered. */
    public Optional<InetSocketAddress> routeAddress() {
        return Optional.ofNullable(routeAddress);
    }

    /** The TLS listener's address, when {@code courier.tls.enabled} is on (the real port when its port is 0). */
    public Optional<InetSocketAddress> tlsAddress() {
        return Optional.ofNullable(tlsAddress);
    }

    /**
     * The address clients connect to (the real port when {@code courier.port = 0}); the TLS listener's when
     * {@code courier.tls.plain-listener} is off.
     */
    public InetSocketAddress address() {
        return address;
    }

    public BrokerSettings settings() {
        return settings;
    }

    public BrokerStats stats() {
        return stats;
    }

    /** The broker's actor system; tests in this package use it to reach Pekko (a test-only network switch). */
    ActorSystem<?> actorSystem() {
        return system;
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
