package io.courier.broker;

import org.junit.jupiter.api.extension.RegisterExtension;

/** For tests against one embedded broker at a time: {@link #start} it with overrides; it is stopped after each test. */
abstract class OneBrokerTest {

    @RegisterExtension
    final Brokers brokers = new Brokers();
    Broker broker;

    /** Starts the broker for this test, with {@code overrides} (HOCON) over the defaults. */
    Broker start(String overrides) {
        broker = brokers.start(overrides);
        return broker;
    }
}
