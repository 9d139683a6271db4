package io.courier.protocol;

import java.util.List;
import java.util.Objects;

/**
 * The broker's answer to {@link Connect}: the agreed protocol version, the broker's limits and heartbeat interval,
 * and the addresses ({@code host:port}) of the servers a client may reconnect to.
 */
public record Connected(int version, String serverId, String serverVersion, int maxPayload, int heartbeatMillis,
                        List<String> servers) implements Frame {

    public Connected {
        Objects.requireNonNull(serverId, "serverId");
        Objects.requireNonNull(serverVersion, "serverVersion");
        servers = List.copyOf(servers);
    }

    @Override
    public FrameType type() {
        return FrameType.CONNECTED;
    }
}
