package io.courier.client;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A broker address as configured, {@code host:port} (IPv6 hosts in brackets: {@code [::1]:4800}). */
record ServerAddress(String host, int port) {

    /** @throws IllegalArgumentException with the reason when {@code hostPort} is not {@code host:port} */
    static ServerAddress parse(String hostPort) {
        if (hostPort == null || hostPort.isBlank()) {
            throw new IllegalArgumentException("server address is empty: expected host:port");
        }
        String s = hostPort.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("server address '" + hostPort + "' is not host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("server address '" + hostPort + "' has a port that is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("server address '" + hostPort + "' has port " + port
                    + " outside 1..65535");
        }
        return new ServerAddress(host, port);
    }

    /** Resolves the host now (so a reconnect sees DNS changes). */
    InetSocketAddress resolve() throws UnknownHostException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UnknownHostException("unknown host " + host);
        }
        return address;
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
