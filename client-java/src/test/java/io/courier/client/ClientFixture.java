package io.courier.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a client test stands on, fresh for each test: a {@link FakeBroker}, a {@link RecordingListener} and a
 * {@link RecordingErrors} to hand the client, and the connections the test opens, all closed after it (connections
 * first). Register it on an instance field with {@code @RegisterExtension}: {@code new ClientFixture()} when each test
 * opens its own connection with {@link #connect}, {@link #connected} when every test of the class wants one.
 */
final class ClientFixture implements BeforeEachCallback, AfterEachCallback {

    /** Settings on top of {@link #options()} for the connection opened before each test; null: none is opened. */
    private final UnaryOperator<Options.Builder> settings;
    private final List<Connection> opened = new ArrayList<>();
    private FakeBroker broker;
    private RecordingListener listener;
    private RecordingErrors errors;

    /** The broker and the listeners only: each test opens its connections with {@link #connect}. */
    ClientFixture() {
        this(null);
    }

    private ClientFixture(UnaryOperator<Options.Builder> settings) {
        this.settings = settings;
    }

    /** Before each test, a connection with {@link #options()} and then {@code settings}: {@link #connection()}. */
    static ClientFixture connected(UnaryOperator<Options.Builder> settings) {
        return new ClientFixture(settings);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        broker = FakeBroker.start();
        listener = new RecordingListener();
        errors = new RecordingErrors();
        if (settings != null) {
            connect(settings.apply(options()));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            opened.forEach(Connection::close);
            opened.clear();
        } finally {
            if (broker != null) { // null when it failed to start
                broker.close();
            }
        }
    }

    FakeBroker broker() {
        return broker;
    }

    RecordingListener listener() {
        return listener;
    }

    RecordingErrors errors() {
        return errors;
    }

    /** Options for this test's broker, with {@link #listener()} and {@link #errors()} listening. */
    Options.Builder options() {
        return Options.builder().server(broker.address()).connectionListener(listener).errorListener(errors);
    }

    /** Connects with {@code options}; the connection is closed after the test (closing it sooner is fine). */
    Connection connect(Options.Builder options) throws IOException, InterruptedException {
        Connection connection = Courier.connect(options.build());
        opened.add(connection);
        return connection;
    }

    /** The connection opened last: the one of {@link #connected}, or the last one {@link #connect} opened. */
    Connection connection() {
        if (opened.isEmpty()) {
            throw new IllegalStateException("no connection yet: use ClientFixture.connected, or connect first");
        }
        return opened.get(opened.size() - 1);
    }
}
