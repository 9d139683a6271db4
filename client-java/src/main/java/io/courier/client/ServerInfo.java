package io.courier.client;

import java.util.List;

/** What the broker said about itself in its last CONNECTED frame. */
public record ServerInfo(String serverId, String serverVersion, int maxPayload, int heartbeatMillis,
                         List<String> servers) {

    public ServerInfo {
        servers = List.copyOf(servers);
    }
}
