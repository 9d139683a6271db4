package io.courier.client;

import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Last;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Topic;
import io.courier.protocol.Unsubscribe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Connection} implementation: the public operations, and the link life cycle (first connect, loss,
 * reconnect with backoff, close). Threads: a reader ({@link Reader}) and a writer ({@link Writer}) per connection;
 * handlers and listener calls on the shared {@link Dispatch} pool; request replies completed on the reader;
 * heartbeats and request timeouts on the timer.
 */
final class CourierConnection implements Connection, ClientSubscription.Owner {

    private static final Logger log = LoggerFactory.getLogger(CourierConnection.class);
    private static final Duration CLOSE_DRAIN = Duration.ofSeconds(5);
    private static final long UDP_KEEPALIVE_MILLIS = 15_000;

    private final Options options;
    private final Outbound outbound;
    /** The read buffer and decoder every link of this connection uses in turn (reader thread). */
    private final InboundDecoder inbound;
    private final Subscriptions subscriptions = new Subscriptions();
    private final Requests requests = new Requests(this);
    private final PublishEncoder encoder = new PublishEncoder();
    private final Executor events = new Dispatch.SerialExecutor();
    private final List<ServerAddress> servers;
    private final AtomicInteger nextSid = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean shutDown = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile ServerInfo serverInfo;
    /** The link in use or being opened, so that closing can cut it. */
    private volatile Link current;
    private volatile ScheduledFuture<?> heartbeat;
    private final UdpLink.Counters udpCounters = new UdpLink.Counters();
    /** The UDP side of the current link, from its UDP_READY on; null without UDP or between links. */
    private volatile UdpLink udp;
    /** Completed when the current link's UDP endpoint is bound (or failed when the broker refused it). */
    private volatile CompletableFuture<Void> udpBound = new CompletableFuture<>();
    private volatile ScheduledFuture<?> udpHellos;

    private CourierConnection(Options options, InboundDecoder inbound) {
        this.options = options;
        this.inbound = inbound;
        this.outbound = new Outbound(options.reconnectBufferBytes());
        this.servers = new ArrayList<>(options.addresses());
    }

    static Connection connect(Options options) throws IOException, InterruptedException {
        Objects.requireNonNull(options, "options");
        List<String> failures = new ArrayList<>();
        ConnectRejectedException rejected = null;
        InboundDecoder inbound = Link.newDecoder();
        for (ServerAddress server : options.addresses()) {
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while connecting to " + server);
            }
            Link link = new Link(server, options.tlsContext().orElse(null), options.tlsHostnameVerification(),
                    inbound);
            CourierConnection connection = null;
            try {
                Connected connected = link.handshake(connectFrame(options), options.connectTimeout(),
                        options.handshakeTimeout());
                if (options.udp() && connected.version() < FrameCodec.UDP_VERSION) {
                    throw new IOException("the broker speaks protocol version " + connected.version()
                            + "; UDP needs version " + FrameCodec.UDP_VERSION);
                }
                connection = new CourierConnection(options, inbound);
                connection.start(link, connected);
                if (options.udp()) {
                    connection.awaitUdp(options.handshakeTimeout());
                }
                return connection;
            } catch (ConnectRejectedException e) {
                link.close();
                rejected = rejected == null ? e : rejected;
                failures.add(server + ": " + e.getMessage());
            } catch (IOException e) {
                if (connection != null) {
                    connection.shutdown("UDP could not be bound: " + e.getMessage());
                }
                link.close();
                failures.add(server + ": " + Link.describe(e));
            }
        }
        String message = failures.size() == 1 ? "cannot connect to " + failures.get(0)
                : "cannot connect to any server: " + String.join("; ", failures);
        if (rejected != null) {
            throw new ConnectRejectedException(message, rejected.code(), rejected.reason());
        }
        throw new IOException(message);
    }

    private void start(Link link, Connected connected) {
        long interval = options.heartbeatInterval().toMillis();
        if (interval == 0 && options.udp()) {
            // Without heartbeats the UDP endpoint still needs its keepalive HELLO, well inside the broker's idle
            // timeout (60 s by default), or a receive-only client would stop receiving.
            interval = UDP_KEEPALIVE_MILLIS;
        }
        if (interval > 0) {
            heartbeat = Dispatch.timer().scheduleAtFixedRate(this::heartbeatTick, interval, interval,
                    TimeUnit.MILLISECONDS);
        }
        attach(link, connected, false);
        Thread writer = Dispatch.daemon("courier-writer", false).newThread(new Writer(outbound));
        Thread reader = Dispatch.daemon("courier-reader", false).newThread(new Reader(this, outbound, subscriptions,
                link, options.drainTimeout()));
        writer.start();
        reader.start();
    }

    // ------------------------------------------------------------------------------------------- publishing

    @Override
    public void publish(String topic, byte[] payload) {
        publish(topic, "", Map.of(), payload);
    }

    @Override
    public void publish(String topic, Map<String, String> headers, byte[] payload) {
        publish(topic, "", headers, payload);
    }

    @Override
    public void publish(String topic, String replyTo, Map<String, String> headers, byte[] payload) {
        byte[] reply;
        if (replyTo == null || replyTo.isEmpty()) {
            reply = PublishEncoder.EMPTY_FIELD;
        } else {
            try {
                reply = encoder.topic(replyTo);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid replyTo: " + e.getMessage());
            }
        }
        publishEncoded(topicField(topic), reply, headers, payload);
    }

    /**
     * {@code topic} checked and in wire form.
     *
     * @throws IllegalArgumentException when it is not a valid topic
     */
    byte[] topicField(String topic) {
        return encoder.topic(topic);
    }

    /** Publishes with the topic and reply topic already in wire form ({@link #topicField}, {@link PublishEncoder}). */
    void publishEncoded(byte[] topic, byte[] replyTo, Map<String, String> headers, byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        ServerInfo info = serverInfo;
        if (info != null && info.maxPayload() > 0 && payload.length > info.maxPayload()) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds the broker's max payload of "
                    + info.maxPayload() + " bytes");
        }
        byte[] headerBlock = headers == null ? PublishEncoder.NO_HEADERS : PublishEncoder.headers(headers);
        outbound.publish(topic, replyTo, headerBlock, payload);
    }

    // ------------------------------------------------------------------------------------------------ UDP

    @Override
    public void publishUdp(String topic, byte[] payload) {
        if (!options.udp()) {
            throw new IllegalStateException("this connection has no UDP: connect with Options.builder().udp(true)");
        }
        Objects.requireNonNull(payload, "payload");
        byte[] topicField = topicField(topic);
        UdpLink u = udp;
        int max = u != null ? u.maxDatagram() : io.courier.protocol.Datagram.DEFAULT_MAX_BYTES;
        int size = UdpLink.publishSize(topicField, PublishEncoder.EMPTY_FIELD, PublishEncoder.NO_HEADERS,
                payload.length);
        if (size > max) {
            throw new IllegalArgumentException("a datagram of " + size + " bytes (topic, payload and a "
                    + io.courier.protocol.Datagram.PUB_HEAD_BYTES + "-byte head) exceeds the broker's max datagram of "
                    + max + " bytes: publish it over TCP");
        }
        if (u == null || !u.isBound()) {
            udpCounters.notSent.increment();
            return;
        }
        u.publish(topicField, PublishEncoder.EMPTY_FIELD, PublishEncoder.NO_HEADERS, payload);
    }

    @Override
    public UdpCounters udpCounters() {
        return udpCounters.snapshot();
    }

    /** Waits until the first link's UDP endpoint is bound. */
    private void awaitUdp(Duration timeout) throws IOException, InterruptedException {
        try {
            udpBound.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IOException("UDP refused: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IOException("the broker did not confirm the UDP endpoint within " + timeout.toMillis()
                    + " ms (is its UDP port reachable from here?)");
        }
    }

    /**
     * Reader thread: the broker answered UDP_OPEN. Opens the UDP side of {@code link} and sends HELLO every 100 ms
     * until the broker confirms it (UDP is lossy: a HELLO may be lost too).
     */
    void udpReady(Link link, io.courier.protocol.UdpReady ready) {
        closeUdp();
        InetSocketAddress tcp = link.address();
        try {
            UdpLink u = new UdpLink(new InetSocketAddress(tcp.getAddress(), ready.port()), ready.token(),
                    ready.maxDatagram(), subscriptions, udpCounters, options.udpDropEvery());
            u.start();
            udp = u;
            udpHellos = Dispatch.timer().scheduleWithFixedDelay(() -> {
                if (!u.isBound()) {
                    u.hello();
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
        } catch (IOException e) {
            udpBound.completeExceptionally(e);
            log.warn("cannot open the UDP side of the link to {}: {}", link.server(), e.toString());
        }
    }

    /** Reader thread: the broker bound the UDP endpoint. */
    void udpBound(Link link, String endpoint) {
        UdpLink u = udp;
        if (u == null) {
            return;
        }
        u.markBound();
        ScheduledFuture<?> hellos = udpHellos;
        if (hellos != null) {
            hellos.cancel(false);
        }
        log.debug("UDP endpoint {} bound on {}", endpoint, link.server());
        udpBound.complete(null);
    }

    private void closeUdp() {
        ScheduledFuture<?> hellos = udpHellos;
        if (hellos != null) {
            hellos.cancel(false);
        }
        UdpLink u = udp;
        udp = null;
        if (u != null) {
            u.close();
        }
    }

    void resyncMessage() {
        udpCounters.resyncMessages.increment();
    }

    @Override
    public CompletableFuture<Void> resync(ClientSubscription subscription) {
        if (!subscription.isActive()) {
            return CompletableFuture.failedFuture(new IllegalStateException("the subscription has ended"));
        }
        boolean open = outbound.update(() -> subscription.isActive() ? new Last(subscription.sid()) : null);
        if (!open) {
            return CompletableFuture.failedFuture(new ConnectionClosedException("connection is closed"));
        }
        udpCounters.resyncs.increment();
        return outbound.flushPing();
    }

    @Override
    public void flush(Duration timeout) throws TimeoutException, InterruptedException {
        CompletableFuture<Void> pong = outbound.flushPing();
        try {
            pong.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CourierException c) {
                throw new ConnectionClosedException(c.getMessage());
            }
            throw new CourierException("flush failed", e.getCause());
        } catch (TimeoutException e) {
            throw new TimeoutException("flush: the broker did not answer PING within " + timeout.toMillis() + " ms");
        }
    }

    // ---------------------------------------------------------------------------------------- subscriptions

    @Override
    public Subscription subscribe(String pattern, MessageHandler handler) {
        return subscribe(pattern, "", handler);
    }

    @Override
    public Subscription subscribe(String pattern, String queueGroup, MessageHandler handler) {
        return subscribe(pattern, queueGroup, handler, false, Delivery.TCP);
    }

    @Override
    public Subscription subscribe(String pattern, MessageHandler handler, Delivery delivery) {
        return subscribe(pattern, "", handler, delivery);
    }

    @Override
    public Subscription subscribe(String pattern, String queueGroup, MessageHandler handler, Delivery delivery) {
        Objects.requireNonNull(delivery, "delivery");
        if (delivery == Delivery.UDP && !options.udp()) {
            throw new IllegalStateException("a UDP subscription needs UDP: connect with Options.builder().udp(true)");
        }
        return subscribe(pattern, queueGroup, handler, false, delivery);
    }

    /**
     * A subscription whose handler runs on the reader thread, as each message is read: for the client's own short,
     * non-blocking handlers only (request replies), never for user code.
     */
    Subscription subscribeOnReader(String pattern, MessageHandler handler) {
        return subscribe(pattern, "", handler, true, Delivery.TCP);
    }

    private Subscription subscribe(String pattern, String queueGroup, MessageHandler handler, boolean onReader,
                                   Delivery delivery) {
        String invalid = Topic.invalidPatternReason(pattern);
        if (invalid != null) {
            throw new IllegalArgumentException(invalid);
        }
        String group = queueGroup == null ? "" : queueGroup;
        for (int i = 0; i < group.length(); i++) {
            if (group.charAt(i) <= ' ' || Character.isWhitespace(group.charAt(i))) {
                throw new IllegalArgumentException("queue group '" + group
                        + "' contains whitespace or a control character");
            }
        }
        Objects.requireNonNull(handler, "handler");
        ClientSubscription subscription = new ClientSubscription(nextSid.incrementAndGet(), pattern, group, handler,
                options.subscriptionPendingLimit(), onReader, delivery, this);
        boolean open = outbound.update(() -> {
            subscriptions.add(subscription);
            return new Subscribe(subscription.sid(), pattern, group, delivery == Delivery.UDP);
        });
        if (!open) {
            throw new ConnectionClosedException("connection is closed");
        }
        return subscription;
    }

    @Override
    public void unsubscribe(ClientSubscription subscription) {
        boolean brokerHasIt = subscription.isActive(); // false when its unsubscribeAfter count was reached
        if (!subscription.cancel()) {
            return;
        }
        outbound.update(() -> {
            subscriptions.remove(subscription);
            return brokerHasIt ? new Unsubscribe(subscription.sid(), 0) : null;
        });
    }

    @Override
    public void unsubscribeAfter(ClientSubscription subscription, long n) {
        outbound.update(() -> {
            if (!subscription.isActive()) {
                return null;
            }
            subscription.limitTo(n);
            return new Unsubscribe(subscription.sid(), n);
        });
    }

    // -------------------------------------------------------------------------------------- request / reply

    @Override
    public CompletableFuture<Message> request(String topic, byte[] payload, Duration timeout) {
        return requests.request(topic, Map.of(), payload, timeout);
    }

    @Override
    public CompletableFuture<Message> request(String topic, Map<String, String> headers, byte[] payload,
                                              Duration timeout) {
        return requests.request(topic, headers, payload, timeout);
    }

    @Override
    public String newInbox() {
        return requests.newInbox();
    }

    // ---------------------------------------------------------------------------------------------- state

    @Override
    public ConnectionStatus status() {
        return outbound.status();
    }

    @Override
    public InetSocketAddress connectedServer() {
        Link link = outbound.link();
        return link == null ? null : link.address();
    }

    @Override
    public ServerInfo serverInfo() {
        return serverInfo;
    }

    /** How outbound batches were written so far (see {@link Outbound}). */
    Outbound.WriteStats writeStats() {
        return outbound.writeStats();
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        if (outbound.status() == ConnectionStatus.CONNECTED) {
            try {
                flush(CLOSE_DRAIN);
            } catch (TimeoutException e) {
                log.warn("closing: the broker did not confirm the last publishes within {} ms",
                        CLOSE_DRAIN.toMillis());
            } catch (CourierException e) {
                log.debug("closing: link lost while draining: {}", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shutdown("closed by the application");
    }

    // ----------------------------------------------------------------------------------- link life cycle

    /** Reader thread: {@code lost} is gone for {@code reason}; returns the next link, or null when closed. */
    Link linkLost(Link lost, String reason) {
        if (closing.get()) {
            return abandon(reason);
        }
        outbound.detach(lost);
        closeUdp();
        udpBound = new CompletableFuture<>();
        log.info("lost connection to {}: {}", lost.server(), reason);
        emit(ConnectionEvent.Type.DISCONNECTED, reason, lost.address());
        if (options.maxReconnectAttempts() == 0) {
            shutdown("connection lost and reconnecting is disabled: " + reason);
            return null;
        }
        return reconnect(lost.server(), reason);
    }

    private Link reconnect(ServerAddress lostServer, String reason) {
        int max = options.maxReconnectAttempts();
        int start = servers.indexOf(lostServer) + 1; // others first: the lost one is likely down
        String lastError = reason;
        for (int attempt = 0; max < 0 || attempt < max; attempt++) {
            try {
                if (closed.await(backoffNanos(attempt), TimeUnit.NANOSECONDS)) {
                    return null;
                }
            } catch (InterruptedException e) {
                shutdown("reader thread interrupted while reconnecting");
                return null;
            }
            ServerAddress server = servers.get(Math.floorMod(start + attempt, servers.size()));
            Link link = new Link(server, options.tlsContext().orElse(null), options.tlsHostnameVerification(),
                    inbound);
            current = link;
            if (closing.get()) {
                return abandon(reason);
            }
            try {
                Connected connected = link.handshake(connectFrame(options), options.connectTimeout(),
                        options.handshakeTimeout());
                if (attach(link, connected, true)) {
                    return link;
                }
                link.close();
                return null;
            } catch (ConnectRejectedException e) {
                link.close();
                lastError = server + ": " + e.getMessage();
                serverError(e.code(), e.reason());
            } catch (IOException e) {
                link.close();
                lastError = server + ": " + Link.describe(e);
            }
            if (closing.get()) {
                return abandon(reason);
            }
            log.debug("reconnect attempt {} failed: {}", attempt + 1, lastError);
        }
        shutdown("gave up reconnecting after " + max + " attempts; last error: " + lastError);
        return null;
    }

    /**
     * The link is gone while {@link #close()} runs: close the outbound side now so that close's drain, which can no
     * longer succeed, ends at once instead of waiting out its timeout.
     */
    private Link abandon(String reason) {
        outbound.close("link lost while closing: " + reason);
        return null;
    }

    private boolean attach(Link link, Connected connected, boolean reconnect) {
        current = link;
        serverInfo = new ServerInfo(connected.serverId(), connected.serverVersion(), connected.maxPayload(),
                connected.heartbeatMillis(), connected.servers());
        learn(connected.servers());
        // UDP_OPEN goes first: the broker must know the session's UDP side before its UDP subscriptions.
        boolean openUdp = options.udp() && connected.version() >= FrameCodec.UDP_VERSION;
        if (!outbound.attach(link, () -> {
            List<io.courier.protocol.Frame> frames = new ArrayList<>();
            if (openUdp) {
                frames.add(io.courier.protocol.UdpOpen.INSTANCE);
            }
            frames.addAll(subscriptions.resubscribeFrames());
            return frames;
        })) {
            return false;
        }
        log.info("{} {} ({} {})", reconnect ? "reconnected to" : "connected to", link.server(),
                connected.serverId(), connected.serverVersion());
        emit(reconnect ? ConnectionEvent.Type.RECONNECTED : ConnectionEvent.Type.CONNECTED, "", link.address());
        return true;
    }

    /**
     * The broker's INFO frame: the cluster's servers changed. Learned addresses no longer advertised are forgotten (a
     * broker that left would only cost a failed attempt per reconnect); configured ones always stay. Reader thread.
     */
    void serversChanged(List<String> advertised) {
        ServerInfo info = serverInfo;
        if (info != null) {
            serverInfo = new ServerInfo(info.serverId(), info.serverVersion(), info.maxPayload(),
                    info.heartbeatMillis(), advertised);
        }
        List<ServerAddress> configured = options.addresses();
        List<ServerAddress> now = learn(advertised);
        servers.removeIf(a -> !configured.contains(a) && !now.contains(a));
        log.debug("servers now {}", servers);
    }

    /**
     * Adds the reconnect addresses a broker advertised and returns them parsed. Reader thread (or the connecting
     * thread before it).
     */
    private List<ServerAddress> learn(List<String> advertised) {
        List<ServerAddress> parsed = new ArrayList<>(advertised.size());
        for (String s : advertised) {
            try {
                ServerAddress address = ServerAddress.parse(s);
                parsed.add(address);
                if (!servers.contains(address)) {
                    servers.add(address);
                }
            } catch (IllegalArgumentException e) {
                log.debug("ignoring advertised server '{}': {}", s, e.getMessage());
            }
        }
        return parsed;
    }

    /** Closes for good, once: stops the threads, fails what waits, emits CLOSED. */
    void shutdown(String reason) {
        if (!shutDown.compareAndSet(false, true)) {
            return;
        }
        closing.set(true);
        closed.countDown();
        closeUdp();
        udpBound.completeExceptionally(new ConnectionClosedException("connection closed: " + reason));
        int discarded = outbound.close(reason);
        Link link = current;
        if (link != null) {
            link.close();
        }
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        requests.failAll(new ConnectionClosedException("connection closed: " + reason));
        subscriptions.cancelAll();
        if (discarded > 0) {
            log.warn("discarded {} bytes of unsent publishes on close", discarded);
        }
        log.info("connection closed: {}", reason);
        emit(ConnectionEvent.Type.CLOSED, reason, null);
    }

    /**
     * An ERR from the broker (or a reconnect's CONNECT refused with one). A non-fatal one about one of our SUBs
     * refuses that subscription, before this returns; then the {@link ConnectionListener} hears the ERR as it is,
     * and the {@link ErrorListener} either the refusal or the broker error. Reader thread.
     */
    void serverError(ErrorCode code, String reason) {
        log.warn("server error {}: {}", code, reason);
        ClientSubscription refused = code.fatal() ? null : subscriptions.refuse(code, reason);
        if (code == ErrorCode.UDP_UNAVAILABLE && refused == null) {
            udpBound.completeExceptionally(new CourierException(reason));
        }
        ConnectionListener listener = options.connectionListener();
        ErrorListener errors = options.errorListener();
        events.execute(() -> listener.onServerError(code, reason));
        if (refused != null) {
            SubscriptionError error = refused.error().orElseThrow();
            events.execute(() -> errors.onSubscriptionRefused(refused, error));
        } else {
            events.execute(() -> errors.onBrokerError(code, reason));
        }
    }

    @Override
    public void slowConsumer(ClientSubscription subscription, long dropped) {
        ErrorListener errors = options.errorListener();
        events.execute(() -> errors.onSlowConsumer(subscription, dropped));
    }

    @Override
    public void handlerFailed(ClientSubscription subscription, Message message, Exception exception) {
        ErrorListener errors = options.errorListener();
        events.execute(() -> errors.onHandlerException(subscription, message, exception));
    }

    private void emit(ConnectionEvent.Type type, String reason, InetSocketAddress server) {
        ConnectionListener listener = options.connectionListener();
        ConnectionEvent event = new ConnectionEvent(type, reason, server);
        events.execute(() -> listener.onEvent(event));
    }

    private void heartbeatTick() {
        UdpLink u = udp;
        if (u != null && u.isBound()) {
            u.hello(); // keeps the endpoint bound on the broker (its idle timeout) and through NATs
        }
        if (options.heartbeatInterval().isZero()) {
            return; // ticking for the UDP keepalive only
        }
        Link dead = outbound.heartbeat(options.maxMissedPongs());
        if (dead != null) {
            dead.abort("server did not answer " + (options.maxMissedPongs() + 1) + " PINGs (missed PONGs)");
        }
    }

    /** Full jitter: uniform in [0, min(cap, initial * 2^attempt)]. */
    private long backoffNanos(int attempt) {
        long cap = options.reconnectMaxWait().toNanos();
        long bound = options.reconnectWait().toNanos();
        for (int i = 0; i < attempt && bound < cap; i++) {
            bound *= 2;
        }
        bound = Math.min(bound, cap);
        return bound <= 0 ? 0 : ThreadLocalRandom.current().nextLong(bound + 1);
    }

    private static Connect connectFrame(Options options) {
        return new Connect(FrameCodec.VERSION, options.name(), Courier.CLIENT_VERSION, options.user(),
                options.password(), (int) options.heartbeatInterval().toMillis(), options.noEcho());
    }
}
