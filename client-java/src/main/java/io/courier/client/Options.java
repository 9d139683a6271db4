package io.courier.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/** Immutable settings of a {@link Connection}; made with {@link #builder()}, checked by {@link Builder#build()}. */
public final class Options {

    public static final String DEFAULT_SERVER = "127.0.0.1:4800";

    private final List<String> servers;
    private final String name;
    private final String user;
    private final String password;
    private final Duration heartbeatInterval;
    private final int maxMissedPongs;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final Duration drainTimeout;
    private final int maxReconnectAttempts;
    private final Duration reconnectWait;
    private final Duration reconnectMaxWait;
    private final long reconnectBufferBytes;
    private final boolean noEcho;
    private final int subscriptionPendingLimit;
    private final ConnectionListener connectionListener;
    private final ErrorListener errorListener;
    private final List<ServerAddress> addresses;

    private final boolean udp;
    private final int udpDropEvery;
    private final SSLContext tlsContext;
    private final boolean tlsHostnameVerification;

    private Options(Builder b, SSLContext tlsContext) {
        this.tlsContext = tlsContext;
        this.tlsHostnameVerification = b.tlsHostnameVerification;
        this.udp = b.udp;
        this.udpDropEvery = b.udpDropEvery;
        this.servers = List.copyOf(b.servers);
        this.name = b.name;
        this.user = b.user;
        this.password = b.password;
        this.heartbeatInterval = b.heartbeatInterval;
        this.maxMissedPongs = b.maxMissedPongs;
        this.connectTimeout = b.connectTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.drainTimeout = b.drainTimeout;
        this.maxReconnectAttempts = b.maxReconnectAttempts;
        this.reconnectWait = b.reconnectWait;
        this.reconnectMaxWait = b.reconnectMaxWait;
        this.reconnectBufferBytes = b.reconnectBufferBytes;
        this.noEcho = b.noEcho;
        this.subscriptionPendingLimit = b.subscriptionPendingLimit;
        this.connectionListener = b.connectionListener;
        this.errorListener = b.errorListener;
        List<ServerAddress> parsed = new ArrayList<>();
        for (String s : servers) {
            parsed.add(ServerAddress.parse(s));
        }
        this.addresses = List.copyOf(parsed);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Brokers to try, in order ({@code host:port}). */
    public List<String> servers() {
        return servers;
    }

    /** Client name sent in CONNECT, for the broker's logs and monitoring; empty by default. */
    public String name() {
        return name;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** How often the client PINGs the broker while connected; {@link Duration#ZERO} turns client PINGs off. */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /**
     * How many PINGs may be outstanding at a heartbeat tick before the broker is taken for dead: at a tick with more
     * than this many unanswered PINGs the client drops the link and reconnects.
     */
    public int maxMissedPongs() {
        return maxMissedPongs;
    }

    /**
     * Limit for opening the socket to a server, per server and attempt (default 2 s): a server whose socket does not
     * open is likely gone, and the next one in the list is tried.
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Limit for the handshake once the socket is open (TLS, then CONNECT until CONNECTED), per attempt (default
     * 10 s). Longer than {@link #connectTimeout()} on purpose: a broker that accepted the socket is alive, and one
     * busy with a reconnect storm answers late rather than never; hanging up on it would make it do the same work
     * again for the next attempt.
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * How long the client keeps reading the link of a broker that announced its shutdown, waiting for the PONG to its
     * drain PING (see {@link Connection}). The broker ends the drain itself (its {@code shutdown-timeout}, 10 s by
     * default), so this only bounds the wait for a broker that never does; keep it above the broker's.
     */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** Reconnect attempts after a lost link before giving up: -1 forever, 0 never reconnect. */
    public int maxReconnectAttempts() {
        return maxReconnectAttempts;
    }

    /** Backoff bound of the first reconnect attempt; it doubles per attempt up to {@link #reconnectMaxWait()}. */
    public Duration reconnectWait() {
        return reconnectWait;
    }

    /** Cap of the reconnect backoff. Each wait is drawn uniformly from zero to the current bound (full jitter). */
    public Duration reconnectMaxWait() {
        return reconnectMaxWait;
    }

    /** Bytes of publishes kept while disconnected; beyond it publish throws {@link ReconnectBufferFullException}. */
    public long reconnectBufferBytes() {
        return reconnectBufferBytes;
    }

    /** Ask the broker not to deliver this connection's own publishes to its subscriptions. */
    /** Whether the connection binds a UDP endpoint (see {@link Builder#udp}). */
    public boolean udp() {
        return udp;
    }

    /** Test-only fault injection: every n-th received datagram is dropped (0: none). */
    public int udpDropEvery() {
        return udpDropEvery;
    }

    public boolean noEcho() {
        return noEcho;
    }

    /** Messages a subscription may hold for its handler before it drops the newest (see {@link Subscription}). */
    public int subscriptionPendingLimit() {
        return subscriptionPendingLimit;
    }

    /** The listener for state events and broker errors; never {@code null} (a no-op one by default). */
    public ConnectionListener connectionListener() {
        return connectionListener;
    }

    /** The listener for errors by what they concern; never {@code null} (a no-op one by default). */
    public ErrorListener errorListener() {
        return errorListener;
    }

    /** The SSL context links are made with when the connection uses TLS (see {@link Builder#tls()}). */
    public Optional<SSLContext> tlsContext() {
        return Optional.ofNullable(tlsContext);
    }

    /** Whether a TLS link checks that the broker's certificate names the host connected to (on unless opted out). */
    public boolean tlsHostnameVerification() {
        return tlsHostnameVerification;
    }

    List<ServerAddress> addresses() {
        return addresses;
    }

    /** Collects settings; every setter checks its argument, {@link #build()} checks how they fit together. */
    public static final class Builder {
        private List<String> servers = List.of(DEFAULT_SERVER);
        private String name = "";
        private String user = "";
        private String password = "";
        private Duration heartbeatInterval = Duration.ofSeconds(5);
        private int maxMissedPongs = 2;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration drainTimeout = Duration.ofSeconds(30);
        private int maxReconnectAttempts = 60;
        private Duration reconnectWait = Duration.ofMillis(50);
        private Duration reconnectMaxWait = Duration.ofSeconds(2);
        private long reconnectBufferBytes = 8L * 1024 * 1024;
        private boolean noEcho;
        private boolean udp;
        private int udpDropEvery;
        private int subscriptionPendingLimit = 65536;
        private ConnectionListener connectionListener = event -> { };
        private ErrorListener errorListener = new ErrorListener() { };
        private boolean tls;
        private SSLContext tlsContext;
        private Path trustStore;
        private char[] trustStorePassword;
        private Path keyStore;
        private char[] keyStorePassword;
        private boolean tlsHostnameVerification = true;

        private Builder() {
        }

        /**
         * Connects with TLS, trusting the JDK's default CAs (a broker certificate from a public CA). Every link, and
         * every reconnect, is TLS; the broker's certificate must name the host connected to (see
         * {@link #tlsHostnameVerification}). The UDP side ({@link #udp}) is not encrypted: its token comes over TLS.
         */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /** Connects with TLS using {@code context} (its trust managers, and its key managers for mutual TLS). */
        public Builder tls(SSLContext context) {
            this.tlsContext = Objects.requireNonNull(context, "context");
            this.tls = true;
            return this;
        }

        /**
         * Connects with TLS, trusting the CAs in {@code trustStore} (PKCS12 or JKS), read once by {@link #build()}.
         */
        public Builder tls(Path trustStore, String password) {
            this.trustStore = Objects.requireNonNull(trustStore, "trustStore");
            this.trustStorePassword = Objects.requireNonNull(password, "password").toCharArray();
            this.tls = true;
            return this;
        }

        /**
         * For mutual TLS: presents the certificate and private key in {@code keyStore} (PKCS12 or JKS; the key's
         * password is the store's). Implies {@link #tls()}; not together with {@link #tls(SSLContext)}.
         */
        public Builder tlsClientCertificate(Path keyStore, String password) {
            this.keyStore = Objects.requireNonNull(keyStore, "keyStore");
            this.keyStorePassword = Objects.requireNonNull(password, "password").toCharArray();
            this.tls = true;
            return this;
        }

        /**
         * On by default: a TLS link fails unless the broker's certificate names the host it connects to (DNS name
         * or IP address in its subject alternative names). Turn it off only for tests or a network you control.
         */
        public Builder tlsHostnameVerification(boolean verify) {
            this.tlsHostnameVerification = verify;
            return this;
        }

        public Builder server(String hostPort) {
            ServerAddress.parse(hostPort);
            this.servers = List.of(hostPort.trim());
            return this;
        }

        public Builder servers(List<String> hostPorts) {
            Objects.requireNonNull(hostPorts, "servers");
            if (hostPorts.isEmpty()) {
                throw new IllegalArgumentException("servers is empty: give at least one host:port");
            }
            List<String> copy = new ArrayList<>();
            for (String s : hostPorts) {
                ServerAddress.parse(s);
                copy.add(s.trim());
            }
            this.servers = copy;
            return this;
        }

        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Logs in as {@code user} with {@code password} (send them over TLS where it matters). */
        public Builder credentials(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** Logs in with a bearer token alone (on the wire: no user, the token as the password). */
        public Builder token(String token) {
            if (Objects.requireNonNull(token, "token").isEmpty()) {
                throw new IllegalArgumentException("token must not be empty");
            }
            return credentials("", token);
        }

        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = nonNegative(interval, "heartbeatInterval");
            if (interval.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("heartbeatInterval is too long: at most " + Integer.MAX_VALUE + " ms");
            }
            return this;
        }

        public Builder maxMissedPongs(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxMissedPongs must be >= 0, was " + max);
            }
            this.maxMissedPongs = max;
            return this;
        }

        /** See {@link Options#connectTimeout()}; default 2 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** See {@link Options#handshakeTimeout()}; default 10 s. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive(timeout, "handshakeTimeout");
            return this;
        }

        /** See {@link Options#drainTimeout()}; default 30 s. */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = positive(timeout, "drainTimeout");
            return this;
        }

        public Builder maxReconnectAttempts(int attempts) {
            if (attempts < -1) {
                throw new IllegalArgumentException("maxReconnectAttempts must be -1 (forever), 0 (never) or more, was "
                        + attempts);
            }
            this.maxReconnectAttempts = attempts;
            return this;
        }

        public Builder reconnectWait(Duration initial) {
            this.reconnectWait = nonNegative(initial, "reconnectWait");
            return this;
        }

        public Builder reconnectMaxWait(Duration cap) {
            this.reconnectMaxWait = nonNegative(cap, "reconnectMaxWait");
            return this;
        }

        public Builder reconnectBufferBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("reconnectBufferBytes must be >= 0, was " + bytes);
            }
            this.reconnectBufferBytes = bytes;
            return this;
        }

        public Builder noEcho(boolean noEcho) {
            this.noEcho = noEcho;
            return this;
        }

        /**
         * Binds a UDP endpoint to the connection's session (protocol version 3): {@code connect} returns once the
         * broker has confirmed it, and every reconnect binds again. Needed for {@link Connection#publishUdp} and
         * {@link Delivery#UDP} subscriptions. Heartbeats, subscriptions and resyncs stay on TCP.
         */
        public Builder udp(boolean udp) {
            this.udp = udp;
            return this;
        }

        /**
         * For tests of gap handling only: drops every {@code n}-th datagram received, as a lossy network would
         * (0, the default, drops none).
         */
        public Builder udpDropEvery(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("udpDropEvery must be >= 0, was " + n);
            }
            this.udpDropEvery = n;
            return this;
        }

        public Builder subscriptionPendingLimit(int messages) {
            if (messages < 1) {
                throw new IllegalArgumentException("subscriptionPendingLimit must be >= 1, was " + messages);
            }
            this.subscriptionPendingLimit = messages;
            return this;
        }

        public Builder connectionListener(ConnectionListener listener) {
            this.connectionListener = Objects.requireNonNull(listener, "connectionListener");
            return this;
        }

        public Builder errorListener(ErrorListener listener) {
            this.errorListener = Objects.requireNonNull(listener, "errorListener");
            return this;
        }

        public Options build() {
            if (reconnectMaxWait.compareTo(reconnectWait) < 0) {
                throw new IllegalArgumentException("reconnectMaxWait (" + reconnectMaxWait
                        + ") must not be shorter than reconnectWait (" + reconnectWait + ")");
            }
            return new Options(this, tlsContext());
        }

        private SSLContext tlsContext() {
            if (!tls) {
                return null;
            }
            if (tlsContext != null) {
                if (trustStore != null || keyStore != null) {
                    throw new IllegalArgumentException("tls(SSLContext) and a trust store or client certificate are "
                            + "given: put the stores into the SSLContext, or give the stores only");
                }
                return tlsContext;
            }
            return TlsSocket.context(trustStore, trustStorePassword, keyStore, keyStorePassword);
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d);
            }
            return d;
        }

        private static Duration nonNegative(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative()) {
                throw new IllegalArgumentException(what + " must not be negative, was " + d);
            }
            return d;
        }
    }
}
