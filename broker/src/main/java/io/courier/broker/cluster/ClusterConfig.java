package io.courier.broker.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.courier.broker.ClusterSettings;
import io.courier.broker.TlsSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Pekko settings a broker of a cluster runs with, made from its {@code courier.cluster.*} settings: the cluster
 * provider, Artery over TCP at the node's address, the seed nodes, the split brain resolver, and the serializer of
 * {@link ClusterMessage}s; with {@code courier.cluster.tls}, Artery over {@code tls-tcp}. (Pekko leaves the resolver off by default, and a cluster without one never downs an
 * unreachable member: docs/operations.md, "Running a cluster".)
 */
public final class ClusterConfig {

    /** The actor system's name, the same on every broker: Pekko joins only systems of one name. */
    public static final String SYSTEM_NAME = "courier";

    private ClusterConfig() {
    }

    public static Config of(ClusterSettings cluster) {
        Config config = plain(cluster);
        if (cluster.tls().isEmpty()) {
            return config;
        }
        // Artery over TLS with mutual authentication; values set one by one, so no password is parsed as HOCON.
        TlsSettings tls = cluster.tls().get();
        String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
        return config
                .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
                .withValue("pekko.remote.artery.ssl.ssl-engine-provider",
                        ConfigValueFactory.fromAnyRef("org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider"))
                .withValue(engine + "key-store", ConfigValueFactory.fromAnyRef(tls.keyStore().toString()))
                .withValue(engine + "key-store-password", ConfigValueFactory.fromAnyRef(tls.keyStorePassword()))
                .withValue(engine + "key-password", ConfigValueFactory.fromAnyRef(tls.keyStorePassword()))
                .withValue(engine + "trust-store",
                        ConfigValueFactory.fromAnyRef(tls.trustStore().orElseThrow().toString()))
                .withValue(engine + "trust-store-password", ConfigValueFactory.fromAnyRef(tls.trustStorePassword()))
                .withValue(engine + "protocol", ConfigValueFactory.fromAnyRef("TLSv1.3"))
                .withValue(engine + "require-mutual-authentication", ConfigValueFactory.fromAnyRef(true))
                .withValue(engine + "hostname-verification", ConfigValueFactory.fromAnyRef(false));
    }

    private static Config plain(ClusterSettings cluster) {
        // No seeds: this broker founds a cluster by joining itself (Broker.startCluster), once its port is known.
        List<String> seeds = new ArrayList<>(cluster.seeds());
        String seedNodes = seeds.stream().map(s -> "\"pekko://" + SYSTEM_NAME + "@" + s + "\"")
                .collect(Collectors.joining(", "));
        return ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.transport = tcp
                pekko.remote.artery.canonical.hostname = "%s"
                pekko.remote.artery.canonical.port = %d
                pekko.cluster.seed-nodes = [%s]
                pekko.cluster.downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
                pekko.cluster.split-brain-resolver.active-strategy = %s
                pekko.cluster.split-brain-resolver.stable-after = %dms
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = %dms
                pekko.cluster.jmx.enabled = off
                pekko.actor.serialization-bindings {
                  "io.courier.broker.cluster.ClusterMessage" = jackson-cbor
                }
                """.formatted(cluster.host(), cluster.port(), seedNodes, cluster.downingStrategy(),
                cluster.stableAfter().toMillis(), cluster.acceptableHeartbeatPause().toMillis()),
                com.typesafe.config.ConfigParseOptions.defaults().setOriginDescription("courier.cluster settings"));
    }
}
