package io.courier.protocol;

import java.util.List;

/**
 * Protocol version 2: the broker tells a connected client the servers ({@code host:port}) it may reconnect to, now
 * that they changed (a broker joined or left the cluster). Replaces the list CONNECTED gave.
 */
public record Info(List<String> servers) implements Frame {

    public Info {
        servers = List.copyOf(servers);
    }

    @Override
    public FrameType type() {
        return FrameType.INFO;
    }
}
