package io.courier.broker;

import io.courier.broker.auth.AuthSettings;
import io.courier.protocol.Topic;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The {@code courier.*} configuration, read once and validated. A bad value fails with
 * {@link IllegalArgumentException} naming the key and the reason.
 */
public record BrokerSettings(
        String host,
        int port,
        String serverId,
        List<String> advertise,
        Duration connectTimeout,
        Duration heartbeatInterval,
        int heartbeatMaxMissed,
        Duration heartbeatMinInterval,
        Duration heartbeatMaxInterval,
        int maxPayload,
        int maxFrame,
        int maxHandshakeFrame,
        Duration frameTimeout,
        long maxUnfinishedFrameBytes,
        int maxSubscriptionsPerConnection,
        int maxConnections,
        int maxHandshaking,
        int maxHandshakingPerAddress,
        int listenBacklog,
        int maxConnectionsPerAddress,
        int maxPublishRate,
        long maxPendingBytes,
        long maxPendingTotalBytes,
        SlowConsumerPolicy slowConsumerPolicy,
        Duration dropReportInterval,
        Duration publisherPause,
        Duration maxPacing,
        Duration closeTimeout,
        Duration shutdownTimeout,
        int matchCacheSize,
        int ioThreads,
        int warmUpHandshakes,
        Duration warmUpMaxTime,
        ClusterSettings cluster,
        AdminSettings admin,
        UdpSettings udp,
        AuthSettings auth,
        TlsSettings tls) {

    /** What happens when a subscriber's outbound queue is full. */
    public enum SlowConsumerPolicy { DISCONNECT, DROP }

    /** Reads {@code courier.*} from a resolved config that includes the reference defaults. */
    public static BrokerSettings from(Config config) {
        Reader r = new Reader(config);
        String serverId = r.string("courier.server-id");
        int maxPayload = r.sizeInRange("courier.limits.max-payload", 1, Integer.MAX_VALUE - 1024);
        int maxFrame = r.sizeInRange("courier.limits.max-frame", 64, Integer.MAX_VALUE);
        if (maxFrame < maxPayload + 64) {
            throw new IllegalArgumentException("courier.limits.max-frame: must be at least max-payload + 64 bytes ("
                    + (maxPayload + 64L) + ") to hold a PUB of max-payload bytes, got " + maxFrame);
        }
        Duration heartbeat = r.positiveDuration("courier.heartbeat.interval");
        Duration minHeartbeat = r.positiveDuration("courier.heartbeat.min-interval");
        Duration maxHeartbeat = r.positiveDuration("courier.heartbeat.max-interval");
        if (maxHeartbeat.compareTo(minHeartbeat) < 0 || heartbeat.compareTo(maxHeartbeat) > 0) {
            throw new IllegalArgumentException("courier.heartbeat.max-interval: must be at least min-interval ("
                    + minHeartbeat + ") and interval (" + heartbeat + "), got " + maxHeartbeat);
        }
        long maxPending = r.bytesInRange("courier.slow-consumer.max-pending", 1024, Long.MAX_VALUE / 2);
        long heap = Runtime.getRuntime().maxMemory();
        return new BrokerSettings(
                r.nonEmptyString("courier.host"),
                r.count("courier.port", 0, 65535),
                serverId.isEmpty() ? UUID.randomUUID().toString() : serverId,
                r.addressList("courier.advertise"),
                r.positiveDuration("courier.connect-timeout"),
                heartbeat,
                r.count("courier.heartbeat.max-missed", 1, 1000),
                minHeartbeat,
                maxHeartbeat,
                maxPayload,
                maxFrame,
                Math.min(maxFrame, r.sizeInRange("courier.limits.max-handshake-frame", 64, Integer.MAX_VALUE)),
                r.positiveDuration("courier.limits.frame-timeout"),
                r.bytesOrAuto("courier.limits.max-unfinished-frames-total", heap / 8, 64 * 1024),
                r.count("courier.limits.max-subscriptions-per-connection", 1, Integer.MAX_VALUE),
                r.count("courier.limits.max-connections", 1, Integer.MAX_VALUE),
                r.count("courier.limits.max-handshaking", 1, Integer.MAX_VALUE),
                r.count("courier.limits.max-handshaking-per-address", 1, Integer.MAX_VALUE),
                r.count("courier.limits.listen-backlog", 1, 65535),
                r.count("courier.limits.max-connections-per-address", 1, Integer.MAX_VALUE),
                r.count("courier.limits.max-publish-rate", 0, Integer.MAX_VALUE),
                maxPending,
                r.bytesOrAuto("courier.slow-consumer.max-pending-total", heap / 2, maxPending),
                r.policy("courier.slow-consumer.policy"),
                r.positiveDuration("courier.slow-consumer.drop-report-interval"),
                r.nonNegativeDuration("courier.slow-consumer.publisher-pause"),
                r.positiveDuration("courier.slow-consumer.max-pacing"),
                r.positiveDuration("courier.close-timeout"),
                r.positiveDuration("courier.shutdown-timeout"),
                r.count("courier.routing.match-cache-size", 0, 10_000_000),
                r.countOrAuto("courier.io-threads", Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 1,
                        1024),
                r.count("courier.warm-up.handshakes", 0, 1_000_000),
                r.positiveDuration("courier.warm-up.max-time"),
                readCluster(r),
                new AdminSettings(r.bool("courier.admin.enabled"), r.nonEmptyString("courier.admin.host"),
                        r.count("courier.admin.port", 0, 65535)),
                readUdp(r, maxPayload),
                AuthSettings.from(config),
                readTls(r));
    }

    private static TlsSettings readTls(Reader r) {
        boolean enabled = r.bool("courier.tls.enabled");
        boolean plain = r.bool("courier.tls.plain-listener");
        int port = r.count("courier.tls.port", 0, 65535);
        if (!enabled && !plain) {
            throw new IllegalArgumentException("courier.tls.plain-listener: is false while courier.tls.enabled is "
                    + "false too: the broker would take no clients; turn one of them on");
        }
        int plainPort = r.count("courier.port", 0, 65535);
        if (enabled && plain && port != 0 && port == plainPort) {
            throw new IllegalArgumentException("courier.tls.port: must differ from courier.port (" + plainPort
                    + ") while the plain listener runs too (or set courier.tls.plain-listener = false)");
        }
        String keyStore = r.string("courier.tls.key-store").trim();
        String trustStore = r.string("courier.tls.trust-store").trim();
        String clientAuth = r.string("courier.tls.client-auth").trim().toUpperCase(Locale.ROOT);
        TlsSettings.ClientAuth auth;
        try {
            auth = TlsSettings.ClientAuth.valueOf(clientAuth);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("courier.tls.client-auth: must be none, want or need, got '"
                    + clientAuth.toLowerCase(Locale.ROOT) + "'");
        }
        List<String> protocols = r.stringOrList("courier.tls.protocols");
        if (enabled) {
            if (keyStore.isEmpty()) {
                throw new IllegalArgumentException("courier.tls.key-store: must name the broker's key store (PKCS12 "
                        + "or JKS with its certificate and private key) when courier.tls.enabled is on");
            }
            r.readableFile("courier.tls.key-store", keyStore);
            if (!trustStore.isEmpty()) {
                r.readableFile("courier.tls.trust-store", trustStore);
            }
            if (protocols.isEmpty()) {
                throw new IllegalArgumentException("courier.tls.protocols: must name at least one TLS version, "
                        + "such as TLSv1.3");
            }
        }
        return new TlsSettings(enabled, port, plain, Path.of(keyStore), r.string("courier.tls.key-store-password"),
                r.nonEmptyString("courier.tls.key-store-type").trim(),
                trustStore.isEmpty() ? Optional.empty() : Optional.of(Path.of(trustStore)),
                r.string("courier.tls.trust-store-password"), auth, protocols,
                r.positiveDuration("courier.tls.handshake-timeout"));
    }

    private static UdpSettings readUdp(Reader r, int maxPayload) {
        int maxDatagram = r.sizeInRange("courier.udp.max-datagram", 64, 65507);
        return new UdpSettings(
                r.bool("courier.udp.enabled"),
                r.count("courier.udp.port", -1, 65535),
                maxDatagram,
                r.positiveDuration("courier.udp.idle-timeout"),
                r.count("courier.udp.window", 1, 1_000_000),
                r.sizeInRange("courier.udp.socket-buffer", 64 * 1024, 1 << 30),
                r.bytesOrAuto("courier.udp.max-waiting-total", Runtime.getRuntime().maxMemory() / 16, 64 * 1024),
                r.patternList("courier.last-value.patterns"),
                r.count("courier.last-value.max-topics", 1, Integer.MAX_VALUE),
                r.bytesInRange("courier.last-value.max-bytes", 1024, Long.MAX_VALUE / 2));
    }

    private static ClusterSettings readCluster(Reader r) {
        String strategy = r.string("courier.cluster.split-brain-resolver.active-strategy").trim();
        if (!List.of("keep-majority", "static-quorum", "keep-oldest", "down-all").contains(strategy)) {
            throw new IllegalArgumentException("courier.cluster.split-brain-resolver.active-strategy: must be "
                    + "keep-majority, static-quorum, keep-oldest or down-all, got '" + strategy + "'");
        }
        return new ClusterSettings(
                r.bool("courier.cluster.enabled"),
                r.nonEmptyString("courier.cluster.host"),
                r.count("courier.cluster.port", 0, 65535),
                r.count("courier.cluster.route-port", 0, 65535),
                r.addressList("courier.cluster.seeds"),
                r.bytesInRange("courier.cluster.route-max-pending", 1024 * 1024, Long.MAX_VALUE / 2),
                strategy,
                r.positiveDuration("courier.cluster.split-brain-resolver.stable-after"),
                r.positiveDuration("courier.cluster.acceptable-heartbeat-pause"),
                readClusterTls(r));
    }

    private static Optional<TlsSettings> readClusterTls(Reader r) {
        if (!r.bool("courier.cluster.tls.enabled")) {
            return Optional.empty();
        }
        String keyStore = r.nonEmptyString("courier.cluster.tls.key-store").trim();
        String trustStore = r.nonEmptyString("courier.cluster.tls.trust-store").trim();
        r.readableFile("courier.cluster.tls.key-store", keyStore);
        r.readableFile("courier.cluster.tls.trust-store", trustStore);
        return Optional.of(new TlsSettings(true, 0, true, Path.of(keyStore),
                r.string("courier.cluster.tls.key-store-password"), "PKCS12", Optional.of(Path.of(trustStore)),
                r.string("courier.cluster.tls.trust-store-password"), TlsSettings.ClientAuth.NEED,
                List.of("TLSv1.3"), Duration.ofSeconds(10)));
    }

    /**
     * Fails on any {@code courier.*} key of {@code effective} that {@code reference} does not define, naming the
     * key, where it was set and the nearest known key: a typo must not leave a setting silently at its default.
     * {@code courier.io-dispatcher} takes any of Pekko's dispatcher settings and is not checked; the users under
     * {@code courier.auth.users} are checked by {@link AuthSettings}.
     */
    public static void rejectUnknownKeys(Config effective, Config reference) {
        if (!effective.hasPath("courier")) {
            return;
        }
        Set<String> known = new TreeSet<>();
        reference.getConfig("courier").entrySet().forEach(e -> known.add(e.getKey()));
        for (Map.Entry<String, ConfigValue> e : effective.getConfig("courier").entrySet()) {
            String key = e.getKey();
            if (known.contains(key) || key.startsWith("io-dispatcher.") || key.startsWith("auth.users.")) {
                continue;
            }
            String nearest = nearest(key, known);
            throw new IllegalArgumentException("unknown setting courier." + key + " in " + where(e.getValue())
                    + (nearest == null ? "" : "; did you mean courier." + nearest + "?")
                    + " (every setting is listed in the broker's reference.conf)");
        }
    }

    private static String where(ConfigValue value) {
        ConfigOrigin origin = value.origin();
        if (origin.filename() != null) {
            return origin.filename() + (origin.lineNumber() > 0 ? " line " + origin.lineNumber() : "");
        }
        return origin.description();
    }

    /** The known key closest to {@code key} in edit distance, when close enough to be a likely typo. */
    private static String nearest(String key, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = editDistance(key, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /**
     * How often a link checks for a frame left unfinished past {@code frameTimeout}: twice per timeout, and no more
     * often than every 50 ms.
     */
    public Duration frameCheckInterval() {
        Duration half = Duration.ofNanos(frameTimeout.toNanos() / 2);
        return half.compareTo(Duration.ofMillis(50)) < 0 ? Duration.ofMillis(50) : half;
    }

    /** Effective heartbeat for a client that asked for {@code requestedMillis} in CONNECT (0 = no preference). */
    public Duration heartbeatFor(int requestedMillis) {
        if (requestedMillis <= 0) {
            return heartbeatInterval;
        }
        Duration requested = Duration.ofMillis(requestedMillis);
        if (requested.compareTo(heartbeatMinInterval) < 0) {
            return heartbeatMinInterval;
        }
        return requested.compareTo(heartbeatMaxInterval) > 0 ? heartbeatMaxInterval : requested;
    }

    private static final class Reader {
        private final Config config;

        Reader(Config config) {
            this.config = config;
        }

        String string(String key) {
            try {
                return config.getString(key);
            } catch (ConfigException e) {
                throw invalid(key, e);
            }
        }

        String nonEmptyString(String key) {
            String s = string(key);
            if (s.isBlank()) {
                throw new IllegalArgumentException(key + ": must not be empty");
            }
            return s;
        }

        /** A whole number of things (connections, subscriptions): a size such as {@code 1 MiB} is refused. */
        int count(String key, int min, int max) {
            long v;
            try {
                v = config.getLong(key);
            } catch (ConfigException.WrongType e) {
                throw new IllegalArgumentException(key + ": must be a whole number (a count, not a size or a duration),"
                        + " got '" + config.getValue(key).unwrapped() + "'", e);
            } catch (ConfigException e) {
                throw invalid(key, e);
            }
            return (int) checkRange(key, v, min, max);
        }

        /** A count, or {@code auto} for {@code auto}. */
        int countOrAuto(String key, int auto, int min, int max) {
            return string(key).trim().equalsIgnoreCase("auto") ? auto : count(key, min, max);
        }

        /** A size in bytes: a number, or a number with a unit ({@code 8 KiB}, {@code 1 MiB}). */
        int sizeInRange(String key, int min, int max) {
            return (int) bytesInRange(key, min, max);
        }

        /** A size, or {@code auto} for {@code auto} bytes (a share of the heap); at least {@code min}. */
        long bytesOrAuto(String key, long auto, long min) {
            String raw = string(key).trim();
            long v = raw.equalsIgnoreCase("auto") ? Math.max(auto, min) : bytesInRange(key, 1, Long.MAX_VALUE / 2);
            if (v < min) {
                throw new IllegalArgumentException(key + ": must be 'auto' or at least " + min + " bytes, got " + v);
            }
            return v;
        }

        long bytesInRange(String key, long min, long max) {
            try {
                return checkRange(key, config.getBytes(key), min, max);
            } catch (ConfigException e) {
                throw invalid(key, e);
            }
        }

        Duration positiveDuration(String key) {
            Duration d = nonNegativeDuration(key);
            if (d.isZero()) {
                throw new IllegalArgumentException(key + ": must be a positive duration such as 5s, got " + d);
            }
            return d;
        }

        Duration nonNegativeDuration(String key) {
            Duration d;
            try {
                d = config.getDuration(key);
            } catch (ConfigException e) {
                throw invalid(key, e);
            }
            if (d.isNegative()) {
                throw new IllegalArgumentException(key + ": must not be negative, got " + d);
            }
            return d;
        }

        /** Fails naming {@code key} unless {@code file} is a regular file this process can read. */
        void readableFile(String key, String file) {
            Path path = Path.of(file);
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(key + ": no such file: " + path.toAbsolutePath());
            }
            if (!Files.isReadable(path)) {
                throw new IllegalArgumentException(key + ": cannot read " + path.toAbsolutePath()
                        + " (check its permissions)");
            }
        }

        /** A list of strings, or one comma-separated string of them (as an environment variable gives it). */
        List<String> stringOrList(String key) {
            if (config.getValue(key).valueType() == ConfigValueType.STRING) {
                String raw = config.getString(key).trim();
                return raw.isEmpty() ? List.of() : Arrays.stream(raw.split(",")).map(String::trim).toList();
            }
            return stringList(key, s -> { });
        }

        boolean bool(String key) {
            try {
                return config.getBoolean(key);
            } catch (ConfigException e) {
                throw invalid(key, e);
            }
        }

        /** A list of host:port, or a comma-separated string of them (as an environment variable gives it). */
        List<String> addressList(String key) {
            if (config.getValue(key).valueType() == ConfigValueType.STRING) {
                String raw = config.getString(key).trim();
                List<String> parts = raw.isEmpty() ? List.of()
                        : Arrays.stream(raw.split(",")).map(String::trim).toList();
                for (String a : parts) {
                    checkAddress(key, a);
                }
                return parts;
            }
            return addresses(key);
        }

        private static void checkAddress(String key, String a) {
            int colon = a.lastIndexOf(':');
            if (colon <= 0 || colon == a.length() - 1 || !a.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException(key + ": '" + a + "' is not a host:port address");
            }
        }

        List<String> addresses(String key) {
            return stringList(key, a -> checkAddress(key, a));
        }

        /** A list of subscription patterns, each valid ({@link Topic#invalidPatternReason}). */
        List<String> patternList(String key) {
            return stringList(key, p -> {
                String invalid = Topic.invalidPatternReason(p);
                if (invalid != null) {
                    throw new IllegalArgumentException(key + ": '" + p + "' is not a valid pattern: " + invalid);
                }
            });
        }

        /** A list of strings, each passed to {@code check} (which throws for a bad one). */
        private List<String> stringList(String key, java.util.function.Consumer<String> check) {
            List<String> list;
            try {
                list = config.getStringList(key);
            } catch (ConfigException e) {
                throw invalid(key, e);
            }
            list.forEach(check);
            return List.copyOf(list);
        }

        SlowConsumerPolicy policy(String key) {
            String s = string(key);
            try {
                return SlowConsumerPolicy.valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": must be 'disconnect' or 'drop', got '" + s + "'");
            }
        }

        private static long checkRange(String key, long v, long min, long max) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(key + ": must be between " + min + " and " + max + ", got " + v);
            }
            return v;
        }

        private static IllegalArgumentException invalid(String key, ConfigException e) {
            String detail = e.getMessage();
            return new IllegalArgumentException(key + ": " + (detail == null ? "invalid value" : detail), e);
        }
    }
}
