package io.courier.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code courier.tls.*} and {@code courier.cluster.tls.*} as BrokerSettings reads and checks them. */
class TlsSettingsTest {

    @TempDir
    Path dir;

    private static BrokerSettings read(String overrides) {
        Config config = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
        return BrokerSettings.from(config);
    }

    private String enabledWith(Path keyStore) {
        return "courier.tls { enabled = true, key-store = \"" + keyStore + "\", key-store-password = \"s3cret\" }\n";
    }

    @Test
    void isOffByDefaultWithTheDocumentedDefaults() {
        TlsSettings tls = read("").tls();
        assertThat(tls.enabled()).isFalse();
        assertThat(tls.plainListener()).isTrue();
        assertThat(tls.port()).isEqualTo(4843);
        assertThat(tls.clientAuth()).isEqualTo(TlsSettings.ClientAuth.NONE);
        assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(read("").cluster().tls()).isEmpty();
    }

    @Test
    void readsEverySetting() throws IOException {
        Path store = Files.writeString(dir.resolve("broker.p12"), "not checked here");
        TlsSettings tls = read(enabledWith(store) + "courier.tls { port = 5443, plain-listener = false, "
                + "client-auth = NEED, protocols = \"TLSv1.3\", handshake-timeout = 2s, trust-store = \"" + store
                + "\" }").tls();
        assertThat(tls.port()).isEqualTo(5443);
        assertThat(tls.plainListener()).isFalse();
        assertThat(tls.clientAuth()).isEqualTo(TlsSettings.ClientAuth.NEED);
        assertThat(tls.protocols()).containsExactly("TLSv1.3");
        assertThat(tls.trustStore()).contains(store);
        assertThat(tls.handshakeTimeout()).hasSeconds(2);
    }

    @Test
    void neverPrintsPasswords() throws IOException {
        Path store = Files.writeString(dir.resolve("broker.p12"), "x");
        assertThat(read(enabledWith(store)).tls().toString()).doesNotContain("s3cret").contains("***");
    }

    @Test
    void refusesEnabledWithoutKeyStore() {
        assertThatThrownBy(() -> read("courier.tls.enabled = true"))
                .hasMessageStartingWith("courier.tls.key-store: must name");
    }

    @Test
    void refusesMissingKeyStoreFile() {
        assertThatThrownBy(() -> read(enabledWith(dir.resolve("missing.p12"))))
                .hasMessageStartingWith("courier.tls.key-store: no such file").hasMessageContaining("missing.p12");
    }

    @Test
    void refusesTheSamePortForBothListeners() throws IOException {
        Path store = Files.writeString(dir.resolve("broker.p12"), "x");
        assertThatThrownBy(() -> read(enabledWith(store) + "courier.port = 4800\ncourier.tls.port = 4800"))
                .hasMessageStartingWith("courier.tls.port: must differ from courier.port");
    }

    @Test
    void refusesNoListenerAtAll() {
        assertThatThrownBy(() -> read("courier.tls.plain-listener = false"))
                .hasMessageStartingWith("courier.tls.plain-listener");
    }

    @Test
    void refusesUnknownClientAuth() {
        assertThatThrownBy(() -> read("courier.tls.client-auth = always"))
                .hasMessageContaining("courier.tls.client-auth: must be none, want or need");
    }

    @Test
    void clusterTlsNeedsBothStores() throws IOException {
        Path store = Files.writeString(dir.resolve("node.p12"), "x");
        assertThatThrownBy(() -> read("courier.cluster.tls { enabled = true, key-store = \"" + store + "\" }"))
                .hasMessageStartingWith("courier.cluster.tls.trust-store: must not be empty");
        TlsSettings tls = read("courier.cluster.tls { enabled = true, key-store = \"" + store + "\", trust-store = \""
                + store + "\" }").cluster().tls().orElseThrow();
        assertThat(tls.clientAuth()).isEqualTo(TlsSettings.ClientAuth.NEED);
    }
}
