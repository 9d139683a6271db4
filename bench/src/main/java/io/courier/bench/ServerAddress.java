package io.courier.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** The {@code --server host:port} option of the bench commands. */
public final class ServerAddress {

    private ServerAddress() {
    }

    /** {@code host:port}, split but not resolved; IllegalArgumentException says what is wrong with it. */
    public static InetSocketAddress parse(String server) {
        int colon = server.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--server must be host:port, got " + server);
        }
        try {
            return InetSocketAddress.createUnresolved(server.substring(0, colon),
                    Integer.parseInt(server.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--server must be host:port with a port in 0..65535, got " + server);
        }
    }

    /**
     * {@code host:port} resolved, and refused unless it is a loopback address: the bench never sends traffic off the
     * host.
     */
    public static InetSocketAddress loopback(String server) {
        InetSocketAddress split = parse(server);
        try {
            InetAddress host = InetAddress.getByName(split.getHostString());
            if (!host.isLoopbackAddress()) {
                throw new IllegalArgumentException("--server must be a loopback address (127.0.0.1), got " + server);
            }
            return new InetSocketAddress(host, split.getPort());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve " + server + ": " + e.getMessage());
        }
    }
}
