package io.courier.protocol;

import java.util.Objects;

/** An error or advisory from the broker. When {@code code.fatal()} the broker closes the connection after it. */
public record Err(ErrorCode code, String reason) implements Frame {

    public Err {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public FrameType type() {
        return FrameType.ERR;
    }
}
