package io.courier.client;

import java.io.IOException;

/** Entry point: opens {@link Connection}s to Courier brokers. */
public final class Courier {

    /** Client version sent in CONNECT. */
    public static final String CLIENT_VERSION = "courier-java/0.1.0";

    private Courier() {
    }

    /**
     * Connects to the first server of {@code options} that answers, trying each once. Returns once the broker has
     * answered CONNECT.
     *
     * @throws ConnectRejectedException when a broker answered CONNECT with an error (code and reason inside)
     * @throws IOException when no server could be reached, with each server's reason
     *     ("cannot connect to 127.0.0.1:4800: connection refused")
     */
    public static Connection connect(Options options) throws IOException, InterruptedException {
        return CourierConnection.connect(options);
    }

    /** Connects to {@code hostPort} with default options. */
    public static Connection connect(String hostPort) throws IOException, InterruptedException {
        return connect(Options.builder().server(hostPort).build());
    }
}
