package io.courier.protocol;

import java.util.Objects;

/**
 * First frame a client sends. {@code heartbeatMillis} is the interval the client would like (0 = server default);
 * {@code noEcho} asks the broker not to deliver the client's own publishes back to it.
 */
public record Connect(int version, String name, String clientVersion, String user, String password,
                      int heartbeatMillis, boolean noEcho) implements Frame {

    public Connect {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(clientVersion, "clientVersion");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (heartbeatMillis < 0) {
            throw new IllegalArgumentException("heartbeatMillis must be >= 0");
        }
    }

    @Override
    public FrameType type() {
        return FrameType.CONNECT;
    }
}
