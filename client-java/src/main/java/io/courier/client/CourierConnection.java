package io.courier.client;

import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
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

    private final Options options;
    private final Outbound outbound;
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

    private CourierConnection(Options options) {
        this.options = options;
        this.outbound = new Outbound(options.reconnectBufferBytes());
        this.servers = new ArrayList<>(options.addresses());
    }

    static Connection connect(Options options) throws IOException, InterruptedException {
        Objects.requireNonNull(options, "options");
        List<String> failures = new ArrayList<>();
        ConnectRejectedException rejected = null;
        for (ServerAddress server : options.addresses()) {
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while connecting to " + server);
            }
            Link link = new Link(server);
            try {
                Connected connected = link.handshake(connectFrame(options), options.connectTimeout());
                CourierConnection connection = new CourierConnection(options);
                connection.start(link, connected);
                return connection;
            } catch (ConnectRejectedException e) {
                link.close();
                rejected = rejected == null ? e : rejected;
                failures.add(server + ": " + e.getMessage());
            } catch (IOException e) {
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
        return subscribe(pattern, queueGroup, handler, false);
    }

    /**
     * A subscription whose handler runs on the reader thread, as each message is read: for the client's own short,
     * non-blocking handlers only (request replies), never for user code.
     */
    Subscription subscribeOnReader(String pattern, MessageHandler handler) {
        return subscribe(pattern, "", handler, true);
    }

    private Subscription subscribe(String pattern, String queueGroup, MessageHandler handler, boolean onReader) {
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
                options.subscriptionPendingLimit(), onReader, this);
        boolean open = outbound.update(() -> {
            subscriptions.add(subscription);
            return new Subscribe(subscription.sid(), pattern, group);
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
            Link link = new Link(server);
            current = link;
            if (closing.get()) {
                return abandon(reason);
            }
            try {
                Connected connected = link.handshake(connectFrame(options), options.connectTimeout());
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
        if (!outbound.attach(link, subscriptions::resubscribeFrames)) {
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
