package io.courier.broker;

import com.typesafe.config.ConfigFactory;
import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Embedded brokers and what a test opens against them, all closed after each test (clients first, then the
 * brokers), even when it fails. Register with {@code @RegisterExtension final Brokers brokers = new Brokers();}.
 */
final class Brokers implements AfterEachCallback {

    private final List<AutoCloseable> opened = new ArrayList<>();
    private final List<Broker> started = new ArrayList<>();

    /** A broker on 127.0.0.1 and an ephemeral port, with {@code overrides} (HOCON) over the defaults. */
    Broker start(String overrides) {
        Broker broker = Broker.start(ConfigFactory.parseString("courier.port = 0\n" + overrides));
        started.add(broker);
        return broker;
    }

    /** Closes {@code closeable} after the test, before the brokers stop. */
    <T extends AutoCloseable> T closeAfter(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    /** A Java client connected to {@code broker}. */
    Connection client(Broker broker, String name) throws Exception {
        return client(Options.builder().server(address(broker)).name(name));
    }

    Connection client(Options.Builder options) throws Exception {
        return closeAfter(Courier.connect(options.build()));
    }

    static String address(Broker broker) {
        return "127.0.0.1:" + broker.address().getPort();
    }

    /** Stops the brokers started so far (the test may start others after). */
    void stopAll() {
        started.forEach(Broker::stop);
        started.clear();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        opened.clear();
        stopAll();
    }
}
